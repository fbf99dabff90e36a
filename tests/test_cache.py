"""The build cache never changes what a build writes: after any change a warm build's output folder
equals, byte for byte, a cold build's (no cache) of the same site at the same moment; and a cache
that is corrupt, truncated, foreign, from another version, a folder or unreadable is ignored.

The site is the bundled example (tags, categories, local covers under ``static``) plus a draft, an
article scheduled for later, an article that cannot be loaded and a templates folder.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from publisher.cache import CACHE_NAME, BuildCache
from publisher.cli import main
from publisher.config import load_config
from publisher.load import parse_date
from publisher.output import LOCK_NAME
from tests.conftest import ROOT, write_article

NOW = "2026-01-01T00:00:00Z"
SCHEDULED = "2026-01-10T09:00:00Z"  # the scheduled article's publish time


@pytest.fixture
def site(tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    config = (ROOT / "publisher.toml").read_text(encoding="utf-8")
    config = config.replace('output = "feeds"', 'output = "feeds"\ntemplates = "templates"')
    (tmp_path / "publisher.toml").write_text(config, encoding="utf-8")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "note.txt.j2").write_text("{{ title }}\n", encoding="utf-8")
    write_article(tmp_path / "content", "drafts/secret-plan.md", """
        ---
        title: Secret plan draft
        publishDate: 2025-06-01
        draft: true
        tags: [news]
        ---
        Not yet.
        """)
    write_article(tmp_path / "content", "news/scheduled-launch.md", f"""
        ---
        title: Scheduled launch announcement
        publishDate: '{SCHEDULED}'
        tags: [news, launch]
        category: news
        ---
        It is out **now**.
        """)
    write_article(tmp_path / "content", "broken.md", """
        ---
        title: Broken
        publishDate: '2025-13-45'
        ---
        Bad date.
        """)
    return tmp_path


def build(site: Path, out: str = "feeds", now: str = NOW, *flags: str) -> int:
    return main(["build", "--config", str(site / "publisher.toml"), "--out", str(site / out), "--now", now, *flags])


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file a build wrote, except the cache and the lock."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in (CACHE_NAME, LOCK_NAME)}


def assert_warm_equals_cold(site: Path, now: str = NOW) -> None:
    """Build warm (with the cache left by earlier builds) and cold (fresh folder): same bytes."""
    assert build(site, "feeds", now) == 0
    shutil.rmtree(site / "cold", ignore_errors=True)
    assert build(site, "cold", now) == 0
    warm, cold = outputs(site / "feeds"), outputs(site / "cold")
    assert sorted(warm) == sorted(cold)
    for name in cold:
        assert warm[name] == cold[name], f"{name} differs from a cold build's"


def header(site: Path) -> dict:
    return json.loads((site / "feeds" / CACHE_NAME).read_bytes().split(b"\n", 1)[0])


def nothing_changed(site: Path, now: str = NOW) -> bool:
    config = load_config(site / "publisher.toml", output_dir=str(site / "feeds"))
    return BuildCache(config, parse_date(now, config)).unchanged() is not None


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def warm(site):
    """The site after one build: the cache is in place and describes it."""
    assert build(site) == 0
    assert nothing_changed(site)
    return site


def test_a_second_build_reads_only_the_cache_and_rewrites_nothing(warm, capsys):
    before = {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in (warm / "feeds").rglob("*")}
    capsys.readouterr()
    assert build(warm, "feeds", NOW, "-v") == 0
    assert "nothing changed since the last build" in capsys.readouterr().err
    after = {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in (warm / "feeds").rglob("*")}
    assert before == after


def test_editing_an_articles_body(warm):
    edit(warm / "content" / "sora2-app-guide.md", "Just when everyone", "Just when almost everyone")
    assert not nothing_changed(warm)
    assert_warm_equals_cold(warm)
    assert b"Just when almost everyone" in (warm / "feeds" / "atom.xml").read_bytes()


def test_editing_an_articles_frontmatter(warm):
    edit(warm / "content" / "sora2-app-guide.md", "featured: true", "featured: false")
    assert_warm_equals_cold(warm)


def test_adding_an_article(warm):
    write_article(warm / "content", "news/fresh.md", """
        ---
        title: A fresh article
        publishDate: 2025-12-31
        tags: [sora-2, brand-new-tag]
        ---
        Fresh body.
        """)
    assert_warm_equals_cold(warm)
    assert b"A fresh article" in (warm / "feeds" / "atom.xml").read_bytes()


def test_deleting_an_article(warm):
    (warm / "content" / "guides" / "negative-prompts.md").unlink()
    assert_warm_equals_cold(warm)


def test_renaming_an_article(warm):
    # No slug in its frontmatter: the slug, and so its URL, comes from the file name.
    source = warm / "content" / "renamed-from.md"
    write_article(warm / "content", "renamed-from.md", "---\ntitle: Renamed\npublishDate: 2025-12-30\n---\nBody.\n")
    assert_warm_equals_cold(warm)
    source.rename(warm / "content" / "renamed-to.md")
    assert_warm_equals_cold(warm)
    assert b"/renamed-to/" in (warm / "feeds" / "atom.xml").read_bytes()


def test_touching_an_article_without_changing_it_rewrites_no_feed(warm):
    path = warm / "content" / "sora2-app-guide.md"
    before = {p.name: p.stat().st_mtime_ns for p in (warm / "feeds").glob("*.xml")}
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert not nothing_changed(warm)
    assert build(warm) == 0
    assert {p.name: p.stat().st_mtime_ns for p in (warm / "feeds").glob("*.xml")} == before
    assert nothing_changed(warm)


def test_changing_a_template_invalidates_the_cache(warm):
    (warm / "templates" / "note.txt.j2").write_text("{{ title }}!\n", encoding="utf-8")
    assert not nothing_changed(warm)
    assert_warm_equals_cold(warm)
    assert nothing_changed(warm)


def test_changing_the_config(warm):
    edit(warm / "publisher.toml", 'title = "AI Photo Prompt Lab"', 'title = "AI Photo Prompt Laboratory"')
    edit(warm / "publisher.toml", "limit = 50", "limit = 3")
    assert not nothing_changed(warm)
    assert_warm_equals_cold(warm)
    assert b"AI Photo Prompt Laboratory" in (warm / "feeds" / "rss.xml").read_bytes()


def test_changing_a_local_cover_changes_its_enclosure_length(warm):
    cover = warm / "content" / "static" / "images" / "studio-lighting.png"  # studio-lighting-prompts.md's
    size = cover.stat().st_size
    assert f'length="{size}"'.encode() in (warm / "feeds" / "atom.xml").read_bytes()
    with cover.open("ab") as fh:
        fh.write(b"\0" * 1000)
    assert not nothing_changed(warm)
    assert_warm_equals_cold(warm)
    assert f'length="{size + 1000}"'.encode() in (warm / "feeds" / "atom.xml").read_bytes()


def test_a_scheduled_article_appears_when_its_time_comes(warm):
    assert b"Scheduled launch" not in (warm / "feeds" / "atom.xml").read_bytes()
    assert nothing_changed(warm, "2026-01-10T08:59:59Z")
    assert not nothing_changed(warm, SCHEDULED)
    assert_warm_equals_cold(warm, SCHEDULED)
    assert b"Scheduled launch" in (warm / "feeds" / "atom.xml").read_bytes()
    assert b"Scheduled launch" in (warm / "feeds" / "tags" / "launch.atom.xml").read_bytes()


def test_going_back_in_time_unpublishes_again(warm):
    assert_warm_equals_cold(warm, SCHEDULED)
    assert not nothing_changed(warm, NOW)
    assert_warm_equals_cold(warm, NOW)
    assert b"Scheduled launch" not in (warm / "feeds" / "atom.xml").read_bytes()
    assert not nothing_changed(warm, "2025-10-01T00:00:00Z")  # before the newest article: it must go
    assert_warm_equals_cold(warm, "2025-10-01T00:00:00Z")


def test_an_output_removed_by_hand_is_written_again(warm):
    (warm / "feeds" / "featured.rss.xml").unlink()
    assert not nothing_changed(warm)
    assert_warm_equals_cold(warm)


def test_reports_are_repeated_when_nothing_changed(site, capsys):
    assert build(site) == 0
    first = capsys.readouterr().err
    assert "broken.md: publishDate: '2025-13-45' is not a date" in first
    assert build(site) == 0
    assert capsys.readouterr().err == first
    assert build(site, "feeds", NOW, "--strict") == 1
    assert "broken.md" in capsys.readouterr().err


def test_drafts_and_scheduled_articles_are_not_kept_in_the_served_cache(warm):
    data = (warm / "feeds" / CACHE_NAME).read_bytes()
    assert b"Secret plan" not in data and b"Scheduled launch" not in data
    assert b"Sora 2 App Guide" in data


CORRUPTIONS = {
    "garbage": lambda p: p.write_bytes(os.urandom(5000)),
    "empty": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "truncated-header": lambda p: p.write_bytes(p.read_bytes()[:100]),
    "other-format": lambda p: p.write_bytes(p.read_bytes().replace(b'"format":1,', b'"format":999,', 1)),
    "other-settings": lambda p: p.write_bytes(p.read_bytes().replace(b'"settings":"', b'"settings":"0', 1)),
    "foreign-json": lambda p: p.write_text('{"cache": "something else", "format": 1}\n[1, 2, 3]\n'),
    "body-tampered": lambda p: p.write_bytes(p.read_bytes().replace(b"Sora 2 App Guide", b"Sora 9 App Guide")),
    "html-tampered": lambda p: p.write_bytes(p.read_bytes().replace(b"<p>", b"<p>injected ")),
    "not-utf8": lambda p: p.write_bytes(b"\xff\xfe" + p.read_bytes()),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_damaged_cache_is_ignored_and_rebuilt(warm, corrupt):
    edit(warm / "content" / "sora2-app-guide.md", "Just when everyone", "Just when nobody")
    corrupt(warm / "feeds" / CACHE_NAME)
    assert_warm_equals_cold(warm)
    assert header(warm)["cache"] == "publisher build cache"
    assert nothing_changed(warm)


def test_a_cache_whose_records_do_not_make_articles_is_ignored(warm):
    import hashlib

    path = warm / "feeds" / CACHE_NAME
    first, rest = path.read_bytes().split(b"\n", 1)
    head = json.loads(first)
    records, html = rest[: head["records"]], rest[head["records"]:]
    # Well-formed JSON with matching checksums, but a record that is not an article.
    records = b'["a","sora2-app-guide.md",1,1,"x",[1,2,3]]\n' + records.split(b"\n", 1)[1]
    head.update(records=len(records), records_sha256=hashlib.sha256(records).hexdigest(), inputs=None)
    path.write_bytes(json.dumps(head).encode() + b"\n" + records + html)
    assert_warm_equals_cold(warm)


def test_a_cache_that_is_a_folder_is_ignored(warm, capsys):
    cache = warm / "feeds" / CACHE_NAME
    cache.unlink()
    cache.mkdir()
    edit(warm / "content" / "sora2-app-guide.md", "Just when everyone", "Just when nobody")
    capsys.readouterr()
    assert_warm_equals_cold(warm)
    assert "the next run will be a full build" in capsys.readouterr().err
    assert cache.is_dir()


def test_an_unreadable_cache_is_ignored_and_replaced(warm):
    cache = warm / "feeds" / CACHE_NAME
    cache.unlink()
    cache.symlink_to(cache.name)  # a link to itself: every open fails (ELOOP), even for root
    edit(warm / "content" / "sora2-app-guide.md", "Just when everyone", "Just when nobody")
    assert_warm_equals_cold(warm)
    assert not cache.is_symlink() and header(warm)["cache"] == "publisher build cache"


def test_deleting_the_cache_is_safe(warm):
    (warm / "feeds" / CACHE_NAME).unlink()
    assert_warm_equals_cold(warm)
    assert nothing_changed(warm)


HEAVY = ("markdown", "feedgen", "lxml", "yaml", "jinja2", "premailer", "ftfy", "nh3", "frontmatter")


def test_a_build_that_finds_nothing_changed_imports_no_heavy_library(warm):
    import subprocess
    import sys

    script = (
        "import sys\nfrom publisher.cli import main\n"
        f"code = main(['build', '--config', {str(warm / 'publisher.toml')!r}, '--now', {NOW!r}])\n"
        f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.strip() == "0 []", proc.stderr


def test_a_second_process_parsing_half_the_files_changes_nothing(site, monkeypatch, capsys):
    import publisher.cache

    assert build(site, "serial") == 0
    serial_err = capsys.readouterr().err.replace("/serial", "/feeds")
    monkeypatch.setattr(publisher.cache, "PARALLEL_MIN", 2)
    assert build(site, "feeds") == 0
    assert capsys.readouterr().err == serial_err  # the same reports, in the same order
    assert outputs(site / "feeds") == outputs(site / "serial")
    edit(site / "content" / "sora2-app-guide.md", "Just when everyone", "Just when nobody")
    (site / "feeds" / CACHE_NAME).unlink()
    assert_warm_equals_cold(site)


def test_an_unchanged_feed_is_read_back_only_while_it_is_what_was_written(warm):
    import publisher.cache

    write_article(warm / "content", "old/from-2019.md", "---\ntitle: From 2019\npublishDate: 2019-05-01\n---\nOld.\n")
    assert build(warm) == 0
    old_year = warm / "feeds" / "archive" / "2019.atom.xml"
    old_year.write_bytes(old_year.read_bytes().replace(b"<feed", b"<feed data-edited-by-hand='yes'", 1))
    edit(warm / "content" / "sora2-app-guide.md", "Just when everyone", "Just when nobody")
    rendered: dict[str, bool] = {}
    original = publisher.cache.FeedMemo.feed

    def feed(self, spec, fallback_updated, produce):
        if self.cache.out.name != "feeds":  # the cold build beside it renders everything
            return original(self, spec, fallback_updated, produce)
        rendered[spec.filename] = False

        def render():
            rendered[spec.filename] = True
            return produce()

        return original(self, spec, fallback_updated, render)

    publisher.cache.FeedMemo.feed = feed
    try:
        assert_warm_equals_cold(warm)
    finally:
        publisher.cache.FeedMemo.feed = original
    assert rendered["archive/2019.atom.xml"], "a feed changed by hand is not trusted"
    assert rendered["archive/2025.atom.xml"] and rendered["atom.xml"], "feeds holding the edited article"
    assert not rendered["tags/c2pa.atom.xml"], "a feed without it is read back"
