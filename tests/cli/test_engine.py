"""`publisher build` on top of publisher.build(): the same outputs, what cron sees, what it refuses."""

from __future__ import annotations

import shutil

import pytest

import publisher
from tests.conftest import NOW, NOW_ARG, run_publisher
from tests.test_engine import files, post, three_articles


@pytest.fixture
def blog(site):
    return three_articles(site)


def test_the_library_build_is_the_cli_build(blog, cli, tmp_path_factory):
    other = tmp_path_factory.mktemp("library")
    shutil.copytree(blog.root, other, dirs_exist_ok=True)
    assert cli.on(blog, "build").code == 0
    result = publisher.build(publisher.load_config(other / "publisher.toml"), now=NOW)
    assert files(blog.out) == files(other / "feeds")
    assert sorted(result.written) == sorted(files(other / "feeds")) and not result.unchanged
    assert result.published == 3 and not result.errors and not result.nothing_changed
    # A library caller gets the warm path too, whoever built last.
    assert cli.on(other, "build").code == 0
    again = publisher.build(publisher.load_config(other / "publisher.toml"), now=NOW)
    assert again.nothing_changed and not again.written and sorted(again.unchanged) == sorted(result.written)


def test_a_bad_article_is_reported_by_the_build_that_first_sees_it_then_not_again(blog):
    blog.add("broken.md", "---\ntitle: Broken\npublishDate: '2025-13-45'\n---\nx\n")
    first = run_publisher("build", "--now", NOW_ARG, cwd=blog)
    assert first.returncode == 0
    assert first.stderr.count("broken.md") == 1 and "'2025-13-45' is not a date" in first.stderr
    assert "3 articles published, 1 skipped (1 bad date)" in first.stderr
    second = run_publisher("build", "--now", NOW_ARG, cwd=blog)
    assert second.returncode == 0 and second.stderr == ""  # under cron: no mail
    post(blog, "four.md", "2026-11-22")  # something else changes: still not repeated
    third = run_publisher("build", "--now", NOW_ARG, cwd=blog)
    assert third.returncode == 0 and third.stderr == ""
    listed = run_publisher("build", "--now", NOW_ARG, "-v", cwd=blog)
    assert "1 skipped" in listed.stderr  # -v still counts it
    result = blog.build()
    assert [e.reason for e in result.errors] == ["bad date"] and result.reported == ()
    blog.add("broken.md", "---\ntitle: Broken\npublishDate: 'soon'\n---\nx\n")
    fourth = run_publisher("build", "--now", NOW_ARG, cwd=blog)
    assert "'soon' is not a date" in fourth.stderr  # changed: reported again
    strict = run_publisher("build", "--now", NOW_ARG, "--strict", cwd=blog)
    assert strict.returncode == 1 and "broken.md" in strict.stderr


def test_a_state_folder_inside_the_output_folder_is_refused(blog, cli):
    blog.configure(state_dir="feeds/state")
    ran = cli.on(blog, "build", now=None)
    assert ran.code == 2 and "state_dir" in ran.err
    assert not (blog / "feeds" / "state").exists()
