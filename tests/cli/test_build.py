from __future__ import annotations

import os
import shutil
import subprocess
import sys

import feedparser
import pytest

from publisher.cli import main
from tests.conftest import ROOT, write_article

GOOD = "---\ntitle: {title}\npublishDate: 2025-0{n}-01\n---\nBody of {title}.\n"


@pytest.fixture
def site(tmp_path):
    """A small site: config, three good articles, no output yet."""
    (tmp_path / "publisher.toml").write_text(
        'title = "CLI Site"\nurl = "https://cli.example.org/"\ncontent = "content"\noutput = "out"\n'
    )
    for n in (1, 2, 3):
        write_article(tmp_path / "content", f"post-{n}.md", GOOD.format(title=f"Post {n}", n=n))
    return tmp_path


def run(site, *args):
    return main(["build", "--config", str(site / "publisher.toml"), "--now", "2026-01-01", *args])


def test_build_is_silent_on_success_and_writes_the_feeds(site, capsys):
    assert run(site) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    feed = feedparser.parse((site / "out" / "atom.xml").read_bytes())
    assert feed.bozo == 0 and [e.title for e in feed.entries] == ["Post 3", "Post 2", "Post 1"]


def test_verbose_says_what_was_written(site, capsys):
    assert run(site, "-v") == 0
    assert "wrote " in capsys.readouterr().err


def test_a_bad_article_is_reported_and_skipped(site, capsys):
    write_article(site / "content", "broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    assert run(site) == 0
    err = capsys.readouterr().err
    assert "broken.md:3: publishDate: '2025-13-45' is not a date" in err
    assert "3 articles published, 1 skipped (1 bad date)" in err
    assert len(feedparser.parse((site / "out" / "rss.xml").read_bytes()).entries) == 3


def test_strict_makes_a_bad_article_fatal_and_writes_nothing(site, capsys):
    write_article(site / "content", "broken.md", "---\ntitle: Broken\n---\n")
    assert run(site, "--strict") == 1
    assert "broken.md: no date: looked for publishDate" in capsys.readouterr().err
    assert not list((site / "out").rglob("*.xml"))


def test_flags_override_the_config(site, tmp_path):
    other = tmp_path / "elsewhere"
    assert run(site, "--out", str(other)) == 0
    assert (other / "rss.xml").is_file() and not (site / "out").exists()


def test_now_decides_what_is_published(site):
    assert main(["build", "--config", str(site / "publisher.toml"), "--now", "2025-02-15"]) == 0
    feed = feedparser.parse((site / "out" / "atom.xml").read_bytes())
    assert [e.title for e in feed.entries] == ["Post 2", "Post 1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--now", "soon"], "--now: 'soon' is not a date"), (["--config", "/nonexistent.toml"], "no such configuration")],
)
def test_usage_errors_exit_2(site, capsys, args, message):
    if "--config" not in args:
        args = ["--config", str(site / "publisher.toml"), *args]
    assert main(["build", *args]) == 2
    assert message in capsys.readouterr().err


def test_unknown_flag_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["build", "--bogus"])
    assert info.value.code == 2


def test_config_with_an_unknown_key_names_it(tmp_path, capsys):
    (tmp_path / "publisher.toml").write_text('title = "T"\nurl = "https://e.org/"\ntitel = "typo"\n')
    assert main(["build", "--config", str(tmp_path / "publisher.toml")]) == 2
    assert "titel: unknown setting" in capsys.readouterr().err


def test_running_twice_leaves_every_output_byte_identical_and_untouched(site):
    def state(out):
        return {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in out.rglob("*") if p.is_file()}

    assert run(site) == 0
    before = state(site / "out")
    assert run(site) == 0
    assert state(site / "out") == before


def test_python_dash_m_and_the_bundled_content(tmp_path):
    """The README's first command, minus the install: build the bundled content/ from a copy."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "publisher.toml", tmp_path / "publisher.toml")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "publisher", "build"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    for name in ("atom.xml", "rss.xml", "featured.atom.xml", "featured.rss.xml"):
        assert feedparser.parse((tmp_path / "feeds" / name).read_bytes()).bozo == 0


@pytest.mark.parametrize("setting, message", [
    ('permalink = "/{year}/{titel}/"', "permalink: '/{year}/{titel}/' is not a pattern publisher can fill"),
    ('timezone = "Mars/Olympus"', "publisher.toml: timezone: 'Mars/Olympus' is not a known time zone"),
    ('templates = "no-such-folder"', "no-such-folder: no such folder"),
    ("[digets]\nlimit = 3", "known: "),
])
def test_configuration_mistakes_exit_2_with_the_file_and_setting(site, capsys, setting, message):
    with (site / "publisher.toml").open("a") as fh:
        fh.write(setting + "\n")
    assert run(site) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    if "digets" in setting:
        assert "[digest]" in err


def test_a_missing_content_folder_is_a_usage_error(site, capsys):
    assert run(site, "--content", str(site / "nowhere")) == 2
    assert "nowhere: no such content folder" in capsys.readouterr().err


def test_when_every_article_fails_the_live_feeds_are_left_alone(site, capsys):
    assert run(site) == 0
    before = (site / "out" / "atom.xml").read_bytes()
    with (site / "publisher.toml").open("a") as fh:
        fh.write('[fields]\npublished = "pubDate"\n')  # a wrong mapping: every article lacks pubDate
    assert run(site) == 1
    err = capsys.readouterr().err
    assert "none of the 3 articles could be loaded; nothing written" in err
    assert (site / "out" / "atom.xml").read_bytes() == before


def test_a_negative_lock_timeout_is_a_usage_error(site, capsys):
    with pytest.raises(SystemExit) as exit_:
        run(site, "--lock-timeout", "-1")
    assert exit_.value.code == 2 and "not a number of seconds" in capsys.readouterr().err


def test_files_that_are_not_articles_keep_a_build_silent(site, capsys):
    write_article(site / "content", "moved.md", "---\nredirect: /post-1/\n---\n")
    write_article(site / "content", "list.md", "---\nlayout: list\n---\nAll posts.\n")
    for _ in range(2):  # the full build, then the nothing-changed one
        assert run(site) == 0
        assert capsys.readouterr() == ("", "")
    write_article(site / "content", "broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    assert run(site) == 0
    err = capsys.readouterr().err
    assert "moved.md" not in err and "list.md" not in err
    assert "3 articles published, 3 skipped (1 bad date, 2 not an article)" in err


def test_check_lists_every_current_problem(site, capsys):
    write_article(site / "content", "broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    write_article(site / "content", "moved.md", "---\nredirect: /post-1/\n---\n")
    assert run(site) == 0
    assert run(site) == 0  # the problem was reported; check still lists it
    capsys.readouterr()
    assert main(["check", "--config", str(site / "publisher.toml")]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{site / 'content' / 'broken.md'}:3: publishDate: '2025-13-45' is not a date "
                                "(expected YYYY-MM-DD or ISO 8601)"]
    assert err == "1 problem\n"
    (site / "content" / "broken.md").unlink()
    assert main(["check", "--config", str(site / "publisher.toml")]) == 0
    assert capsys.readouterr() == ("", "")
