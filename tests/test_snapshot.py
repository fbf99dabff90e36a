"""A library caller's second call with a ``publisher.Store``: the articles of an unchanged content folder
come back from the state store's snapshot (engine/snapshot.py), equal to the first call's, and nothing is
rendered or written; anything that changed the articles is seen, whatever kept a file's size."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

import publisher
from publisher.model import FileBody
from tests.conftest import NOW, PROCESS_ENV, Site

# A library caller on each rebuild of its site: load, render and write with one store, then what it
# imported (the rendering stack never, when every feed is as written) and what it wrote.
CALLER = """
import sys, publisher
config = publisher.load_config(sys.argv[1])
with publisher.Store(sys.argv[2]) as store:
    articles = publisher.load_articles(config.content_folder, config, store=store)
    feeds = publisher.render_feeds(articles, config, now=publisher.parse_date(sys.argv[3]), store=store)
    written = publisher.write_feeds(feeds, sys.argv[4], store=store)
heavy = sorted(m for m in ("feedgen", "lxml", "markdown", "nh3", "jinja2", "yaml") if m in sys.modules)
print(len(articles), len(written), ",".join(heavy) or "-")
"""


@pytest.fixture
def blog(site) -> Site:
    made = site(title="Snapshot", url="https://snapshot.example.org/", feeds={"tags": True})
    for name, date, tags in (
        ("one.md", "2026-11-20", "[a, b]"),
        ("two.md", "2026-11-21", "[b]"),
        ("old.md", "2025-06-01", "[c]"),
    ):
        made.add(name, title=f"Title {name[:3]}", date=date, body=f"Body of *{name}*.", tags=tags, headline="Other")
    return made


def caller(blog: Site) -> tuple[int, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", CALLER, str(blog.config_file), str(blog / "state"), NOW.isoformat(), str(blog / "out")],
        capture_output=True,
        text=True,
        env=PROCESS_ENV,
        check=True,
    )
    count, written, heavy = done.stdout.split()
    return int(count), int(written), heavy


def shown(article: publisher.Article) -> list[str]:
    return [repr(getattr(article, f.name)) for f in dataclasses.fields(article)]


def mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_the_second_call_renders_and_writes_nothing_and_imports_no_rendering_library(blog):
    count, written, _ = caller(blog)
    assert (count, written) == (3, len(mtimes(blog / "out"))) and written > 3
    before = mtimes(blog / "out")
    assert caller(blog) == (3, 0, "-")  # every feed as written: nothing parsed, rendered or written
    assert mtimes(blog / "out") == before


def test_the_second_load_gives_the_first_ones_articles_and_sees_every_change(blog):
    config = blog.config()

    def load(config: publisher.Config = config) -> list[publisher.Article]:
        with publisher.Store(blog / "state") as store:
            return publisher.load_articles(blog.content, config, store=store)

    first = load()
    again = load()
    assert all(isinstance(vars(a)["_body"], FileBody) for a in again)  # from the snapshot (the files': DeferredBody)
    assert again == first and [a.body for a in again] == [a.body for a in first]
    assert [shown(a) for a in again] == [shown(a) for a in first]  # the same types and zones too
    assert [a.title for a in again] == ["Title old", "Title one", "Title two"]

    one = blog.content / "one.md"
    stat = one.stat()
    one.write_text(one.read_text().replace("Title one", "Title ONE"))  # the same size, another mtime
    os.utime(one, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000))
    assert one.stat().st_size == stat.st_size
    assert [a.title for a in load()] == ["Title old", "Title ONE", "Title two"]
    assert "Body of *one.md*." in next(a for a in load() if a.title == "Title ONE").body
    assert all(isinstance(vars(a)["_body"], FileBody) for a in load())

    blog.add("new.md", title="Title new", date="2026-11-22", body="New.", headline="Other")
    assert [a.title for a in load()] == ["Title new", "Title old", "Title ONE", "Title two"]
    (blog.content / "old.md").unlink()
    assert [a.title for a in load()] == ["Title new", "Title ONE", "Title two"]
    renamed = blog.config(fields={"title": ["headline"]})  # a setting that changes every article
    assert [a.title for a in load(renamed)] == ["Other"] * 3
    assert [a.title for a in load()] == ["Title new", "Title ONE", "Title two"]


def test_a_problem_is_reported_by_the_first_load_only_and_listed_by_every_one(blog, caplog):
    blog.add("bad.md", "---\ntitle: [unclosed\n---\nBody.\n")
    blog.add("twin.md", title="Twin", date="2026-11-20", slug="one")  # one address with one.md

    def load() -> tuple[list[publisher.Article], list[publisher.ContentError]]:
        errors: list[publisher.ContentError] = []
        with publisher.Store(blog / "state") as store:
            return publisher.load_articles(blog.content, blog.config(), errors=errors, store=store), errors

    caplog.clear()
    articles, errors = load()
    first = [r.getMessage() for r in caplog.records]
    caplog.clear()
    again, errors_again = load()
    assert again == articles
    assert [(e.path, e.field, e.reason) for e in errors_again] == [(e.path, e.field, e.reason) for e in errors]
    assert any("bad.md" in m for m in first) and not any("bad.md" in r.getMessage() for r in caplog.records)
    assert any("also the slug of" in r.getMessage() for r in caplog.records)  # two files: recorded with neither


def test_a_damaged_snapshot_is_moved_aside_and_the_articles_loaded_from_the_files(blog, caplog):
    with publisher.Store(blog / "state") as store:
        first = publisher.load_articles(blog.content, blog.config(), store=store)

    def damage() -> None:
        with closing(sqlite3.connect(blog / "state" / "state.sqlite3")) as db, db:
            db.execute("UPDATE snapshot SET data = data || x'00'")  # one byte more: not what was stored

    damage()
    with publisher.Store(blog / "state") as store:
        assert publisher.load_articles(blog.content, blog.config(), store=store) == first
    assert "moved it to state.sqlite3.damaged-" in caplog.text
    assert len(list((blog / "state").glob("state.sqlite3.damaged-*"))) == 1
    damage()  # and found by a load of a changed folder, which takes the unchanged articles from it
    blog.add("new.md", title="Title new", date="2026-11-22", body="New.")
    with publisher.Store(blog / "state") as store:
        assert len(publisher.load_articles(blog.content, blog.config(), store=store)) == len(first) + 1
    assert caplog.text.count("moved it to state.sqlite3.damaged-") == 2
    assert len(list((blog / "state").glob("state.sqlite3.damaged-*"))) == 2  # within one second: both kept
    publisher.build(blog.config(state_dir=str(blog / "state")), now=NOW)  # and a build on that store goes on


def test_render_feeds_with_the_store_gives_what_it_gives_without_whatever_now_is(blog):
    blog.add("same-day.md", title="Same day", date="2026-11-21", tags="[b]")  # two.md's date: the slug decides
    blog.add("draft.md", title="Draft", date="2026-11-19", draft="true")
    blog.add("later.md", title="Later", date="2026-11-25")  # scheduled until then
    config = blog.config()
    moments = ("2025-01-01T00:00:00+00:00", "2026-11-21T00:00:00+00:00", NOW.isoformat(), "2027-01-01T00:00:00+00:00")
    with publisher.Store(blog / "state") as store:
        publisher.load_articles(blog.content, config, store=store)
        articles = publisher.load_articles(blog.content, config, store=store)  # from the snapshot
        assert all(isinstance(vars(a)["_body"], FileBody) for a in articles)
        for moment in moments:
            now = publisher.parse_date(moment)
            plain = publisher.render_feeds(articles, config, now=now)
            for _ in range(2):  # planned, then known from the store
                assert dict(publisher.render_feeds(articles, config, now=now, store=store)) == plain


@pytest.mark.parametrize("how", ["title", "html"])
def test_an_article_its_caller_changed_is_rendered_afresh_not_taken_from_its_file(blog, how):
    """A caller that changes an article the load gave (a host rewriting titles, or giving the HTML its
    own pages hold) keeps its file's path; the store must not answer for it from what the file made."""
    config = blog.config()
    out = blog / "out"
    change = {"title": "Title changed"} if how == "title" else {"html": "<p>The host's own HTML.</p>"}
    with publisher.Store(blog / "state") as store:
        articles = publisher.load_articles(blog.content, config, store=store)
        publisher.write_feeds(publisher.render_feeds(articles, config, now=NOW, store=store), out, store=store)
        changed = [dataclasses.replace(a, **change) if a.title == "Title one" else a for a in articles]
        feeds = publisher.render_feeds(changed, config, now=NOW, store=store)
        assert dict(feeds) == dict(publisher.render_feeds(changed, config, now=NOW))
        written = publisher.write_feeds(feeds, out, store=store)
    holding = {"atom.xml", "rss.xml", "feed.json", "tags/a.atom.xml", "tags/b.json"}
    assert holding <= set(written)
    text = "Title changed" if how == "title" else "own HTML"
    assert all(text in (out / name).read_text(encoding="utf-8") for name in holding)


@pytest.mark.parametrize("how", ["store", "build"])
def test_a_cover_whose_link_now_names_another_file_gets_that_files_length(site, how):
    """A cover in the static folder that is a symbolic link (a theme's current image) was measured
    through the file it named at the first render: pointed at a bigger file, the store and build's
    nothing-changed check found that first file unchanged and kept its length in every enclosure."""
    blog = site(title="Covers", url="https://covers.example.org/", static="static")
    images = blog / "static" / "img"
    images.mkdir(parents=True)
    (images / "small.png").write_bytes(b"x" * 100)
    (images / "big.png").write_bytes(b"y" * 5000)
    (images / "cover.png").symlink_to("small.png")
    blog.add("one.md", title="One", date="2026-11-20", body="Body.", image="/img/cover.png")
    config, out = blog.config(), blog / "out"

    def run() -> None:
        if how == "build":
            publisher.build(config, now=NOW)
            return
        with publisher.Store(blog / "state") as store:
            articles = publisher.load_articles(blog.content, config, store=store)
            publisher.write_feeds(publisher.render_feeds(articles, config, now=NOW, store=store), out, store=store)

    run(), run()
    (images / "cover.png").unlink()
    (images / "cover.png").symlink_to("big.png")
    run()
    cold = dict(publisher.render_feeds(publisher.load_articles(blog.content, config), config, now=NOW))
    assert b'length="5000"' in cold["rss.xml"]
    written = blog.out if how == "build" else out
    assert {name: (written / name).read_bytes() for name in cold} == cold


def test_render_feeds_with_another_config_than_the_load_gives_what_that_config_gives(blog):
    """The store's render memo and HTML were keyed by the settings of the load's Config: a caller that
    renders the articles it loaded under another (its own site title) got the load's feeds, unwritten."""
    config, out = blog.config(), blog / "out"
    retitled = dataclasses.replace(config, site=dataclasses.replace(config.site, title="Another title"))
    with publisher.Store(blog / "state") as store:
        for _ in range(2):  # the second from the snapshot, with its render memo recorded
            articles = publisher.load_articles(blog.content, config, store=store)
            publisher.write_feeds(publisher.render_feeds(articles, config, now=NOW, store=store), out, store=store)
        articles = publisher.load_articles(blog.content, config, store=store)
        feeds = publisher.render_feeds(articles, retitled, now=NOW, store=store)
        publisher.write_feeds(feeds, out, store=store)
        cold = dict(publisher.render_feeds(publisher.load_articles(blog.content, retitled), retitled, now=NOW))
        assert dict(feeds) == cold and b"Another title" in cold["atom.xml"]
    assert {name: (out / name).read_bytes() for name in cold} == cold


def test_a_build_after_a_library_caller_wrote_its_folder_writes_what_it_would_have(blog):
    """A library caller with build's store and output folder but another ``now`` (a scheduled article
    published ahead) rewrote the feeds; the next build found every file as the store last recorded it
    and said nothing changed, leaving the scheduled article in the live feeds."""
    blog.add("later.md", title="Title later", date="2026-12-20", body="Scheduled.")
    config = blog.config(state_dir=str(blog / "state"))
    assert not publisher.build(config, now=NOW).nothing_changed
    ahead = publisher.parse_date("2027-01-01T00:00:00+00:00")
    with publisher.Store(blog / "state") as store:
        articles = publisher.load_articles(config.content_folder, config, store=store)
        feeds = publisher.render_feeds(articles, config, now=ahead, store=store)
        assert "atom.xml" in publisher.write_feeds(feeds, config.output_folder, store=store)
    again = publisher.build(config, now=NOW)
    cold = dict(publisher.render_feeds(publisher.load_articles(blog.content, config), config, now=NOW))
    assert not again.nothing_changed and "atom.xml" in again.written
    assert {name: (config.output_folder / name).read_bytes() for name in cold} == cold
    assert publisher.build(config, now=NOW).nothing_changed  # and the one after trusts it again


@pytest.mark.parametrize("how", ["store", "build"])
def test_another_content_folder_whose_file_has_the_same_name_size_and_mtime_is_read(blog, how):
    """The store's records of files are by path under the content folder: a copy of the folder made
    with its mtimes (cp -p, rsync -a) whose one.md was edited to the same size gave the first folder's
    article for it, with a store and in a build whose content folder changed."""
    other = blog / "other"
    shutil.copytree(blog.content, other)  # copy2: each file's mtime kept
    one = other / "one.md"
    stat = one.stat()
    one.write_text(one.read_text().replace("Title one", "Title XXX"))
    os.utime(one, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    config = blog.config(state_dir=str(blog / "state"))
    if how == "build":
        publisher.build(config, now=NOW)
        moved = blog.config(state_dir=str(blog / "state"), content="other")
        publisher.build(moved, now=NOW)
        assert b"Title XXX" in (moved.output_folder / "atom.xml").read_bytes()
        return
    with publisher.Store(blog / "state") as store:
        publisher.load_articles(blog.content, config, store=store)
        titles = [a.title for a in publisher.load_articles(other, config, store=store)]
        again = [a.title for a in publisher.load_articles(other, config, store=store)]
    assert titles == again == ["Title old", "Title XXX", "Title two"]
