"""publisher.build(): the library's build pipeline and its state store (the command line on top of it is in
tests/cli/test_engine.py)."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

import publisher
from tests.conftest import NOW, PROCESS_ENV, Site


def post(site: Site, name: str, date: str = "2026-11-20", **fields: str) -> Path:
    return site.add(name, title=name, date=date, body=f"Body of *{name}*.", **fields)


def three_articles(site: Callable[..., Site]) -> Site:
    """Three articles with tags and a category; one featured, one from last year."""
    made = site(title="Engine", url="https://engine.example.org/", feeds={"tags": True, "categories": True})
    post(made, "one.md", tags="[a, b]", category="news")
    post(made, "two.md", "2026-11-21", tags="[b]", featured="true")
    post(made, "three.md", "2025-06-01", tags="[c]")
    return made


@pytest.fixture
def blog(site) -> Site:
    return three_articles(site)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_output_folder_holds_only_what_is_published_and_the_state_one_database(blog):
    publisher.build(blog.config(), now=NOW)
    published = [p.name for p in (blog / "feeds").rglob("*") if p.name.startswith(".")]
    assert published == []
    assert sorted(p.name for p in (blog / ".publisher").iterdir()) == [".gitignore", "state.sqlite3"]
    with closing(sqlite3.connect(blog / ".publisher" / "state.sqlite3")) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {
            "sources",
            "html",
            "entries",
            "outputs",
            "output_bytes",
            "statics",
            "snapshot",
            "meta",
        } == tables  # the newsletter's records are elsewhere
        assert db.execute("SELECT count(*) FROM sources").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM html").fetchone() == (3,)
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".publisher/state.sqlite3"],
        cwd=blog,
        env={**PROCESS_ENV, "GIT_DIR": str(blog / "no-repo")},
        capture_output=True,
    )
    assert (blog / ".publisher" / ".gitignore").read_text().strip().endswith("*")
    assert ignored.returncode in (0, 128)  # outside a repository git says nothing; the file is what counts


def test_one_changed_article_rerenders_only_the_outputs_that_hold_it(blog):
    publisher.build(blog.config(), now=NOW)
    post(blog, "three.md", "2025-06-01", tags="[c]", description="'Now with a summary'")
    result = publisher.build(blog.config(), now=NOW)
    assert "tags/c.atom.xml" in result.written and "archive/2025.atom.xml" in result.written
    assert "tags/a.atom.xml" in result.unchanged and "archive/2026.atom.xml" in result.unchanged
    with closing(sqlite3.connect(blog / ".publisher" / "state.sqlite3")) as db:
        assert db.execute("SELECT count(*) FROM html").fetchone() == (3,)  # replaced, not added


def test_a_damaged_database_is_moved_aside_once_and_the_build_is_a_full_one(blog, caplog):
    config = blog.config()
    publisher.build(config, now=NOW)
    before = files(blog / "feeds")
    (blog / ".publisher" / "state.sqlite3").write_bytes(b"\0garbage" * 512)
    result = publisher.build(config, now=NOW)
    assert not result.nothing_changed and files(blog / "feeds") == before
    assert sum("moved it to state.sqlite3.damaged-" in r.message for r in caplog.records) == 1
    caplog.clear()
    assert publisher.build(config, now=NOW).nothing_changed and not caplog.records


def test_a_foreign_database_is_moved_aside_too(blog, caplog):
    (blog / ".publisher").mkdir()
    with closing(sqlite3.connect(blog / ".publisher" / "state.sqlite3")) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema', '[\"someone else\", 7]')")
    publisher.build(blog.config(), now=NOW)
    assert any("from another version of publisher" in r.message for r in caplog.records)


def test_a_scratch_build_into_another_folder_leaves_the_main_one_warm(blog):
    publisher.build(blog.config(), now=NOW)
    scratch = publisher.build(blog.config(output="then"), now=datetime(2025, 12, 1, tzinfo=UTC))
    assert scratch.published == 1
    assert publisher.build(blog.config(), now=NOW).nothing_changed


def test_a_scheduled_article_appears_when_its_time_comes(blog):
    post(blog, "later.md", "2026-11-26T08:00:00Z")
    assert publisher.build(blog.config(), now=NOW).published == 3
    assert publisher.build(blog.config(), now=datetime(2026, 11, 26, 7, tzinfo=UTC)).nothing_changed
    result = publisher.build(blog.config(), now=datetime(2026, 11, 26, 9, tzinfo=UTC))
    assert result.published == 4 and "atom.xml" in result.written


def test_a_file_only_touched_is_not_parsed_again(blog, monkeypatch):
    publisher.build(blog.config(), now=NOW)
    path = blog / "content" / "one.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    from publisher.content import load

    parsed = []
    original = load.article_from_bytes
    monkeypatch.setattr(load, "article_from_bytes", lambda *a: parsed.append(a[1]) or original(*a))
    result = publisher.build(blog.config(), now=NOW)
    assert parsed == [] and not result.written and not result.nothing_changed
    assert publisher.build(blog.config(), now=NOW).nothing_changed


def test_deleting_the_state_folder_gives_the_same_outputs(blog):
    import shutil

    publisher.build(blog.config(), now=NOW)
    before = files(blog / "feeds")
    shutil.rmtree(blog / ".publisher")
    result = publisher.build(blog.config(), now=NOW)
    assert files(blog / "feeds") == before and result.written == ()


@pytest.mark.parametrize(
    "published, written, expected",
    [
        (1, ("atom.xml",), "1 article, 1 file: 1 written, 0 unchanged"),
        (1042, ("a", "b"), "1,042 articles, 2 files: 2 written, 0 unchanged"),
    ],
)
def test_the_summary_line_says_article_for_one(published, written, expected):
    assert publisher.BuildResult("feeds", written=written, published=published).summary() == expected


@pytest.mark.parametrize(
    "options", [{"lock_timeout": float("nan")}, {"lock_timeout": -1}, {"ping": True, "ping_timeout": float("inf")}]
)
def test_a_timeout_that_is_no_number_of_seconds_is_refused_before_anything_is_written(site, options):
    blog = site()
    blog.add("post.md", title="Post", date="2026-11-20")
    with pytest.raises(publisher.ConfigError, match="is not a number of seconds"):
        publisher.build(blog.config(), now=NOW, **options)
    assert not (blog / "feeds").exists()


def test_the_public_stages_with_a_store_write_what_build_writes_and_then_only_what_changed(blog, tmp_path):
    config = blog.config()
    publisher.build(config, now=NOW)
    out = tmp_path / "library"
    with publisher.Store(tmp_path / "state") as store:

        def run() -> list[str]:
            articles = publisher.load_articles(blog.content, config, store=store)
            feeds = publisher.render_feeds(articles, config, now=NOW, store=store)
            return publisher.write_feeds(feeds, out, store=store)

        assert sorted(run()) == sorted(files(blog / "feeds"))
        assert files(out) == files(blog / "feeds")
        assert run() == []  # unchanged: nothing made again, nothing rewritten
        post(blog, "two.md", "2026-11-21", tags="[b]", featured="true", description="'Changed'")
        publisher.build(config, now=NOW)
        changed = run()
        assert "atom.xml" in changed and "tags/a.atom.xml" not in changed
        assert files(out) == files(blog / "feeds")
        (blog.content / "three.md").unlink()
        publisher.build(config, now=NOW)
        run()
        assert files(out) == files(blog / "feeds")  # the feeds only three.md was in are removed too


def test_the_feeds_page_is_compiled_once_and_kept_in_the_state_database(blog, monkeypatch):
    """The feeds page's template is compiled by the first build and loaded from the state database by the
    next (30 ms against 1, most of what an edited post costs a host's build besides its entry); one edited
    since is compiled again, and a kept one found damaged is compiled again, never fatal."""
    import jinja2

    from publisher.feeds.page import FEEDS_PAGE_TEMPLATE
    from publisher.templates import BUNDLED

    bundled = next(folder / FEEDS_PAGE_TEMPLATE for folder in BUNDLED if (folder / FEEDS_PAGE_TEMPLATE).is_file())
    (blog / "templates").mkdir()
    own = blog / "templates" / FEEDS_PAGE_TEMPLATE
    own.write_text(bundled.read_text(encoding="utf-8").replace("</body>", "<p>first</p></body>"), encoding="utf-8")
    blog.configure(templates="templates")
    compiled: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counted(self, source, name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return compile_(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    publisher.build(blog.config(), now=NOW)
    assert compiled.count(FEEDS_PAGE_TEMPLATE) == 1 and "<p>first</p>" in (blog / "feeds" / "index.html").read_text()

    page = (blog / "feeds" / "index.html").read_bytes()
    post(blog, "four.md", "2026-11-22", tags="[d]")  # a newer post with a new tag: the page made again
    publisher.build(blog.config(), now=NOW)
    again = (blog / "feeds" / "index.html").read_bytes()
    assert compiled.count(FEEDS_PAGE_TEMPLATE) == 1 and again != page and b"<p>first</p>" in again

    own.write_text(own.read_text(encoding="utf-8").replace("first", "second"), encoding="utf-8")
    publisher.build(blog.config(), now=NOW)
    assert compiled.count(FEEDS_PAGE_TEMPLATE) == 2 and "<p>second</p>" in (blog / "feeds" / "index.html").read_text()

    from jinja2.bccache import bc_magic

    with closing(sqlite3.connect(blog / ".publisher" / "state.sqlite3")) as db, db:
        # Jinja's header, then garbage where its pickled checksum is: unpickling it raises.
        damaged = base64.b64encode(bc_magic + b"\x80\x05garbage").decode()
        assert db.execute("UPDATE meta SET value = ? WHERE key LIKE 'template %'", (json.dumps(damaged),)).rowcount == 1
    post(blog, "five.md", "2026-11-23", tags="[e]")
    publisher.build(blog.config(), now=NOW)
    assert compiled.count(FEEDS_PAGE_TEMPLATE) == 3 and "/tags/e." in (blog / "feeds" / "index.html").read_text()
