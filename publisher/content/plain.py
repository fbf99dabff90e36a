"""Titles and author names as plain text: the Markdown or HTML some sites write in them, rendered.

Generators that render a title or an author (``markdownify`` in Hugo and Eleventy layouts, MDX
front matter) let people write ``<i>Elements kinds</i> in V8`` or ``[Jane Doe](https://x.y/jane),
the bit shifter``. Feeds carry titles and names as text (the W3C validator warns ContainsHTML), so
such a line is rendered as one line of CommonMark (pulldown-cmark, the default engine's) and its
text taken (lxml); a link's address is kept for an author's URI. Rules, for a stable result:
- underscores stay as written (``__init__``, ``snake_case``), as most sites never render titles;
- only the tags of inline HTML are markup; ``<T>`` or ``<script>`` stay text;
- a leading ``#``, ``-``, ``>`` or ``1.`` stays text (no heading or list is made of a title).
"""

from __future__ import annotations

import functools
import re

# Nothing below changes a line without one of these (the common case: no rendering at all).
_MARKUP = re.compile(r"[<`*\[\\]")
_INLINE_TAGS = (
    "a|abbr|b|bdi|bdo|big|br|cite|code|del|dfn|em|font|i|ins|kbd|mark|q|s|samp|small|span|strike|strong|sub|sup|"
    "time|tt|u|var|wbr"
)
_NOT_A_TAG = re.compile(rf"<(?!/?(?:{_INLINE_TAGS})(?=[\s/>]))", re.IGNORECASE)
_CODE_SPAN = re.compile(r"((?<!`)`+(?!`).*?(?<!`)`+(?!`))")
_BLOCK_START = re.compile(r"^(\s*)(?:([#>+*=-])|(\d{1,9})([.)]))(?=\s|$)")


@functools.lru_cache(maxsize=4096)  # one author on 500 posts is rendered once
def plain_line(text: str) -> tuple[str, str | None]:
    """(the line as plain text, the first http(s) link in it or None)."""
    if not _MARKUP.search(text):
        return text, None
    import pyromark
    from lxml import etree, html

    source = _NOT_A_TAG.sub("&lt;", text)
    # Underscores escaped outside code spans (where a backslash would be literal).
    source = "".join(
        part if index % 2 else part.replace("_", "\\_") for index, part in enumerate(_CODE_SPAN.split(source))
    )
    source = _BLOCK_START.sub(_escaped_marker, source)
    try:
        rendered = pyromark.html(source, options=pyromark.Options.ENABLE_STRIKETHROUGH)
        root = html.fragment_fromstring(rendered, create_parent="div")
    except (UnicodeEncodeError, ValueError, etree.LxmlError):  # a lone surrogate, or what lxml cannot read
        return text, None
    link = next(
        (a.get("href") for a in root.iter("a") if (a.get("href") or "").lower().startswith(("http://", "https://"))),
        None,
    )
    plain = " ".join(root.text_content().split())
    return (plain or text), link


def _escaped_marker(match: re.Match[str]) -> str:
    space, marker, number, delimiter = match.groups()
    return f"{space}\\{marker}" if marker else f"{space}{number}\\{delimiter}"
