"""publisher.build(): the library's build pipeline, its state store, and the CLI on top of it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

import publisher
from publisher.cli import main
from tests.conftest import ROOT, write_article

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CONFIG = 'title = "Engine"\nurl = "https://engine.example.org/"\n[feeds]\ntags = true\ncategories = true\n'


def post(site: Path, name: str, date: str = "2026-11-20", **fields: str) -> Path:
    extra = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return write_article(site / "content", name, f"---\ntitle: {name}\npublishDate: {date}\n{extra}---\n"
                                                 f"Body of *{name}*.\n")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "publisher.toml").write_text(CONFIG)
    post(tmp_path, "one.md", tags="[a, b]", category="news")
    post(tmp_path, "two.md", "2026-11-21", tags="[b]", featured="true")
    post(tmp_path, "three.md", "2025-06-01", tags="[c]")
    return tmp_path


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def config_of(site: Path, **overrides: str) -> publisher.Config:
    return publisher.load_config(site / "publisher.toml", **overrides)


def test_the_library_build_is_the_cli_build(site, tmp_path_factory):
    other = tmp_path_factory.mktemp("library")
    for path in site.rglob("*"):
        if path.is_file():
            (other / path.relative_to(site)).parent.mkdir(parents=True, exist_ok=True)
            (other / path.relative_to(site)).write_bytes(path.read_bytes())
    assert main(["build", "--config", str(site / "publisher.toml"), "--now", NOW.isoformat()]) == 0
    result = publisher.build(config_of(other), now=NOW)
    assert files(site / "feeds") == files(other / "feeds")
    assert sorted(result.written) == sorted(files(other / "feeds")) and not result.unchanged
    assert result.published == 3 and not result.errors and not result.nothing_changed
    # A library caller gets the warm path too, whoever built last.
    assert main(["build", "--config", str(other / "publisher.toml"), "--now", NOW.isoformat()]) == 0
    again = publisher.build(config_of(other), now=NOW)
    assert again.nothing_changed and not again.written and sorted(again.unchanged) == sorted(result.written)


def test_the_output_folder_holds_only_what_is_published_and_the_state_one_database(site):
    publisher.build(config_of(site), now=NOW)
    published = [p.name for p in (site / "feeds").rglob("*") if p.name.startswith(".")]
    assert published == []
    assert sorted(p.name for p in (site / ".publisher").iterdir()) == [".gitignore", "state.sqlite3"]
    with closing(sqlite3.connect(site / ".publisher" / "state.sqlite3")) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"sources", "html", "outputs", "digests", "digest_articles"} <= tables
        assert db.execute("SELECT count(*) FROM sources").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM html").fetchone() == (3,)
    ignored = subprocess.run(["git", "check-ignore", "-q", ".publisher/state.sqlite3"], cwd=site,
                             env={**ENV, "GIT_DIR": str(site / "no-repo")}, capture_output=True)
    assert (site / ".publisher" / ".gitignore").read_text().strip().endswith("*")
    assert ignored.returncode in (0, 128)  # outside a repository git says nothing; the file is what counts


def test_one_changed_article_rerenders_only_the_outputs_that_hold_it(site):
    publisher.build(config_of(site), now=NOW)
    post(site, "three.md", "2025-06-01", tags="[c]", description="'Now with a summary'")
    result = publisher.build(config_of(site), now=NOW)
    assert "tags/c.atom.xml" in result.written and "archive/2025.atom.xml" in result.written
    assert "tags/a.atom.xml" in result.unchanged and "archive/2026.atom.xml" in result.unchanged
    with closing(sqlite3.connect(site / ".publisher" / "state.sqlite3")) as db:
        assert db.execute("SELECT count(*) FROM html").fetchone() == (3,)  # replaced, not added


def test_a_bad_article_is_reported_by_the_build_that_first_sees_it_then_not_again(site):
    write_article(site / "content", "broken.md", "---\ntitle: Broken\npublishDate: '2025-13-45'\n---\nx\n")
    run = [sys.executable, "-m", "publisher", "build", "--now", NOW.isoformat()]
    first = subprocess.run(run, cwd=site, env=ENV, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0
    assert first.stderr.count("broken.md") == 1 and "'2025-13-45' is not a date" in first.stderr
    assert "3 articles published, 1 skipped (1 bad date)" in first.stderr
    second = subprocess.run(run, cwd=site, env=ENV, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and second.stderr == ""  # under cron: no mail
    post(site, "four.md", "2026-11-22")  # something else changes: still not repeated
    third = subprocess.run(run, cwd=site, env=ENV, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and third.stderr == ""
    listed = subprocess.run([*run, "-v"], cwd=site, env=ENV, capture_output=True, text=True, timeout=120)
    assert "1 skipped" in listed.stderr  # -v still counts it
    result = publisher.build(config_of(site), now=NOW)
    assert [e.reason for e in result.errors] == ["bad date"] and result.reported == ()
    write_article(site / "content", "broken.md", "---\ntitle: Broken\npublishDate: 'soon'\n---\nx\n")
    fourth = subprocess.run(run, cwd=site, env=ENV, capture_output=True, text=True, timeout=120)
    assert "'soon' is not a date" in fourth.stderr  # changed: reported again
    strict = subprocess.run([*run, "--strict"], cwd=site, env=ENV, capture_output=True, text=True, timeout=120)
    assert strict.returncode == 1 and "broken.md" in strict.stderr


def test_a_damaged_database_is_moved_aside_once_and_the_build_is_a_full_one(site, caplog):
    config = config_of(site)
    publisher.build(config, now=NOW)
    before = files(site / "feeds")
    (site / ".publisher" / "state.sqlite3").write_bytes(b"\0garbage" * 512)
    result = publisher.build(config, now=NOW)
    assert not result.nothing_changed and files(site / "feeds") == before
    assert sum("moved it to state.sqlite3.damaged-" in r.message for r in caplog.records) == 1
    caplog.clear()
    assert publisher.build(config, now=NOW).nothing_changed and not caplog.records


def test_a_foreign_database_is_moved_aside_too(site, caplog):
    (site / ".publisher").mkdir()
    with closing(sqlite3.connect(site / ".publisher" / "state.sqlite3")) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema', '[\"someone else\", 7]')")
    publisher.build(config_of(site), now=NOW)
    assert any("from another version of publisher" in r.message for r in caplog.records)


def test_old_state_files_in_the_output_folder_are_taken_out_and_said_so_once(site, caplog):
    out = site / "feeds"
    out.mkdir()
    (out / ".publisher-cache").write_text('{"cache": "publisher build cache"}\n')
    (out / ".publisher.lock").write_text("")
    (out / ".digest-state.json").write_text('{"until": "2026-11-18T00:00:00+00:00", "sent": {}}')
    publisher.build(config_of(site), now=NOW)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    moved = [r.message for r in caplog.records if "the state now lives in" in r.message]
    assert len(moved) == 1 and ".digest-state.json" in moved[0] and ".publisher-cache" in moved[0]
    run = publisher.write_digest(config_of(site), publisher.DigestRequest(since_last=True), now=NOW)
    assert [a.slug for a in run.digest.articles] == ["two", "one"]  # after the imported cut-off


def test_a_scratch_build_into_another_folder_leaves_the_main_one_warm(site):
    publisher.build(config_of(site), now=NOW)
    scratch = publisher.build(config_of(site, output_dir=str(site / "then")), now=datetime(2025, 12, 1, tzinfo=UTC))
    assert scratch.published == 1
    assert publisher.build(config_of(site), now=NOW).nothing_changed


def test_a_state_folder_inside_the_output_folder_is_refused(site, capsys):
    (site / "publisher.toml").write_text(CONFIG.replace("[feeds]", 'state_dir = "feeds/state"\n[feeds]'))
    assert main(["build", "--config", str(site / "publisher.toml")]) == 2
    assert "state_dir" in capsys.readouterr().err
    assert not (site / "feeds" / "state").exists()


def test_a_scheduled_article_appears_when_its_time_comes(site):
    post(site, "later.md", "2026-11-26T08:00:00Z")
    assert publisher.build(config_of(site), now=NOW).published == 3
    assert publisher.build(config_of(site), now=datetime(2026, 11, 26, 7, tzinfo=UTC)).nothing_changed
    result = publisher.build(config_of(site), now=datetime(2026, 11, 26, 9, tzinfo=UTC))
    assert result.published == 4 and "atom.xml" in result.written


def test_a_file_only_touched_is_not_parsed_again(site, monkeypatch):
    publisher.build(config_of(site), now=NOW)
    path = site / "content" / "one.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    from publisher.content import load

    parsed = []
    original = load.article_from_bytes
    monkeypatch.setattr(load, "article_from_bytes", lambda *a: parsed.append(a[1]) or original(*a))
    result = publisher.build(config_of(site), now=NOW)
    assert parsed == [] and not result.written and not result.nothing_changed
    assert publisher.build(config_of(site), now=NOW).nothing_changed


def test_deleting_the_state_folder_gives_the_same_outputs(site):
    import shutil

    publisher.build(config_of(site), now=NOW)
    before = files(site / "feeds")
    shutil.rmtree(site / ".publisher")
    result = publisher.build(config_of(site), now=NOW)
    assert files(site / "feeds") == before and result.written == ()


@pytest.mark.parametrize("published, written, expected", [
    (1, ("atom.xml",), "1 article, 1 file: 1 written, 0 unchanged"),
    (1042, ("a", "b"), "1,042 articles, 2 files: 2 written, 0 unchanged"),
])
def test_the_summary_line_says_article_for_one(published, written, expected):
    assert publisher.BuildResult("feeds", written=written, published=published).summary() == expected
