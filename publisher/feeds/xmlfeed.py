"""What Atom 1.0 and RSS 2.0 share: feedgen, its extensions, and splicing entries made once.

feedgen builds both formats from one FeedGenerator and one FeedEntry (atom.py and rss.py use
them). An article's FeedEntry is made once per build, and its Atom <entry> and RSS <item>
serialised once (Parts); each document is feedgen's header with the serialised entries spliced
in before its closing tags. The entries are serialised under a root that declares the
document's namespace prefixes, at the depth they have in it, so the bytes are those feedgen
itself writes for the whole document.

feedgen's defaults are set explicitly where they would break determinism: ``updated``/
``lastBuildDate`` come from the newest entry instead of the clock, and ``<generator>`` names
publisher. An unchanged site thus gives byte-identical feeds, and feed readers' conditional
requests keep getting 304.
"""

from __future__ import annotations

import html as html_lib
from urllib.parse import urljoin

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml import etree

from .. import __version__
from ..config import Config
from ..content.permalinks import article_url, entry_id, web_address
from ..model import Article
from ..text import entry_authors, entry_terms
from ..text import one_line as _line
from .enclosure import Enclosure
from .outputs import Output
from .parts import Parts
from .registry import get

__all__ = [
    "ATOM_NS",
    "CONTENT_NS",
    "DC_NS",
    "MEDIA_NS",
    "feed_entry",
    "feed_generator",
    "serialised",
    "splice",
    "xml_elem",
]

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"  # feedgen's RSS <content:encoded>


class _EntryExtras(BaseEntryExtension):  # type: ignore[misc]  # feedgen has no types: its base is Any
    """What feedgen 1.0.0 cannot write itself.

    Its Atom entry writer drops ``rel``, ``type`` and ``length`` from every link but the first
    attribute (lkiesow/python-feedgen#135), so ``fe.enclosure()`` and ``fe.link(rel="enclosure")``
    come out as a second alternate link. Enclosures (Atom and RSS) and ``via`` links are written
    here instead, together
    with Media RSS (media:content, media:thumbnail) and dc:creator for RSS, whose <author> must be
    an e-mail address.
    """

    def __init__(self) -> None:
        self.enclosure: Enclosure | None = None
        self.via: str | None = None
        self.creators: list[str] = []
        self.description: str | None = None

    def extend_atom(self, entry):  # type: ignore[no-untyped-def]
        if self.enclosure is not None:
            attrs = {"rel": "enclosure", "href": self.enclosure.url, "type": self.enclosure.type}
            if self.enclosure.length:
                attrs["length"] = str(self.enclosure.length)
            xml_elem("link", entry, **attrs)
        if self.via:
            xml_elem("link", entry, rel="via", href=self.via)
        self._media(entry)
        return entry

    def extend_rss(self, item):  # type: ignore[no-untyped-def]
        if self.enclosure is not None:
            xml_elem(
                "enclosure", item, url=self.enclosure.url, length=str(self.enclosure.length), type=self.enclosure.type
            )
        for creator in self.creators:  # one dc:creator per author (RSS's <author> must be an e-mail address)
            xml_elem(f"{{{DC_NS}}}creator", item).text = creator
        description = item.find("description")
        if description is not None and self.description is not None:
            # RSS readers read <description> as HTML: "Use the <T> parameter" written once-escaped
            # would lose "<T>" as a tag, so it is HTML (escaped for XML on top), as readers expect.
            description.text = html_lib.escape(self.description, quote=False)
        self._media(item)
        return item

    def _media(self, parent: etree._Element) -> None:
        if self.enclosure is not None and self.enclosure.type.startswith("image/"):
            xml_elem(f"{{{MEDIA_NS}}}content", parent, url=self.enclosure.url, type=self.enclosure.type, medium="image")
            xml_elem(f"{{{MEDIA_NS}}}thumbnail", parent, url=self.enclosure.url)


class _FeedExtras(BaseExtension):  # type: ignore[misc]  # feedgen has no types: its base is Any
    """Feed-level links feedgen cannot write, and RFC 5005's archive marker.

    feedgen writes only the self link into RSS, so the same feed in the other formats, the feeds
    page and the WebSub hubs (W3C WebSub, section 4) are added here, as atom:link elements in RSS.
    Alternates go before the site's own link in both formats: feed readers (feedparser among
    them) take the last text/html alternate as the site's address, which must stay the home page.
    RFC 5005 links (prev-archive, next-archive, current) are written in Atom feeds only.
    """

    def __init__(self) -> None:
        self.alternates: list[dict[str, str]] = []
        self.hubs: tuple[str, ...] = ()
        self.links: tuple[tuple[str, str], ...] = ()
        self.archive = False

    def extend_ns(self):  # type: ignore[no-untyped-def]
        namespaces = {"media": MEDIA_NS, "dc": DC_NS}
        if self.archive:
            namespaces["fh"] = FH_NS
        return namespaces

    def extend_atom(self, feed):  # type: ignore[no-untyped-def]
        # feedgen's Atom elements carry no namespace of their own (the root declares xmlns as an attribute).
        self._insert(feed, "link", feed.find("link[@rel='alternate']"))
        for hub in self.hubs:
            xml_elem("link", feed, rel="hub", href=hub)
        for rel, href in self.links:
            xml_elem("link", feed, rel=rel, href=href, type="application/atom+xml")
        if self.archive:
            xml_elem(f"{{{FH_NS}}}archive", feed)
        return feed

    def extend_rss(self, rss):  # type: ignore[no-untyped-def]
        channel = rss.find("channel")
        self._insert(channel, f"{{{ATOM_NS}}}link", channel.find("link"))
        for hub in self.hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, rel="hub", href=hub)
        return rss

    def _insert(self, parent: etree._Element, tag: str, before: etree._Element | None) -> None:
        for attrs in self.alternates:
            link = xml_elem(tag, parent, rel="alternate", **attrs)
            if before is not None:
                before.addprevious(link)


def feed_generator(output: Output, config: Config) -> FeedGenerator:
    """A FeedGenerator with every feed-level field of ``output`` set and no entries (see splice)."""
    spec = output.spec
    if spec is None:
        raise ValueError(f"{output.filename}: an {output.format} output needs a feed spec")
    fg = FeedGenerator()
    fg.register_extension("publisher", _FeedExtras, _EntryExtras, atom=True, rss=True)
    extras: _FeedExtras = fg.publisher
    extras.hubs = () if spec.archive else config.feeds.hub
    extras.links = spec.links
    extras.archive = spec.archive
    for fmt, filename in spec.alternates:
        extras.alternates.append(
            {
                "href": config.feeds_base + filename,
                "type": get(fmt).media_type,
                "title": f"{_line(spec.title)} ({get(fmt).label})",
            }
        )
    if config.feeds_index_url:
        extras.alternates.append(
            {
                "href": config.feeds_index_url,
                "type": "text/html",
                "title": f"{_line(config.site.title)}: all feeds and how to subscribe",
            }
        )
    self_url = config.feeds_base + spec.filename
    # An archive is a document of the main feed (RFC 5005), so it carries the main feed's id.
    fg.id(config.feeds_base + config.feeds.atom if spec.archive else self_url)
    fg.title(_line(spec.title))
    fg.description(_line(config.site.description or config.site.title))
    # feedgen takes the last link as RSS's <link>, so the site's address goes last.
    fg.link(href=self_url, rel="self", type=get(spec.format).media_type)
    fg.link(href=config.site.url, rel="alternate")
    fg.language(config.site.language)
    author = {"name": _line(config.site.author or config.site.title)}
    if config.site.author_email:
        author["email"] = config.site.author_email
    fg.author(author)
    if config.site.author_email:
        fg.managingEditor(f"{config.site.author_email} ({config.site.author or config.site.title})")
    fg.generator("publisher", version=__version__)
    if config.site.icon:
        fg.icon(urljoin(config.site.url, config.site.icon))
    if config.site.logo:
        fg.logo(urljoin(config.site.url, config.site.logo))
    fg.updated(output.updated)
    fg.lastBuildDate(output.updated)
    return fg


def splice(document: bytes, closing: bytes, entries: list[bytes]) -> bytes:
    """``entries`` put into feedgen's entry-less ``document``, before its ``closing`` tags."""
    if not document.endswith(closing):
        raise ValueError(f"feedgen's document does not end with {closing!r}")
    return b"".join([document[: -len(closing)], *entries, closing])


def serialised(holder: etree._Element, after: bytes, closing: bytes) -> bytes:
    """The entry inside ``holder`` as the document holds it: the bytes between ``after`` and ``closing``.

    ``holder`` is a root declaring the document's namespace prefixes, with the entry at its
    depth in the document, so pretty-printing indents it and names its namespaces as there.
    """
    data: bytes = etree.tostring(holder, pretty_print=True, encoding="UTF-8", xml_declaration=False)
    if not data.endswith(closing):
        raise ValueError(f"serialised entry does not end with {closing!r}")
    return data[data.index(after) + len(after) : -len(closing)]


def feed_entry(article: Article, config: Config, parts: Parts) -> FeedEntry:
    """The article as one feedgen entry, for both Atom and RSS."""
    content = parts.html(article)
    url = article_url(article, config)
    identity = entry_id(article, config, url)
    fe = FeedEntry()
    fe.register_extension("publisher", _EntryExtras, atom=True, rss=True)
    fe.id(identity)
    fe.guid(identity, permalink=identity == url)
    fe.title(_line(article.title) or article.slug)  # a title of control characters only is empty once cleaned
    fe.link(href=url)
    fe.published(article.published)
    fe.updated(article.last_modified)
    authors = entry_authors(article)
    if authors:
        fe.author([{"name": name, "uri": url} if url else {"name": name} for name, url in authors])
    terms = entry_terms(article)
    if terms:  # in one call: feedgen maps every category to RSS again on each
        fe.category([{"term": term} for term in terms])
    text = parts.summary(article)
    if text:
        fe.summary(text)  # Atom's type="text" summary, and RSS's <description> (HTML there: see _EntryExtras)
    fe.content(content, type="html")
    extras: _EntryExtras = fe.publisher
    extras.enclosure = parts.enclosure(article)
    # A source that is not an address (a publication's name, say) cannot be an Atom link.
    extras.via = web_address(article.source)
    extras.creators = [name for name, _ in authors]
    extras.description = text or None
    return fe
