"""The cron and systemd recipes of the README and docs/ (docs/deploying.md has the full set): every
line is well-formed, every publisher command in them parses with today's flags, and systemd accepts
the units (where systemd-analyze exists)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.cli import build_parser
from tests.pages import code_blocks, publisher_args, read, written_pages

CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\d+(-\d+)?)(/\d+)?)*$")


def units() -> dict[str, str]:
    """docs/deploying.md's systemd units by file name (each block starts with a `# name` comment)."""
    found = {}
    for block in code_blocks(read("deploying.md"), "ini"):
        first, _, rest = block.partition("\n")
        found[first.lstrip("# ").strip()] = rest
    return found


def parses(args: list[str] | None) -> bool:
    if args is None:  # the line runs no publisher command
        return False
    try:
        build_parser().parse_args(args)
    except SystemExit:
        return False
    return True


def cron_lines(pages: list[str] | None = None) -> list[str]:
    return [
        line
        for name in pages or written_pages()
        for block in code_blocks(read(name), "cron")
        for line in block.splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line)
    ]


def test_the_deploying_page_has_a_crontab_and_four_units():
    assert any("publisher build --ping" in line for line in cron_lines(["deploying.md"]))
    assert any("--since-last" in line for line in cron_lines(["deploying.md"]))
    assert set(units()) == {
        "publisher-build.service",
        "publisher-build.timer",
        "publisher-digest.service",
        "publisher-digest.timer",
    }


def test_the_readme_has_the_cron_line():
    assert any("publisher build" in line for line in cron_lines(["README.md"]))


@pytest.mark.parametrize("line", cron_lines())
def test_every_crontab_line_has_five_time_fields_and_a_command_that_parses(line):
    fields = line.split(None, 5)
    assert len(fields) == 6, line
    assert all(CRON_FIELD.match(field) for field in fields[:5]), line
    assert "%" not in fields[5], "cron turns % into a newline; escape it as \\%"
    args = publisher_args(fields[5])
    assert parses(args), args


@pytest.mark.parametrize("name", sorted(units()))
def test_every_unit_names_its_parts_and_its_command_parses(name):
    text = units()[name]
    sections = re.findall(r"^\[(\w+)\]$", text, re.M)
    settings = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
    assert "Unit" in sections and settings.get("Description"), name
    if name.endswith(".service"):
        assert settings["Type"] == "oneshot"
        assert settings["ExecStart"].startswith("/"), "systemd wants an absolute path"
        assert parses(publisher_args(settings["ExecStart"])), settings["ExecStart"]
    else:
        assert settings["OnCalendar"] and settings["WantedBy"] == "timers.target"
        assert name.replace(".timer", ".service") in units()


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    publisher = shutil.which("publisher", path=str(Path(sys.executable).parent))
    assert publisher, "publisher is installed beside this Python"
    for name, text in units().items():
        # The recipes' binary lives in /srv/blog; verify checks that ExecStart exists, so use this one.
        (tmp_path / name).write_text(text.replace("/srv/blog/.venv/bin/publisher", publisher), encoding="utf-8")
    proc = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())], capture_output=True, text=True, timeout=60
    )
    # A value systemd cannot parse is only a warning ("Failed to parse value, ignoring"): none is allowed.
    assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout + proc.stderr
