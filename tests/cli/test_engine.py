"""publisher.build(): the library's build pipeline, its state store, and the CLI on top of it."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_a_state_folder_inside_the_output_folder_is_refused(site, capsys):
    (site / "publisher.toml").write_text(CONFIG.replace("[feeds]", 'state_dir = "feeds/state"\n[feeds]'))
    assert main(["build", "--config", str(site / "publisher.toml")]) == 2
    assert "state_dir" in capsys.readouterr().err
    assert not (site / "feeds" / "state").exists()
