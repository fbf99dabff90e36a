"""Where in an article's source an address that is dropped was written: its line and link text.

Asked only when something is dropped (rare), so the file is read again here rather than every
render keeping positions. The line counts from the top of the file, frontmatter included, as an
editor shows it; an article built in code counts in its body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from ..errors import printable
from ..model import Article

log = logging.getLogger("publisher")

_EMPTY_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*(?:<>)?\s*\)|\bhref\s*=\s*(?:\"\"|'')")


def locate(text: str, value: str) -> tuple[int | None, str | None]:
    """(line, link text) of the first place ``value`` is written as an address in an article's source
    ``text``; (None, None) if not found."""
    if value.strip():
        escaped = re.escape(value)
        found = re.search(rf"\[([^\]\n]*)\]\(\s*<?{escaped}|(?:=\s*[\"']?|\(\s*<?|<){escaped}", text)
    else:
        found = _EMPTY_LINK.search(text)
    if found is None:
        return None, None
    label = found.group(1) if found.lastindex else None
    return text.count("\n", 0, found.start()) + 1, label


def _source(article: Article) -> str:
    if article.path:
        try:
            return Path(article.path).read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            pass
    return article.body


# Addresses located in the source per render: each look-up reads past the ones before it, so a page of
# thousands of dropped links (sanitised outside any time budget when a host gave its HTML) took minutes.
LOCATED = 20


def dropped_warnings(article: Article) -> Callable[[str, str], None]:
    """``warn(attribute, value)``: one warning for an address the sanitiser dropped in ``article``, with
    where it was written for the first LOCATED of them (its source read once, when the first is)."""
    where = printable(article.path) if article.path else f"<article {article.slug!r}>"
    source: list[str] = []
    count = 0

    def warn(attribute: str, value: str) -> None:
        nonlocal count
        count += 1
        line, text = None, None
        if count <= LOCATED:
            if not source:
                source.append(_source(article))
            line, text = locate(source[0], value)
        found = ", ".join(
            ([f"line {line}"] if line else []) + ([f"link text {printable(text[:80])!r}"] if text is not None else [])
        )
        log.warning(
            "%s: %s=%r is not an http(s) address; dropped%s",
            where,
            attribute,
            value[:200],
            f" ({found})" if found else "",
        )

    return warn
