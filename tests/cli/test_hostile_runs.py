"""Input that used to take a whole run down (a traceback, no feeds) or never let it finish: each is now
one named, skipped file, and the rest of the site is published (issue 12). Each runs `publisher build`
or `publisher digest` on a site with one good article beside the bad file."""

from __future__ import annotations

import os
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.conftest import NOW_ARG, Site, merged, run_publisher

GOOD = "---\ntitle: Good\npublishDate: 2025-06-01\n---\nThe good article.\n"
HOSTILE = {
    "title": "Hostile",
    "url": "https://hostile.example.org/",
    "digest": {"unsubscribe_url": "https://hostile.example.org/u"},
}
PYTHON_MARKDOWN = {"engine": "python-markdown"}


def hostile(site: Callable[..., Site], files: dict[str | bytes, str | bytes], **settings: Any) -> Site:
    """A site with one good article and ``files`` (name -> text or bytes, written as is) beside it."""
    made = site(**merged(HOSTILE, settings))
    made.add("good.md", GOOD)
    for name, data in files.items():
        made.add(os.fsdecode(name) if isinstance(name, bytes) else name, data)
    return made


def window(command: str) -> tuple[str, ...]:
    """The digest's window: every article of the site."""
    return ("--days", "3650") if command == "digest" else ()


def published(site: Path) -> list[str]:
    feed = feedparser.parse((site / "feeds" / "atom.xml").read_bytes())
    assert feed.bozo == 0
    return [entry.title for entry in feed.entries]


def skipped_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("publisher: skipped ")]


def article(title: str, date: str = "2025-01-01", extra: str = "", body: str = "Body.") -> str:
    return f"---\ntitle: {title}\npublishDate: {date}\n{extra}---\n{body}\n"


# -- dates that cannot be written in the site's time zone or in UTC ------------------------------


@pytest.mark.parametrize(
    ("zone", "date"),
    [
        ("America/New_York", "0001-01-01T00:00:00Z"),  # Hugo's zero date: year 0 in New York
        ("UTC", "0001-01-01T00:00:00+14:00"),  # year 0 in UTC
    ],
)
def test_a_date_before_year_one_in_the_sites_zone_or_utc_is_a_named_bad_date(site, cli, tmp_path, zone, date):
    blog = hostile(site, {"zero.md": f"---\ntitle: Zero\ndate: {date}\n---\nx\n"}, timezone=zone)
    ran = cli.on(blog, "build")
    assert ran.code == 0
    lines = skipped_lines(ran.err)
    assert len(lines) == 1 and "zero.md:3: date:" in lines[0] and "outside years 1 to 9999" in lines[0]
    assert published(blog) == ["Good"]


# -- file names, sizes and kinds -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["build", "digest"])
def test_a_file_name_that_is_not_utf8_is_named_and_skipped(site, cli, tmp_path, command):
    blog = hostile(site, {b"caf\xe9.md": article("Café")})
    ran = cli.on(blog, command, *window(command))
    assert ran.code == 0
    lines = skipped_lines(ran.err)
    assert lines == [
        f"publisher: skipped {blog}/content/caf\\xe9.md: the file name is not UTF-8; rename it "
        "(feeds and messages name files in UTF-8)"
    ]


def test_a_symlink_loop_names_both_links(site, cli, tmp_path):
    blog = hostile(site, {})
    (blog / "content" / "a.md").symlink_to("b.md")
    (blog / "content" / "b.md").symlink_to("a.md")
    ran = cli.on(blog, "build")
    assert ran.code == 0
    lines = skipped_lines(ran.err)
    assert [line.split("/content/")[1] for line in lines] == [
        "a.md: cannot be read (Too many levels of symbolic links)",
        "b.md: cannot be read (Too many levels of symbolic links)",
    ]
    assert published(blog) == ["Good"]


def test_an_article_over_max_article_bytes_is_named_and_skipped(site, cli, tmp_path):
    big = article("Big", body="Words and more words. " * 150_000)  # 3.3 MB
    blog = hostile(site, {"big.md": big})
    ran = cli.on(blog, "build")
    assert ran.code == 0
    (line,) = skipped_lines(ran.err)
    assert line.endswith(
        f"big.md: {len(big.encode()):,} bytes is more than max_article_bytes (2,097,152); raise "
        "max_article_bytes in the config to publish it"
    )
    assert published(blog) == ["Good"]


def test_max_article_bytes_lets_a_larger_article_through(site, cli, tmp_path):
    blog = hostile(
        site, {"big.md": article("Big", body="Words and more words. " * 150_000)}, max_article_bytes=4_000_000
    )
    ran = cli.on(blog, "build")
    assert ran.code == 0
    assert published(blog) == ["Good", "Big"]


def test_a_fifo_is_named_and_never_opened(site, cli, tmp_path):
    blog = hostile(site, {})
    os.mkfifo(blog / "content" / "p.md")
    # A separate process with a time limit: before, the build waited for a writer forever.
    proc = run_publisher("build", "--now", NOW_ARG, cwd=blog, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "publisher: skipped content/p.md: is a named pipe (FIFO), not a file; not opened" in proc.stderr
    assert published(blog) == ["Good"]


def test_a_socket_and_a_device_are_named_and_never_opened(site, cli, tmp_path):
    blog = hostile(site, {})
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(blog / "content" / "s.md"))
    try:
        os.mknod(blog / "content" / "null.md", stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
        device = True
    except OSError:  # no CAP_MKNOD here: the socket still shows the rule
        device = False
    try:
        ran = cli.on(blog, "build")
        assert ran.code == 0
    finally:
        listener.close()
    lines = skipped_lines(ran.err)
    assert any(line.endswith("s.md: is a socket, not a file; not opened") for line in lines)
    if device:
        assert any(line.endswith("null.md: is a character device, not a file; not opened") for line in lines)
    assert published(blog) == ["Good"]


# -- frontmatter that breaks what walks it -----------------------------------------------------------


@pytest.mark.parametrize("command", ["build", "digest"])
def test_an_integer_too_long_to_print_is_named_with_its_line(site, cli, tmp_path, command):
    blog = hostile(site, {"long.md": article("Long", extra="views: " + "1" * 4301 + "\n")})
    ran = cli.on(blog, command, *window(command))
    assert ran.code == 0
    (line,) = skipped_lines(ran.err)
    assert "long.md:4: frontmatter is not valid YAML: an integer of 4,301 digits is too long" in line


@pytest.mark.parametrize("command", ["build", "digest"])
def test_a_list_nested_300_deep_is_refused_before_anything_walks_it(site, cli, tmp_path, command):
    blog = hostile(site, {"deep.md": article("Deep", extra="nest: " + "[" * 300 + "]" * 300 + "\n")})
    ran = cli.on(blog, command, *window(command))
    assert ran.code == 0
    (line,) = skipped_lines(ran.err)
    assert "deep.md:1: frontmatter is nested more than 32 levels deep; refused" in line


def test_the_preview_of_a_folder_with_a_deep_list_shows_the_rest(site, caplog):
    from publisher.cli import build_parser
    from publisher.cli.digest import preview_renderer

    blog = hostile(site, {"deep.md": article("Deep", "2025-12-30", "nest: " + "[" * 300 + "]" * 300 + "\n")})
    args = build_parser().parse_args(["preview", "--config", str(blog.config_file), "--now", NOW_ARG, "--days", "3650"])
    digest = preview_renderer(args)()
    assert [a.title for a in digest.articles] == ["Good"]
    assert "deep.md:1: frontmatter is nested more than 32 levels deep" in caplog.text


# -- Markdown that would take minutes ----------------------------------------------------------------

PATHOLOGICAL = {"brackets.md": "[" * 50_000, "links.md": "[a](" * 20_000, "entities.md": "&#x41;" * 100_000}


def test_pathological_markdown_is_stopped_by_the_render_budget_and_named(site, cli, tmp_path):
    # Python-Markdown takes minutes over these (issue 12); the budget stops each after seconds.
    blog = hostile(
        site, {name: article(name, body=body) for name, body in PATHOLOGICAL.items()}, markdown=PYTHON_MARKDOWN
    )
    started = time.monotonic()
    proc = run_publisher("build", "--now", NOW_ARG, cwd=blog, timeout=120)
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    for name in PATHOLOGICAL:
        assert f"publisher: skipped content/{name}: rendering took more than its" in proc.stderr, proc.stderr
    assert published(blog) == ["Good"]
    assert took < 60, took  # before: over 120 s for the brackets alone


def test_the_default_engine_publishes_them_in_well_under_a_second_each(site, cli, tmp_path):
    blog = hostile(site, {name: article(name, body=body) for name, body in PATHOLOGICAL.items()})
    started = time.thread_time()
    ran = cli.on(blog, "build")
    assert ran.code == 0
    assert sorted(published(blog)) == sorted(["Good", *PATHOLOGICAL])
    assert time.thread_time() - started < 10


@pytest.mark.parametrize("body", ["> " * 50_000, "<ul><li>" * 20_000, "<div>" * 30_000])
def test_html_nested_too_deep_for_the_sanitiser_is_refused_with_either_engine(site, cli, tmp_path, body):
    # html5ever (inside nh3) takes time that grows with depth times length, in native code.
    for engine in ("gfm", "python-markdown"):
        blog = hostile(site, {"deep.md": article("Deep", body=body)}, markdown={"engine": engine})
        started = time.thread_time()
        ran = cli.on(blog, "build")
        assert ran.code == 0
        (line,) = skipped_lines(ran.err)
        assert line.endswith("deep.md: the HTML is nested more than 200 elements deep; refused")
        assert published(blog) == ["Good"] and time.thread_time() - started < 10


def test_a_pathological_article_is_left_out_of_the_digest_and_named(site, cli, tmp_path):
    blog = hostile(
        site,
        {"brackets.md": article("Brackets", "2025-12-01", body="[" * 50_000)},
        markdown=PYTHON_MARKDOWN,
        digest={"full_bodies": True},
    )
    ran = cli.on(blog, "digest", "--days", "3650")
    assert ran.code == 0
    assert "brackets.md: rendering for the digest took more than its" in ran.err
    assert "Brackets" not in (blog / "feeds" / "digest.html").read_text()


# -- tag names the file system refuses ----------------------------------------------------------------


def test_tags_too_long_for_a_file_name_get_a_short_stable_one(site, cli, tmp_path):
    cjk, long = "漢" * 80, "a" * 10_000
    blog = hostile(site, {"tagged.md": article("Tagged", extra=f"tags: [{cjk}, {long}]\n")}, feeds={"tags": True})
    assert cli.on(blog, "build").code == 0 and cli.on(blog, "build", "--out", tmp_path / "again").code == 0
    names = sorted(p.name for p in (blog / "feeds" / "tags").glob("*.atom.xml"))
    assert len(names) == 2 and all(len(name.encode()) < 120 for name in names)
    assert names == sorted(p.name for p in (tmp_path / "again" / "tags").glob("*.atom.xml"))
    titles = {feedparser.parse((blog / "feeds" / "tags" / n).read_bytes()).feed.title for n in names}
    assert titles == {f"Hostile: {cjk}", f"Hostile: {long}"}


def test_an_article_with_ten_thousand_tags_gives_the_feeds_of_max_terms_of_them_and_one_warning(site, cli):
    # Before the bound, 9,990 tags wrote 29,978 files (8 GB): every tag feed held the entry with all its tags.
    tags = ", ".join(f"t{i}" for i in range(10_000))
    blog = hostile(site, {"tagged.md": article("Tagged", extra=f"tags: [{tags}]\n")}, feeds={"tags": True})
    ran = cli.on(blog, "build")
    assert ran.code == 0, ran.err
    assert [line for line in ran.err.splitlines() if "tagged.md" in line] == [
        f"publisher: {blog.content / 'tagged.md'}: tags: 10,000 terms, more than max_terms (100): "
        "9,900 dropped ('t100', 't101', 't102', ...)"
    ]
    assert len(list((blog / "feeds" / "tags").iterdir())) == 3 * 100
    blog.configure(max_terms=5)
    assert cli.on(blog, "build").code == 0
    assert len(list((blog / "feeds" / "tags").iterdir())) == 3 * 5
    assert "tagged.md" not in cli.on(blog, "build").err  # said once, on the build that read the file


def test_an_article_rendered_by_the_second_process_is_named_once_and_left_out(site, cli, tmp_path):
    # 2,000 articles to render (PARALLEL_MIN): the engine renders the second half in a forked helper
    # (prerender.py). Outputs are planned newest first, then the 2024 archive, then the rest of 2025:
    # the oldest article of 2025, the pathological one, falls in the helper's half.
    files = {f"a{i:04d}.md": article(f"Old {i}", f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}") for i in range(1000)}
    files |= {f"b{i:04d}.md": article(f"New {i}", f"2025-{i % 11 + 2:02d}-{i % 28 + 1:02d}") for i in range(999)}
    files["brackets.md"] = article("Brackets", "2025-01-01", body="[" * 50_000)
    blog = hostile(site, files, markdown=PYTHON_MARKDOWN)
    proc = run_publisher("build", "--now", NOW_ARG, cwd=blog, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("brackets.md") == 1 and "rendering took more than its" in proc.stderr
    archive = feedparser.parse((blog / "feeds" / "archive" / "2025.atom.xml").read_bytes())
    assert len(archive.entries) == 1000 and "Brackets" not in {e.title for e in archive.entries}
    again = run_publisher("build", "--now", NOW_ARG, "-v", cwd=blog, timeout=300)
    assert "1 skipped" in again.stderr  # recorded as the file's problem: not rendered, nor reported, again
