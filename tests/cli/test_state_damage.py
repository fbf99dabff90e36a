"""A state database damaged anywhere never stops cron: wherever the damage is found, the database is
moved aside with one warning and the build goes on as a full one whose output equals a cold build's."""

from __future__ import annotations

import random
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.test_engine import files

PAGE = 4096  # SQLite's default page size, which the state database uses
WAL_HEADER, FRAME_HEADER = 32, 24  # https://www.sqlite.org/fileformat.html#the_write_ahead_log
SET_ASIDE = "moved it to state.sqlite3.damaged-"
KINDS = (
    "sqlite_schema",
    "meta",
    "sources",
    "sqlite_autoindex_sources_1",
    "html",
    "html overflow",
    "entries",
    "entries overflow",
    "outputs",
    "statics",
)


@pytest.fixture
def damaged_site(site):
    """A site of 30 articles, a few long enough that their HTML overflows onto pages of its own."""
    made = site(title="Damage", url="https://damage.example.org/", feeds={"tags": True})
    for i in range(30):
        body = f"Article {i} says [something](https://example.org/{i}).\n\n" * (300 if i % 7 == 0 else 3)
        made.add(
            f"posts/p{i:02}.md",
            title=f"P{i}",
            date=f"2026-{i % 11 + 1:02}-{i % 27 + 1:02}",
            tags=f"[t{i % 4}]",
            body=body,
        )
    return made


def _newsletter_records(site) -> list[str]:
    """A delivery in the journal and an unsubscribed address: what damage to the build's cache must never take."""
    from publisher.email.store.database import open_newsletter
    from publisher.email.store.journal import record_delivery, start_issue
    from publisher.email.store.subscribers import set_status

    with open_newsletter(site.config()) as db:
        start_issue(db, "2026-11-20-weekly", "Weekly", "<p>Hi</p>", "Hi")
        record_delivery(db, "2026-11-20-weekly", "reader@example.org", "sent", "token-1")
        set_status(db, "gone@example.org", "unsubscribed", "asked")
    return _dump(site)


def _dump(site) -> list[str]:
    with closing(sqlite3.connect(site / ".publisher" / "newsletter.sqlite3")) as db:
        return list(db.iterdump())


def _edit(site) -> None:
    site.add("posts/p05.md", title="P5 edited", date="2026-06-06", tags="[t1]", body="Edited.")


def _cold(site, cli, tmp_path: Path) -> dict[str, bytes]:
    """What a build with no state writes for the site as it is now."""
    cold = tmp_path / "cold"
    shutil.copytree(site.root, cold, ignore=shutil.ignore_patterns(".publisher", "feeds"))
    assert cli.on(cold, "build").code == 0
    return files(cold / "feeds")


def _used_pages(db_path: Path) -> dict[int, str]:
    """page number -> what it holds ("sources", "html overflow", ...)."""
    with closing(sqlite3.connect(db_path)) as db:
        rows = db.execute("SELECT pageno, name, pagetype FROM dbstat ORDER BY pageno")
        return {page: name + (" overflow" if kind == "overflow" else "") for page, name, kind in rows}


def _overwrite(path: Path, offset: int, seed: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(random.Random(seed).randbytes(PAGE))


def _run_damaged(site, cli, pristine: Path, name: str, offset: int) -> tuple[int, str]:
    """Restore the pristine state and output, damage the page at ``offset`` of ``name``, build."""
    state, out = site / ".publisher", site / "feeds"
    shutil.rmtree(state)
    shutil.rmtree(out)
    shutil.copytree(pristine / "state", state)
    shutil.copytree(pristine / "feeds", out)
    _overwrite(state / name, offset, offset)
    ran = cli.on(site, "build")
    return ran.code, ran.err


def test_pages_damaged_at_ten_offsets_are_each_moved_aside_once_and_the_build_equals_a_cold_one(
    damaged_site, cli, tmp_path
):
    site = damaged_site
    assert cli.on(site, "build").code == 0
    newsletter = _newsletter_records(site)
    assert any("gone@example.org" in line for line in newsletter) and any("token-1" in line for line in newsletter)
    pristine = tmp_path / "pristine"
    shutil.copytree(site / ".publisher", pristine / "state")
    shutil.copytree(site / "feeds", pristine / "feeds")
    _edit(site)
    cold = _cold(site, cli, tmp_path)
    holds = _used_pages(pristine / "state" / "state.sqlite3")
    # Ten pages at ten offsets, one of each kind: the header and schema, each table's b-tree, an index,
    # the HTML and entries that overflow a page (the middle page of each kind).
    chosen = []
    for kind in KINDS:
        pages = [page for page, holding in holds.items() if holding == kind]
        assert pages, f"no page holds {kind}: {sorted(set(holds.values()))}"
        chosen.append(pages[len(pages) // 2])
    found = 0
    for page in chosen:
        code, err = _run_damaged(site, cli, pristine, "state.sqlite3", (page - 1) * PAGE)
        assert code == 0 and "bug" not in err, (page, err)
        # A build reads every page but those of the kept HTML and entries of articles whose outputs
        # it does not make again: damage there is found by the first build that reads it.
        if holds[page] not in ("html overflow", "entries", "entries overflow"):
            assert err.count(SET_ASIDE) == 1, (page, holds[page], err)
        assert err.count(SET_ASIDE) <= 1, (page, err)
        found += err.count(SET_ASIDE)
        assert files(site / "feeds") == cold, f"page {page}: the output differs from a cold build's"
        assert _dump(site) == newsletter, f"page {page}: the newsletter's journal or suppressions changed"
        if err.count(SET_ASIDE):
            again = cli.on(site, "build")
            assert again.code == 0 and again.err == "", (page, again.err)  # recovered for good: nothing to say
    assert found >= 7, f"only {found} of the 10 damaged pages were found"


def test_a_damaged_write_ahead_log_falls_back_to_its_last_whole_commit_and_the_build_equals_a_cold_one(
    damaged_site, cli, tmp_path
):
    site = damaged_site
    db_path = site / ".publisher" / "state.sqlite3"
    site.add("placeholder.md", title="Placeholder", date="2026-01-01", body="x")
    assert cli.on(site, "build").code == 0
    (site.content / "placeholder.md").unlink()
    # A reader kept open: the build's commits stay in the write-ahead log, as when a build is killed.
    with closing(sqlite3.connect(db_path, isolation_level=None)) as keeper:
        keeper.execute("BEGIN")
        keeper.execute("SELECT count(*) FROM meta").fetchone()  # a read transaction: no checkpoint passes it
        ran = cli.on(site, "build")
        assert ran.code == 0, ran.err
        wal = Path(f"{db_path}-wal")
        assert wal.stat().st_size > WAL_HEADER + 10 * (FRAME_HEADER + PAGE)
        pristine = tmp_path / "pristine"
        shutil.copytree(site / ".publisher", pristine / "state", ignore=shutil.ignore_patterns("*-shm"))
        shutil.copytree(site / "feeds", pristine / "feeds")
        frames = (wal.stat().st_size - WAL_HEADER) // (FRAME_HEADER + PAGE)
    _edit(site)
    cold = _cold(site, cli, tmp_path)
    for i in range(10):
        frame = round(i * (frames - 1) / 9)
        offset = WAL_HEADER + frame * (FRAME_HEADER + PAGE) + FRAME_HEADER
        code, err = _run_damaged(site, cli, pristine, "state.sqlite3-wal", offset)
        # SQLite checks each frame's checksum and drops the damaged one and those after it: the
        # database is as its last whole commit left it, which a build can always build on.
        assert code == 0 and err.count(SET_ASIDE) <= 1 and "bug" not in err, (frame, err)
        assert files(site / "feeds") == cold, f"frame {frame}: the output differs from a cold build's"
