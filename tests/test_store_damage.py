"""A library caller's ``publisher.Store`` on a damaged state database: whichever stage finds the damage
(load, render, write, or the mapping render gives making an output), the database is moved aside with
one warning and the call ends as a first call would, every output as a call without a store writes
it. The bundled site (content/, publisher.toml) from a copy; real SQLite, real files."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import publisher
from tests.conftest import NOW, ROOT
from tests.test_engine import files

SET_ASIDE = "moved it to state.sqlite3.damaged-"
PART_1 = "guides/image-to-video/part-1.md"


@pytest.fixture
def bundled(tmp_path: Path) -> tuple[publisher.Config, dict[str, bytes]]:
    """The bundled site, called once with a store (so its entries, HTML and outputs are kept), and what
    a call without a store writes for it."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "publisher.toml", tmp_path)
    config = publisher.load_config(tmp_path / "publisher.toml")
    articles = publisher.load_articles(config.content_folder, config)
    publisher.write_feeds(publisher.render_feeds(articles, config, now=NOW), tmp_path / "cold")
    assert call(config) != []
    return config, files(tmp_path / "cold")


def call(config: publisher.Config) -> list[str]:
    """The three public stages with the site's store, as docs/library.md shows them."""
    with publisher.Store(config.state_folder) as store:
        articles = publisher.load_articles(config.content_folder, config, store=store)
        feeds = publisher.render_feeds(articles, config, now=NOW, store=store)
        return publisher.write_feeds(feeds, config.output_folder, store=store)


def damage(config: publisher.Config, *statements: str) -> None:
    with closing(sqlite3.connect(config.state_folder / "state.sqlite3")) as db, db:
        for statement in statements:
            assert db.execute(statement).rowcount > 0, statement


def moved_aside(config: publisher.Config, caplog: pytest.LogCaptureFixture) -> None:
    """One warning, naming the copy kept for inspection, which is there."""
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and SET_ASIDE in warnings[0], warnings
    kept = list(config.state_folder.glob("state.sqlite3.damaged-*"))
    assert [path.name for path in kept] == [warnings[0].split("moved it to ")[1].split()[0]]


def recovers(config: publisher.Config, cold: dict[str, bytes], caplog: pytest.LogCaptureFixture, found: str) -> None:
    """A call into the emptied output folder finds ``found``, moves the database aside and writes every
    file as a call without a store does; the next call writes and says nothing (recovered for good)."""
    shutil.rmtree(config.output_folder)  # every output is written: each is made or taken from the store
    with caplog.at_level(logging.WARNING, logger="publisher"):
        written = call(config)
    assert found in caplog.text
    moved_aside(config, caplog)
    assert sorted(written) == sorted(cold) and files(config.output_folder) == cold
    caplog.clear()
    assert call(config) == [] and not caplog.records


def test_an_entry_kept_damaged_is_moved_aside_and_the_outputs_equal_a_call_without_a_store(bundled, caplog):
    config, cold = bundled
    damage(config, f"UPDATE entries SET data = X'00' WHERE rel = '{PART_1}' AND name = 'atom'")
    recovers(config, cold, caplog, f"the atom entry kept for {PART_1} is not what was stored")


# The damage each stage finds first, and the column it is found in.
STAGES = {
    # load, of a listing not the snapshot's (a file touched): the files' records, one of them not text
    "load": ("UPDATE sources SET record = CAST(X'FF' AS TEXT) WHERE rel = 'news/time-capsule-2031.md'", "record"),
    # render: what the outputs of these articles were made of
    "render": ("UPDATE meta SET value = CAST(X'FF' AS TEXT) WHERE key = 'rendered'", "value"),
    # write, before any output is planned or made: the outputs recorded in the folder
    "write": ("UPDATE outputs SET sha256 = CAST(X'FF' AS TEXT)", "sha256"),
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_damage_found_by_each_stage_is_moved_aside_and_the_outputs_equal_a_call_without_a_store(bundled, caplog, stage):
    config, cold = bundled
    statement, column = STAGES[stage]
    damage(config, statement)
    if stage == "load":
        path = config.content_folder / "news" / "time-capsule-2031.md"
        path.write_bytes(path.read_bytes())  # another mtime: the listing is not the snapshot's
    recovers(config, cold, caplog, f"Could not decode to UTF-8 column '{column}'")


def test_outputs_written_before_the_damage_was_found_are_written_again_from_the_fresh_store(bundled, caplog):
    """The atom entry of one article rewritten with its digest (damage no check can see) is spliced into
    atom.xml; its json entry, found damaged while feed.json is made, tells that nothing the store held can be
    trusted: atom.xml, written before, is written again as a call without a store writes it."""
    config, cold = bundled
    forged = b"<entry><title>Not what was stored</title></entry>"
    damage(
        config,
        f"UPDATE entries SET data = X'{forged.hex()}', sha256 = '{hashlib.sha256(forged).hexdigest()}'"
        f" WHERE rel = '{PART_1}' AND name = 'atom'",
        f"UPDATE entries SET data = X'00' WHERE rel = '{PART_1}' AND name = 'json'",
    )
    shutil.rmtree(config.output_folder)
    with publisher.Store(config.state_folder) as store:
        articles = publisher.load_articles(config.content_folder, config, store=store)
        feeds = publisher.render_feeds(articles, config, now=NOW, store=store)
        names = list(feeds)
        assert names.index("atom.xml") < names.index("feed.json")  # atom.xml is made (and written) first
        with caplog.at_level(logging.WARNING, logger="publisher"):
            written = publisher.write_feeds(feeds, config.output_folder, store=store)
    assert "the json entry kept for" in caplog.text
    moved_aside(config, caplog)
    assert sorted(written) == sorted(cold) and files(config.output_folder) == cold


def test_outputs_asked_for_by_the_caller_itself_are_planned_again_on_a_fresh_store(bundled, caplog):
    """Render's mapping read without write_feeds (a caller that puts the bytes somewhere of its own)."""
    config, cold = bundled
    damage(config, f"UPDATE entries SET data = X'00' WHERE rel = '{PART_1}' AND name = 'rss'")
    with publisher.Store(config.state_folder) as store:
        articles = publisher.load_articles(config.content_folder, config, store=store)
        feeds = publisher.render_feeds(articles, config, now=NOW, store=store)
        with caplog.at_level(logging.WARNING, logger="publisher"):
            made = {name: feeds[name] for name in feeds}
    moved_aside(config, caplog)
    assert made == cold


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE entries",
        "DROP TABLE snapshot",
        "ALTER TABLE outputs DROP COLUMN memo",
        "DROP INDEX sources_problems",
    ],
)
def test_a_table_missing_or_altered_is_damage_found_on_opening(bundled, caplog, statement):
    """A database that says it is publisher's, a table gone or changed: SQLite's 'no such table' is no
    damage code, and reached the caller as sqlite3.OperationalError from the stage that used it."""
    config, cold = bundled
    with closing(sqlite3.connect(config.state_folder / "state.sqlite3")) as db, db:
        db.execute(statement)
    recovers(config, cold, caplog, "it is from another version of publisher or not publisher's")


def test_a_compiled_template_kept_damaged_is_never_served(bundled, caplog):
    """The feeds page's compiled template is checked against its source's checksum, which says it is not
    stale, not that its bytes are what was stored: one letter of it changed in the database (a text of the
    page, 'Follow' made 'Fellow') was served in index.html. Kept with its own digest, it is compiled again."""
    config, cold = bundled
    with closing(sqlite3.connect(config.state_folder / "state.sqlite3")) as db, db:
        (key, value), *_ = db.execute("SELECT key, value FROM meta WHERE key LIKE 'template %'").fetchall()
        sha, text = json.loads(value)  # its digest kept as it was: the bytes alone damaged
        code = base64.b64decode(text)
        assert b"Follow " in code
        forged = [sha, base64.b64encode(code.replace(b"Follow ", b"Fellow ")).decode()]
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(forged), key))
    shutil.rmtree(config.output_folder)
    call(config)
    assert files(config.output_folder) == cold
