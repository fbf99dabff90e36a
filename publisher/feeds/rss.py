"""RSS 2.0: the main, featured, tag and category feeds in RSS, built with feedgen (xmlfeed).

Atom's vocabulary fills RSS's gaps (atom:link for the self link, alternates and hubs), Media
RSS and Dublin Core carry the cover and the author's name (see xmlfeed).
"""

from __future__ import annotations

import re

from ..config import Config
from ..model import Article
from .outputs import Output
from .parts import Parts
from .registry import Format, register

CLOSING = b"  </channel>\n</rss>\n"


def render(output: Output, config: Config, parts: Parts) -> bytes:
    from . import xmlfeed  # feedgen and lxml: imported when something is rendered

    document = plain_text_references(xmlfeed.feed_generator(output, config).rss_str(pretty=True, encoding="UTF-8"))
    items = [parts.piece(article, "rss", item) for article in output.spec.entries] if output.spec else []
    return xmlfeed.splice(document, CLOSING, items)


_CHANNEL_TEXT = re.compile(rb"(<(title|description)>)(.*?)(</\2>)", re.DOTALL)


def plain_text_references(document: bytes) -> bytes:
    """The channel's title and description with "&", "<" and ">" as hexadecimal character references.

    They are plain text, and RSS readers differ in whether they read them as HTML; the RSS Advisory
    Board's profile (and the W3C validator's CharacterData warning) asks for "&#x26;" and "&#x3C;"
    there, which no reader mistakes for markup. Same text once parsed: only the bytes differ.
    """

    def hexadecimal(match: re.Match[bytes]) -> bytes:
        text = match.group(3).replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;").replace(b"&gt;", b"&#x3E;")
        return match.group(1) + text + match.group(4)

    return _CHANNEL_TEXT.sub(hexadecimal, document)


def item(article: Article, config: Config, parts: Parts) -> bytes:
    """The article's <item>, two levels deep (rss, channel) under the prefixes feedgen declares for RSS."""
    from . import xmlfeed

    holder = xmlfeed.xml_elem(
        "rss",
        nsmap={"media": xmlfeed.MEDIA_NS, "dc": xmlfeed.DC_NS, "atom": xmlfeed.ATOM_NS, "content": xmlfeed.CONTENT_NS},
    )
    xmlfeed.xml_elem("channel", holder).append(parts.piece(article, "feedgen", xmlfeed.feed_entry).rss_entry())
    if parts.has(article, "atom"):
        parts.drop(article, "feedgen")  # both made: its Python objects (~2.5 KB) are needed no more
    return xmlfeed.serialised(holder, b"<channel>\n", CLOSING)


RSS = register(
    Format(
        name="rss",
        label="RSS",
        media_type="application/rss+xml",
        render=render,
        files={"featured": "featured.rss.xml"},
        settings={"all": "rss", "featured": "featured_rss", "tag": "tag_pattern", "category": "category_pattern"},
    )
)
