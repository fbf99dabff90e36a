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
    assert folders == {"config", "content", "markup", "feeds", "email", "engine", "cli", "integrations"}
    for folder in folders:  # each says what it is for: docs/code.md is made from these
        assert (PACKAGE / folder / "__init__.py").read_text(encoding="utf-8").startswith('"""'), folder


def imported_modules(path: Path) -> set[str]:
    """The publisher modules ``path`` imports, as dotted names (relative imports resolved), at any depth
    of the file: a lazy import inside a function counts, as one under TYPE_CHECKING does."""
    import ast

    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("publisher")}


@pytest.mark.parametrize("module", sorted((PACKAGE / "config").glob("*.py")), ids=lambda p: p.name)
def test_the_configuration_imports_no_later_stage(module):
    """config/ is a leaf: the vocabulary it shares with content/, markup/ and email/ (addresses.py, urls.py,
    filters.py, config/presets.py) imports none of them, so a setting is checked in its section alone."""
    later = {m for m in imported_modules(module) if m.split(".")[1:2] in (["content"], ["markup"], ["email"])}
    assert not later, f"publisher/config/{module.name} imports {sorted(later)}"


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
