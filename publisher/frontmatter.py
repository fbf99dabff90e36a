"""The YAML frontmatter of an article file -> a mapping, with line numbers and limits.

python-frontmatter's ``loads`` hides three problems this module must report: a file with no
frontmatter (or frontmatter that is not a mapping) comes back as ``{}`` plus the whole text, a YAML
error carries a line relative to the frontmatter, and a UTF-8 BOM makes the frontmatter vanish.
So the block is split with python-frontmatter's own YAML boundary (content.py) and parsed with a
safe loader (libyaml's when present) whose error marks are shifted to the file's own line numbers.

What would break whatever walks the result later (the cache, templates, feeds) is refused here,
with its line: aliases that expand past 10,000 values, nesting deeper than 32 levels, integers
too long to print.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any

from .content import frontmatter_bounds
from .errors import ContentError


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
                None, None, f"an integer of {digits:,} digits is too long (at most {_MAX_INT_DIGITS:,}; quote it "
                "if it is text)", node.start_mark)
        value = base.construct_yaml_int(loader, node)
        if value.bit_length() > _MAX_INT_DIGITS * 3:  # a hexadecimal or binary one, as long once written out
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {value.bit_length():,} bits is too long (quote it if it is text)",
                node.start_mark)
        return value

    FrontmatterLoader.add_constructor("tag:yaml.org,2002:int", checked_int)
    return yaml, FrontmatterLoader


# YAML aliases let a few lines describe billions of values ("billion laughs"); PyYAML builds them
# as shared references, cheaply, but anything that walks the result (templates, the cache) would
# not finish. Frontmatter whose expanded size passes this many values is refused.
MAX_FRONTMATTER_VALUES = 10_000
# Frontmatter is a few levels deep; a list nested hundreds of levels deep would reach Python's
# recursion limit in whatever walks it later (the cache, templates). Refused right after parsing,
# by a walk that does not recurse.
MAX_FRONTMATTER_DEPTH = 32
_MAX_INT_DIGITS = min(d for d in (sys.get_int_max_str_digits(), 4300) if d > 0)
# YAML problems found at the end of something that was never closed: the line where it started is
# the one to point at (an unterminated quote is noticed only at the closing '---').
_OPENED_EARLIER = ("while scanning a quoted scalar", "while parsing a flow", "while scanning a block scalar")

def key_line(text: str, key: str) -> int | None:
    """The line (from 1) of the frontmatter where ``key:`` is written at the top level, if it is."""
    block, offset, _ = frontmatter_bounds(text)
    match = re.search(rf"^(?:{re.escape(key)}|'{re.escape(key)}'|\"{re.escape(key)}\")[ \t]*:", block, re.MULTILINE)
    return offset + block.count("\n", 0, match.start()) + 1 if match else None


def split_frontmatter(text: str, path: str | Path | None = None) -> tuple[dict[str, Any], str, int]:
    """Return (metadata, body, line of the opening ``---``) or raise ContentError."""
    block, offset, body = frontmatter_bounds(text, path)
    yaml, loader = _yaml()
    try:
        meta = yaml.load(block, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context_mark is not None and exc.context and exc.context.startswith(_OPENED_EARLIER):
            mark = exc.context_mark
            problem = f"{problem} {exc.context}, which starts here"
        line = offset + mark.line + 1 if mark is not None else None
        column = f", column {mark.column + 1}" if mark is not None else ""
        raise ContentError(path, None, f"frontmatter is not valid YAML: {problem}{column}", line=line,
                           reason="bad YAML") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, None, f"frontmatter is not valid YAML: {exc}", line=offset + 1,
                           reason="bad YAML") from None
    except RecursionError:  # PyYAML's pure-Python composer recurses (libyaml stops at 1,000 levels itself)
        raise ContentError(path, None, f"frontmatter is nested more than {MAX_FRONTMATTER_DEPTH} levels deep; "
                           "refused", line=offset + 1, reason="bad frontmatter") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor's own error: !!int 'x', !!float [..]
        raise ContentError(path, None, f"frontmatter is not valid YAML: {exc}", line=offset + 1,
                           reason="bad YAML") from None
    if meta is None:
        raise ContentError(path, None, "frontmatter is empty (expected at least title and publishDate)", line=1,
                           reason="no frontmatter")
    if not isinstance(meta, dict):
        raise ContentError(
            path, None, f"frontmatter is {value_kind(meta)}, expected a mapping of field: value", line=offset + 1,
            reason="bad frontmatter",
        )
    # Without an alias ("*name") every value is written out in the text, so a block this short cannot
    # hold more than the limit (each value takes at least one character) and is not walked.
    expandable = "*" in block or len(block) >= MAX_FRONTMATTER_VALUES // 2
    if expandable and _expanded_size(meta, MAX_FRONTMATTER_VALUES) > MAX_FRONTMATTER_VALUES:
        raise ContentError(
            path, None, f"frontmatter expands to more than {MAX_FRONTMATTER_VALUES:,} values (YAML aliases?); refused",
            line=offset + 1, reason="oversized frontmatter",
        )
    # Each level of nesting needs a bracket or an indicator of its own, so a block with fewer cannot be too deep.
    if sum(block.count(c) for c in "[{-:?") > MAX_FRONTMATTER_DEPTH and _depth(meta) > MAX_FRONTMATTER_DEPTH:
        raise ContentError(path, None, f"frontmatter is nested more than {MAX_FRONTMATTER_DEPTH} levels deep; "
                           "refused", line=offset + 1, reason="bad frontmatter")
    return meta, body, offset + 1


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


def value_kind(value: Any) -> str:
    """What a YAML value is, in words, with its article: "a list", "text", ..."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}"
