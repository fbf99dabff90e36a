"""Where a file's frontmatter is and, for the formats other than YAML, what it says.

Four layouts, as the generators write them:

- YAML between ``---`` lines (everyone; parsed here with a safe loader, see ``parse_yaml``);
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

import functools
import json
import re
import sys
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

EXPECTED = "expected a YAML block between '---' lines at the top, TOML between '+++' lines, or a JSON object"


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
            raise ContentError(
                path,
                None,
                f"frontmatter is not closed (expected a second '{fence}' line)",
                line=1,
                reason="no frontmatter",
            )
        body = text[closing.end() :]
        return Split(
            kind,
            text[opening.end() : closing.start()],
            text.count("\n", 0, opening.end()),
            body[1:] if body.startswith("\n") else body,
        )
    if text.startswith("{"):
        try:
            _, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise ContentError(
                path,
                None,
                f"frontmatter is not valid JSON: {exc.msg}, column {exc.colno}",
                line=exc.lineno,
                reason="bad JSON",
            ) from None
        except (ValueError, RecursionError) as exc:  # an integer too long to print; nesting too deep
            raise ContentError(
                path, None, f"frontmatter is not valid JSON: {_short(exc)}", line=1, reason="bad JSON"
            ) from None
        body = text[end:]
        body = body.lstrip(" \t")
        return Split("json", text[:end], 0, body[1:] if body.startswith("\n") else body)
    if header_lines and _HEADER.match(text.split("\n", 1)[0]):
        lines = text.split("\n")
        count = 0
        while (
            count < len(lines)
            and lines[count].strip()
            and (_HEADER.match(lines[count]) or _HEADER_MORE.match(lines[count]))
        ):
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
                message = message[: where.start()] + f", column {where.group(2)}"
                line = split.offset + int(where.group(1))
            raise ContentError(
                path, None, f"frontmatter is not valid TOML: {message}", line=line, reason="bad TOML"
            ) from None
        except (ValueError, RecursionError) as exc:  # an integer too long to print; nesting too deep
            raise ContentError(
                path, None, f"frontmatter is not valid TOML: {_short(exc)}", line=split.offset + 1, reason="bad TOML"
            ) from None
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


@functools.cache
def _yaml() -> tuple[Any, type]:
    """PyYAML and our loader, imported on first use: a build that finds nothing changed needs neither."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser when present

    class FrontmatterLoader(base):  # type: ignore[misc,valid-type]
        """Safe YAML, but timestamps stay text: dates are parsed here, where a bad one can be
        reported by field name (PyYAML raises a bare ValueError for ``2025-13-45``)."""

    FrontmatterLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }

    def checked_int(loader: Any, node: Any) -> int:
        # Python refuses to turn an integer of more than 4,300 digits into text (or text into it):
        # refused here, with the value's line, before the cache, a template or a feed tries.
        digits = len(str(node.value).lstrip("+-").replace("_", ""))
        if digits > _MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"an integer of {digits:,} digits is too long (at most {_MAX_INT_DIGITS:,}; quote it if it is text)",
                node.start_mark,
            )
        value = base.construct_yaml_int(loader, node)
        if value.bit_length() > _MAX_INT_DIGITS * 3:  # a hexadecimal or binary one, as long once written out
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"an integer of {value.bit_length():,} bits is too long (quote it if it is text)",
                node.start_mark,
            )
        return value

    FrontmatterLoader.add_constructor("tag:yaml.org,2002:int", checked_int)
    return yaml, FrontmatterLoader


# YAML aliases let a few lines describe billions of values ("billion laughs"); PyYAML builds them
# as shared references, cheaply, but anything that walks the result (templates, the cache) would
# not finish. Frontmatter whose expanded size passes this many values, or its length in characters
# when that is more, is refused.
MAX_FRONTMATTER_VALUES = 10_000
# Frontmatter is a few levels deep; a list nested hundreds of levels deep would reach Python's
# recursion limit in whatever walks it later (the cache, templates). Refused right after parsing,
# by a walk that does not recurse.
MAX_FRONTMATTER_DEPTH = 32
_MAX_INT_DIGITS = min(d for d in (sys.get_int_max_str_digits(), 4300) if d > 0)
# YAML problems found at the end of something that was never closed: the line where it started is
# the one to point at (an unterminated quote is noticed only at the closing '---').
_OPENED_EARLIER = ("while scanning a quoted scalar", "while parsing a flow", "while scanning a block scalar")


def _expanded_size(value: Any, budget: int) -> int:
    """Count values as if every alias were copied out, stopping once past ``budget``.

    Bounded in time however the YAML was built, recursive structures (``&a [*a]``) included.
    """
    count = 0
    stack = [value]
    while stack and count <= budget:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _depth(value: Any) -> int:
    """How many lists and mappings deep ``value`` goes, walked without recursion. Bounded: what YAML
    aliases share is walked once per use, and the size check has refused more than 10,000 uses."""
    deepest = 0
    stack = [(value, 1)]
    while stack and deepest <= MAX_FRONTMATTER_DEPTH:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _short(exc: BaseException) -> str:
    text = str(exc) if not isinstance(exc, RecursionError) else "nested more than Python can read"
    return text[:200]


def parse_yaml(split: Split, path: str | Path | None = None) -> Any:
    """The value of a YAML block (safe loader, timestamps as text); errors name the file's own line,
    where the problem starts (an unclosed quote's line, not the closing '---')."""
    yaml, loader = _yaml()
    offset = split.offset
    try:
        return yaml.load(split.block, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context_mark is not None and exc.context and exc.context.startswith(_OPENED_EARLIER):
            mark = exc.context_mark
            problem = f"{problem} {exc.context}, which starts here"
        line = offset + mark.line + 1 if mark is not None else None
        column = f", column {mark.column + 1}" if mark is not None else ""
        raise ContentError(
            path, None, f"frontmatter is not valid YAML: {problem}{column}", line=line, reason="bad YAML"
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(
            path, None, f"frontmatter is not valid YAML: {exc}", line=offset + 1, reason="bad YAML"
        ) from None
    except RecursionError:  # PyYAML's pure-Python composer recurses (libyaml stops at 1,000 levels itself)
        raise ContentError(
            path,
            None,
            f"frontmatter is nested more than {MAX_FRONTMATTER_DEPTH} levels deep; refused",
            line=offset + 1,
            reason="bad frontmatter",
        ) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor's own error: !!int 'x', !!float [..]
        raise ContentError(
            path, None, f"frontmatter is not valid YAML: {exc}", line=offset + 1, reason="bad YAML"
        ) from None


def check_limits(meta: Any, split: Split, path: str | Path | None = None) -> None:
    """Refuse frontmatter that would break whatever walks it later: aliases expanding past
    MAX_FRONTMATTER_VALUES values, nesting deeper than MAX_FRONTMATTER_DEPTH (any format)."""
    block, line = split.block, split.offset + 1
    # Without an alias ("*name") every value is written out in the text, each in at least one character:
    # a block holds no more values than it has characters (10,000 plain tags are read; max_terms bounds
    # them later), and one without an alias is not walked at all.
    bound = max(MAX_FRONTMATTER_VALUES, len(block))
    if "*" in block and _expanded_size(meta, bound) > bound:
        raise ContentError(
            path,
            None,
            f"frontmatter expands through YAML aliases to more than {bound:,} values; refused",
            line=line,
            reason="oversized frontmatter",
        )
    # Each level of nesting needs a bracket or an indicator of its own, so a block with fewer cannot be too deep.
    if sum(block.count(c) for c in "[{-:?") > MAX_FRONTMATTER_DEPTH and _depth(meta) > MAX_FRONTMATTER_DEPTH:
        raise ContentError(
            path,
            None,
            f"frontmatter is nested more than {MAX_FRONTMATTER_DEPTH} levels deep; refused",
            line=line,
            reason="bad frontmatter",
        )


def key_line(text: str, key: str) -> int | None:
    """The line (from 1) of the frontmatter where ``key:`` (or ``key =``) is written at the top level."""
    try:
        split = split_text(text)
    except ContentError:
        return None
    match = re.search(
        rf"^(?:{re.escape(key)}|'{re.escape(key)}'|\"{re.escape(key)}\")[ \t]*[:=]", split.block, re.MULTILINE
    )
    return split.offset + split.block.count("\n", 0, match.start()) + 1 if match else None
