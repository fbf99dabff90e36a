"""The documentation as tests read it: README.md and the pages of docs/, and their code blocks."""

from __future__ import annotations

import re
import shlex

from tests.conftest import ROOT

DOCS = ROOT / "docs"
# Pages docs/generate.py writes from the code; the others are written by people.
GENERATED = {"cli.md", "configuration.md", "api.md", "benchmarks.md", "code.md"}


def read(name: str) -> str:
    """A page by name: "README.md" at the top, anything else under docs/."""
    path = ROOT / name if name == "README.md" else DOCS / name
    return path.read_text(encoding="utf-8")


def written_pages() -> list[str]:
    """README.md and every page of docs/ that people write."""
    return ["README.md", *sorted(p.name for p in DOCS.glob("*.md") if p.name not in GENERATED)]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def publisher_args(command: str) -> list[str] | None:
    """The arguments after `publisher` (or `.venv/bin/publisher`, `python -m publisher`) in a shell
    line, up to the next `&&`, `;` or pipe; None when the line runs no publisher command."""
    words = shlex.split(command, comments=True)
    starts = [i for i, word in enumerate(words) if word == "publisher" or word.endswith("/publisher")]
    if not starts:
        return None
    start = starts[0]
    end = next((i for i in range(start, len(words)) if words[i] in ("&&", "||", ";", "|")), len(words))
    return words[start + 1 : end]
