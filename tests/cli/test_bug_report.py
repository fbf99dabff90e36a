"""An exception publisher did not expect (a bug of ours): one clear line without -v, for cron mail, and
with -v the traceback that line promises, so that the report can say where it happened; a closed pipe
is not one."""

from __future__ import annotations

import argparse
import os
import subprocess

import pytest

import publisher.cli.build
from tests.conftest import PROCESS_ENV, publisher_command


def crashing_build(args: argparse.Namespace) -> int:
    # A bug inside a command: the command line must turn it into its one line (and -v's traceback).
    raise ZeroDivisionError("division by zero in crashing_build")


@pytest.fixture
def crashing(site, monkeypatch):
    monkeypatch.setattr(publisher.cli.build, "run_build", crashing_build)
    return site()


BUG_LINE = (
    "publisher: error: this is a bug in publisher, please report it: ZeroDivisionError: division by zero in "
    "crashing_build (run again with -v to see where it happened)"
)


def test_without_v_a_bug_is_one_clear_line(crashing, cli):
    ran = cli.on(crashing, "build")
    assert ran.code == 1
    assert ran.err.splitlines() == [BUG_LINE]


def test_with_v_the_traceback_shows_where_it_happened(crashing, cli):
    ran = cli.on(crashing, "build", "-v")
    assert ran.code == 1
    assert "Traceback (most recent call last):" in ran.err
    assert 'in crashing_build\n    raise ZeroDivisionError("division by zero in crashing_build")' in ran.err
    assert ran.err.splitlines()[-1] == BUG_LINE  # the one line still ends the report


def test_a_reader_that_stops_reading_is_no_bug(site):
    # `publisher links | head -1`: head exits after its line, and the next write finds the pipe closed.
    blog = site()
    blog.add("post.md", title="Post", date="2025-10-01")
    reader, writer = os.pipe()
    os.close(reader)
    try:
        ran = subprocess.run(
            publisher_command("links", "--config", blog.config_file),
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env=PROCESS_ENV,
            timeout=60,
        )
    finally:
        os.close(writer)
    assert (ran.returncode, ran.stderr) == (1, "")
