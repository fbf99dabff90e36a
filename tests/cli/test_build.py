"""`publisher build` and `publisher check`: exit codes, what they print, flags over the configuration."""

from __future__ import annotations

import logging
import shutil

import feedparser
import pytest

from tests.conftest import ROOT, Ran, run_publisher


@pytest.fixture
def posts(site):
    """A small site: three good articles, no output yet."""
    made = site(title="CLI Site", url="https://cli.example.org/", output="out")
    for n in (1, 2, 3):
        made.add(f"post-{n}.md", title=f"Post {n}", date=f"2025-0{n}-01", body=f"Body of Post {n}.")
    return made


def test_build_is_silent_on_success_and_writes_the_feeds(posts, cli):
    ran = cli.on(posts, "build")
    assert (ran.code, ran.out, ran.err) == (0, "", "")
    feed = feedparser.parse((posts.out / "atom.xml").read_bytes())
    assert feed.bozo == 0 and [e.title for e in feed.entries] == ["Post 3", "Post 2", "Post 1"]


def test_main_leaves_the_logger_as_it_found_it(posts, cli, caplog):
    """A program that calls main() in-process keeps its own logging: after the run, publisher's records
    reach the program's handlers again, not the finished run's stderr."""
    logger = logging.getLogger("publisher")
    before = (logger.handlers[:], logger.propagate, logger.level)
    assert cli.on(posts, "build", "-v").code == 0
    assert (logger.handlers, logger.propagate, logger.level) == before
    with caplog.at_level(logging.WARNING, logger="publisher"):
        logger.warning("after the run")
    assert "after the run" in caplog.text


def test_verbose_says_what_was_written(posts, cli):
    ran = cli.on(posts, "build", "-v")
    assert ran.code == 0 and "wrote " in ran.err


def test_verbose_lists_the_skipped_articles_still_there_on_every_build(posts, cli):
    posts.add("broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    problem = f"{posts.content / 'broken.md'}:3: publishDate: '2025-13-45' is not a date"
    for run in range(3):  # reported when first seen; -v names it again on each later build, once
        ran = cli.on(posts, "build", "-v")
        assert ran.code == 0 and ran.err.count(problem) == 1, ran.err
        assert (f"publisher: skipped {problem}" if run == 0 else f"publisher: still skipped {problem}") in ran.err
        if run == 1:  # the second build found nothing changed; the third finds an edit
            posts.add("post-1.md", title="Post 1", date="2025-01-01", body="Edited.")
    assert problem not in cli.on(posts, "build").err  # without -v, only the build that first saw it says so


def test_a_bad_article_is_reported_and_skipped(posts, cli):
    posts.add("broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    ran = cli.on(posts, "build")
    assert ran.code == 0
    assert "broken.md:3: publishDate: '2025-13-45' is not a date" in ran.err
    assert "3 articles published, 1 skipped (1 bad date)" in ran.err
    assert len(feedparser.parse((posts.out / "rss.xml").read_bytes()).entries) == 3


def test_strict_makes_a_bad_article_fatal_and_writes_nothing(posts, cli):
    posts.add("broken.md", "---\ntitle: Broken\n---\n")
    ran = cli.on(posts, "build", "--strict")
    assert ran.code == 1 and "broken.md: no date: looked for publishDate" in ran.err
    assert not list(posts.out.rglob("*.xml"))


def test_flags_override_the_config(posts, cli, tmp_path):
    other = tmp_path / "elsewhere"
    assert cli.on(posts, "build", "--out", other).code == 0
    assert (other / "rss.xml").is_file() and not posts.out.exists()


def test_now_decides_what_is_published(posts, cli):
    assert cli.on(posts, "build", now="2025-02-15").code == 0
    feed = feedparser.parse((posts.out / "atom.xml").read_bytes())
    assert [e.title for e in feed.entries] == ["Post 2", "Post 1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--now", "soon"], "--now: 'soon' is not a date"), (["--config", "/nonexistent.toml"], "no such configuration")],
)
def test_usage_errors_exit_2(posts, cli, args, message):
    if "--config" not in args:
        args = ["--config", posts.config_file, *args]
    ran = cli("build", *args)
    assert ran.code == 2 and message in ran.err


def test_unknown_flag_exits_2(cli):
    ran = cli("build", "--bogus")
    assert ran.code == 2 and "unrecognized arguments: --bogus" in ran.err


def test_config_with_an_unknown_key_names_it(site, cli):
    typo = site(titel="typo")
    ran = cli.on(typo, "build", now=None)
    assert ran.code == 2 and "titel: unknown setting" in ran.err


def test_running_twice_leaves_every_output_byte_identical_and_untouched(posts, cli):
    def state(out):
        return {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in out.rglob("*") if p.is_file()}

    assert cli.on(posts, "build").code == 0
    before = state(posts.out)
    assert cli.on(posts, "build").code == 0
    assert state(posts.out) == before


def test_python_dash_m_and_the_bundled_content(tmp_path):
    """The README's first command, minus the install: build the bundled content/ from a copy."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "publisher.toml", tmp_path / "publisher.toml")
    proc = run_publisher("build", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    for name in ("atom.xml", "rss.xml", "featured.atom.xml", "featured.rss.xml"):
        assert feedparser.parse((tmp_path / "feeds" / name).read_bytes()).bozo == 0


@pytest.mark.parametrize(
    "setting, message",
    [
        ('permalink = "/{year}/{titel}/"', "permalink: '/{year}/{titel}/' is not a pattern publisher can fill"),
        ('timezone = "Mars/Olympus"', "publisher.toml: timezone: 'Mars/Olympus' is not a known time zone"),
        ('templates = "no-such-folder"', "no-such-folder: no such folder"),
        ("[digets]\nlimit = 3", "known: "),
    ],
)
def test_configuration_mistakes_exit_2_with_the_file_and_setting(posts, cli, setting, message):
    with posts.config_file.open("a") as fh:  # as written, mistakes and all
        fh.write(setting + "\n")
    ran = cli.on(posts, "build")
    assert ran.code == 2
    assert message in ran.err and "Traceback" not in ran.err
    if "digets" in setting:
        assert "[digest]" in ran.err


def test_a_missing_content_folder_is_a_usage_error(posts, cli):
    ran = cli.on(posts, "build", "--content", posts / "nowhere")
    assert ran.code == 2 and "nowhere: no such content folder" in ran.err


def test_when_every_article_fails_the_live_feeds_are_left_alone(posts, cli):
    assert cli.on(posts, "build").code == 0
    before = (posts.out / "atom.xml").read_bytes()
    posts.configure(fields={"published": "pubDate"})  # a wrong mapping: every article lacks pubDate
    ran = cli.on(posts, "build")
    assert ran.code == 1 and "none of the 3 articles could be loaded; nothing written" in ran.err
    assert "post-1.md: no date: looked for pubDate" in ran.err  # "the messages above" are there
    assert (posts.out / "atom.xml").read_bytes() == before


def test_a_negative_lock_timeout_is_a_usage_error(posts, cli):
    ran = cli.on(posts, "build", "--lock-timeout", "-1")
    assert ran.code == 2 and "not a number of seconds" in ran.err


def test_files_that_are_not_articles_keep_a_build_silent(posts, cli):
    posts.add("moved.md", "---\nredirect: /post-1/\n---\n")
    posts.add("list.md", "---\nlayout: list\n---\nAll posts.\n")
    for _ in range(2):  # the full build, then the nothing-changed one
        ran = cli.on(posts, "build")
        assert (ran.code, ran.out, ran.err) == (0, "", "")
    posts.add("broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    ran = cli.on(posts, "build")
    assert ran.code == 0
    assert "moved.md" not in ran.err and "list.md" not in ran.err
    assert "3 articles published, 3 skipped (1 bad date, 2 not an article)" in ran.err


def test_check_lists_every_current_problem(posts, cli):
    posts.add("broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    posts.add("moved.md", "---\nredirect: /post-1/\n---\n")
    assert cli.on(posts, "build").code == 0
    assert cli.on(posts, "build").code == 0  # the problem was reported; check still lists it
    ran = cli.on(posts, "check", now=None)
    assert ran.code == 1
    assert ran.out.splitlines() == [
        f"{posts.content / 'broken.md'}:3: publishDate: '2025-13-45' is not a date (expected YYYY-MM-DD or ISO 8601)"
    ]
    assert ran.err == "1 problem\n"
    (posts.content / "broken.md").unlink()
    assert cli.on(posts, "check", now=None) == Ran(0, "3 articles, all publishable\n", "")
    # build counts only what is published by now; check says which of its articles are not, so the two agree
    posts.add("draft.md", "---\ntitle: Draft\ndate: 2025-01-01\ndraft: true\n---\n")
    posts.add("soon.md", "---\ntitle: Soon\ndate: 2999-01-01\n---\n")
    posts.add("later.md", "---\ntitle: Later\ndate: 2999-01-02\n---\n")
    expected = "6 articles, all publishable (1 draft and 2 dated later, not in the feeds yet)\n"
    assert cli.on(posts, "check", now=None) == Ran(0, expected, "")
