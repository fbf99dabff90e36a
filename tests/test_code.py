"""The shape of the code, as issue-sized rules: modules short enough to read whole, a thin command line,
and a package whose folders are the pipeline's stages (docs/code.md lists them, generated)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "publisher"
MODULES = sorted(PACKAGE.rglob("*.py"))


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines(module):
    assert lines(module) <= 400, f"{module.relative_to(ROOT)} has {lines(module)} lines; split it where it has two jobs"


def test_the_command_line_is_a_thin_shell():
    """Flags in, one library call, a message out: no command's module is near 300 lines."""
    sizes = {p.name: lines(p) for p in (PACKAGE / "cli").glob("*.py")}
    assert max(sizes.values()) < 300, sizes


def test_the_package_folders_are_the_stages():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == {"config", "content", "markup", "feeds", "email", "engine", "cli"}
    for folder in folders:  # each says what it is for: docs/code.md is made from these
        assert (PACKAGE / folder / "__init__.py").read_text(encoding="utf-8").startswith('"""'), folder


def test_no_file_keeps_a_merge_conflict_marker():
    """A conflict resolved by hand in a page or template leaves no marker behind (no check of Markdown or
    Jinja would notice one: it reads as text)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    marked = []
    for name in tracked.splitlines():
        path = ROOT / name
        if (
            path.suffix not in {".py", ".md", ".html", ".txt", ".toml", ".yml", ".cfg", ".j2", ".css"}
            or not path.is_file()
        ):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        marked += [
            f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if line.startswith(("<<<<<<< ", ">>>>>>> "))
        ]
    assert not marked, marked
