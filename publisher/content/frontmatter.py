"""Where a file's frontmatter is and, for the formats other than YAML, what it says.

Four layouts, as the generators write them:

- YAML between ``---`` lines (everyone; parsed in load.py, which guards against alias bombs);
- TOML between ``+++`` lines (Hugo, Zola), read with the standard library's tomllib;
- a JSON object at the very top (Hugo), read with json's ``raw_decode``, which finds where the
  object really ends (python-frontmatter's JSONHandler cuts at the first line that is a lone
  ``}``, the end of any nested object);
- Pelican's "Key: value" lines up to the first blank line (the python-markdown ``meta``
  extension's syntax), only when the preset asks for it: any Markdown file could start so.

The boundary patterns are python-frontmatter's (``YAMLHandler.FM_BOUNDARY`` and
``TOMLHandler.FM_BOUNDARY``; tests/test_load.py checks they agree). Its TOML handler itself needs
the third-party ``toml`` package, so TOML is parsed with tomllib instead.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ContentError

BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)
TOML_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
# python-markdown's meta extension: "Key: value", continued by lines indented four spaces.
_HEADER = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
_HEADER_MORE = re.compile(r"^[ ]{4,}(?P<value>.*)$")
_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)")

EXPECTED = ("expected a YAML block between '---' lines at the top, TOML between '+++' lines, "
            "or a JSON object")


@dataclass(frozen=True, slots=True)
class Split:
    """A file's text cut in two: the frontmatter block (in its own format) and the body."""

    kind: str  # "yaml", "toml", "json" or "headers"
    block: str
    offset: int  # lines of the file before the block's first line
    body: str


def split_text(text: str, path: str | Path | None = None, *, header_lines: bool = False) -> Split:
    """Find the frontmatter, or raise ContentError (empty file, none at all, not closed)."""
    if not text.strip():
        raise ContentError(path, None, "empty file (expected frontmatter and a Markdown body)", reason="empty file")
    text = text.replace("\r\n", "\n")
    for kind, boundary, fence in (("yaml", BOUNDARY, "---"), ("toml", TOML_BOUNDARY, "+++")):
        opening = boundary.match(text)
        if opening is None:
            continue
        closing = boundary.search(text, opening.end())
        if closing is None:
            raise ContentError(path, None, f"frontmatter is not closed (expected a second '{fence}' line)", line=1,
                               reason="no frontmatter")
        body = text[closing.end():]
        return Split(kind, text[opening.end():closing.start()], text.count("\n", 0, opening.end()),
                     body[1:] if body.startswith("\n") else body)
    if text.startswith("{"):
        try:
            _, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise ContentError(path, None, f"frontmatter is not valid JSON: {exc.msg}, column {exc.colno}",
                               line=exc.lineno, reason="bad JSON") from None
        body = text[end:]
        body = body.lstrip(" \t")
        return Split("json", text[:end], 0, body[1:] if body.startswith("\n") else body)
    if header_lines and _HEADER.match(text.split("\n", 1)[0]):
        lines = text.split("\n")
        count = 0
        while count < len(lines) and lines[count].strip() and (_HEADER.match(lines[count])
                                                               or _HEADER_MORE.match(lines[count])):
            count += 1
        return Split("headers", "\n".join(lines[:count]), 0, "\n".join(lines[count:]).lstrip("\n"))
    raise ContentError(path, None, f"no frontmatter ({EXPECTED})", line=1, reason="no frontmatter")


def parse_other(split: Split, path: str | Path | None = None) -> dict[str, Any]:
    """The mapping in a TOML, JSON or header-lines block; errors name the file's own line."""
    if split.kind == "toml":
        try:
            return tomllib.loads(split.block)
        except tomllib.TOMLDecodeError as exc:
            message, line = str(exc), None
            where = _TOML_WHERE.search(message)
            if where:
                message = message[:where.start()] + f", column {where.group(2)}"
                line = split.offset + int(where.group(1))
            raise ContentError(path, None, f"frontmatter is not valid TOML: {message}", line=line,
                               reason="bad TOML") from None
    if split.kind == "json":
        meta: dict[str, Any] = json.loads(split.block)  # an object: split_text decoded it once already
        return meta
    if split.kind == "headers":
        return _header_lines(split.block)
    raise ValueError(f"not a frontmatter kind parse_other reads: {split.kind}")


def _header_lines(block: str) -> dict[str, Any]:
    """Pelican's metadata: keys lower-cased (as Pelican reads them), continuation lines joined."""
    meta: dict[str, Any] = {}
    key = None
    for line in block.split("\n"):
        header = _HEADER.match(line)
        if header is not None:
            key = header.group("key").lower()
            meta[key] = header.group("value").strip()
        elif key is not None and (more := _HEADER_MORE.match(line)):
            meta[key] = f"{meta[key]}\n{more.group('value').strip()}".strip()
    return meta
