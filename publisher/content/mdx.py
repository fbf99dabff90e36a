"""MDX bodies as Markdown, and Docusaurus admonitions as the engine's own alerts. Nothing is executed.

MDX (Docusaurus, Astro) is Markdown with ES modules and JSX. A feed cannot run either, so:
- ``import``/``export`` blocks (MDX ends one at a blank line) are dropped;
- ``{/* comments */}`` are dropped (Docusaurus' ``{/* truncate */}`` marker among them);
- a component written alone on a line (``<Tabs>``, ``<TabItem value="a">``, ``</Tabs>``,
  ``<YouTube id="x" />``) is dropped and what it wraps stays as Markdown. Lower-case tags are
  HTML and stay (the sanitiser decides about them).
Admonitions (``:::note Title`` ... ``:::``, Docusaurus, VuePress, remark-directive) become a
block quote with the title in bold; with the gfm engine also GitHub's ``> [!NOTE]`` alert, which
pulldown-cmark renders itself (``<blockquote class="markdown-alert-note">``). Fenced code is
never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ESM = re.compile(r"^(?:import|export)\b(?!\s*[:=(])")
_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.DOTALL)
# A JSX component alone on its line: <Name ...>, </Name>, <Name ... />, <Name.Part>.
_COMPONENT = re.compile(r"^\s*</?[A-Z][\w.]*(?:\s(?:[^<>{}]|\{[^{}]*\})*)?/?>\s*$")
_ADMONITION = re.compile(r"^ {0,3}(:{3,})\s*([A-Za-z]+)\s*(?:\[(.*)\]|(.*))$")
_CLOSE = re.compile(r"^ {0,3}(:{3,})\s*$")
# Docusaurus' admonition types -> GitHub's alert types (github.com/orgs/community/discussions/16925).
ALERTS = {
    "note": "NOTE",
    "info": "NOTE",
    "tip": "TIP",
    "important": "IMPORTANT",
    "warning": "WARNING",
    "caution": "WARNING",
    "danger": "CAUTION",
}


def _outside_fences(lines: list[str]) -> Iterator[tuple[int, bool]]:
    """(index, whether the line is outside fenced code) for every line."""
    fence = ""
    for index, line in enumerate(lines):
        found = _FENCE.match(line)
        if fence:
            if found and found.group(1)[0] == fence[0] and len(found.group(1)) >= len(fence) and not line.strip(" `~"):
                fence = ""
            yield index, False
        elif found:
            fence = found.group(1)
            yield index, False
        else:
            yield index, True


def mdx_to_markdown(text: str) -> str:
    """An MDX body as Markdown: ES module blocks, JSX comments and lone component tags dropped."""
    lines = text.split("\n")
    kept: list[str] = []
    in_esm = False
    for index, outside in _outside_fences(lines):
        line = lines[index]
        if outside:
            if in_esm or (not kept or not kept[-1].strip()) and _ESM.match(line):
                in_esm = bool(line.strip())
                continue
            if "{/*" in line:
                line = _COMMENT.sub("", line)
                if not line.strip() and lines[index].strip():
                    continue
            if _COMPONENT.match(line):
                kept.append("")  # a blank line: what the component wrapped is read as Markdown
                continue
        kept.append(line)
    text = "\n".join(kept)
    if "{/*" in text:  # a comment over several lines
        text = _COMMENT.sub("", text)
    return text


def admonitions(text: str, *, alerts: bool) -> str:
    """``:::type [title]`` ... ``:::`` blocks as block quotes (see the module's docstring)."""
    if ":::" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    open_colons: list[int] = []  # the colons of each open admonition, outermost first
    for index, outside in _outside_fences(lines):
        line = lines[index]
        prefix = "> " * len(open_colons)
        if outside:
            start = _ADMONITION.match(line)
            if start and start.group(2).lower() in ALERTS:
                kind = start.group(2).lower()
                title = (start.group(3) or start.group(4) or "").strip() or kind.capitalize()
                if open_colons and out and out[-1].strip(" >"):
                    out.append(prefix.rstrip())  # a nested quote starts after a blank line of its parent
                open_colons.append(len(start.group(1)))
                inner = "> " * len(open_colons)
                if alerts:
                    out.append(f"{inner}[!{ALERTS[kind]}]")
                out += [f"{inner}**{title}**", inner.rstrip()]
                continue
            close = _CLOSE.match(line)
            if close and open_colons and len(close.group(1)) >= open_colons[-1]:
                open_colons.pop()
                out.append(("> " * len(open_colons)).rstrip())
                continue
        out.append((prefix + line).rstrip() if prefix else line)
    return "\n".join(out)


_HEADING = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")


def first_heading(text: str) -> str | None:
    """The first ``# Heading`` outside fenced code, as written; None without one."""
    lines = text.split("\n")
    for index, outside in _outside_fences(lines):
        found = _HEADING.match(lines[index]) if outside else None
        if found:
            return found.group(1).strip() or None
    return None
