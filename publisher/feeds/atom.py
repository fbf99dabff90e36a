"""Atom 1.0 (RFC 4287): the main, featured, tag and category feeds in Atom, built with feedgen (xmlfeed)."""

from __future__ import annotations

from ..config import Config
from ..model import Article
from .outputs import Output
from .parts import Parts
from .registry import Format, register

CLOSING = b"</feed>\n"


def render(output: Output, config: Config, parts: Parts) -> bytes:
    from . import xmlfeed  # feedgen and lxml: imported when something is rendered

    document = xmlfeed.feed_generator(output, config).atom_str(pretty=True, encoding="UTF-8")
    entries = [parts.piece(article, "atom", entry) for article in output.spec.entries] if output.spec else []
    return xmlfeed.splice(document, CLOSING, entries)


def entry(article: Article, config: Config, parts: Parts) -> bytes:
    """The article's <entry>, one level deep in a <feed> that declares the media and dc prefixes."""
    from . import xmlfeed

    holder = xmlfeed.xml_elem("feed", xmlns=xmlfeed.ATOM_NS, nsmap={"media": xmlfeed.MEDIA_NS, "dc": xmlfeed.DC_NS})
    holder.append(parts.piece(article, "feedgen", xmlfeed.feed_entry).atom_entry())
    if parts.has(article, "rss"):
        parts.drop(article, "feedgen")  # both made: its Python objects (~2.5 KB) are needed no more
    return xmlfeed.serialised(holder, b">\n", CLOSING)


ATOM = register(
    Format(
        name="atom",
        label="Atom",
        media_type="application/atom+xml",
        render=render,
        files={"featured": "featured.atom.xml"},
        settings={"all": "atom", "featured": "featured_atom", "tag": "tag_pattern", "category": "category_pattern"},
    )
)
