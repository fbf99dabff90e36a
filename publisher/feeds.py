"""Articles -> Atom 1.0 and RSS 2.0 bytes (feedgen) and JSON Feed 1.1, each entry with its cover as an enclosure.

feedgen's defaults are set explicitly where they would break determinism: entries are appended
in our order (``add_entry`` prepends by default), ``updated``/``lastBuildDate`` come from the
newest entry instead of the clock, and ``<generator>`` names publisher. An unchanged site thus
gives byte-identical feeds, and feed readers' conditional requests keep getting 304.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urljoin

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from . import __version__
from .discovery import FORMAT_NAMES, FORMATS, MEDIA_TYPES, render_feeds_page
from .enclosure import Enclosure, cover_enclosure  # cover_enclosure is also used from here by digests
from .errors import ContentError
from .guard import rendered_html, without_failures
from .jsonfeed import render_json_feed
from .model import Article, Config
from .render import remembered_feed, summary
from .select import select
from .text import html_text, slugify
from .text import one_line as _line
from .urls import web_url

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
# What an empty feed says it was updated: a fixed instant, never the clock.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

class _EntryExtras(BaseEntryExtension):
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
        self.creator: str | None = None

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
            xml_elem("enclosure", item, url=self.enclosure.url, length=str(self.enclosure.length),
                     type=self.enclosure.type)
        if self.creator:
            xml_elem(f"{{{DC_NS}}}creator", item).text = self.creator
        self._media(item)
        return item

    def _media(self, parent):  # type: ignore[no-untyped-def]
        if self.enclosure is not None and self.enclosure.type.startswith("image/"):
            xml_elem(f"{{{MEDIA_NS}}}content", parent, url=self.enclosure.url, type=self.enclosure.type,
                     medium="image")
            xml_elem(f"{{{MEDIA_NS}}}thumbnail", parent, url=self.enclosure.url)


class _FeedExtras(BaseExtension):
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

    def _insert(self, parent, tag, before):  # type: ignore[no-untyped-def]
        for attrs in self.alternates:
            link = xml_elem(tag, parent, rel="alternate", **attrs)
            if before is not None:
                before.addprevious(link)


@dataclass(frozen=True)
class FeedSpec:
    """One feed file: its name, format, title and entries (newest first).

    ``kind`` is "all", "featured", "tag" or "category"; ``name`` the tag or category as written;
    ``alternates`` the (format, file name) of the same feed in the other formats.
    """

    filename: str
    format: str  # "atom", "rss" or "json"
    title: str
    entries: list[Article]
    kind: str = "all"  # "all", "featured", "tag", "category" or "archive"
    name: str = ""
    alternates: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # RFC 5005 (rel, address) pairs, Atom only
    archive: bool = False  # an RFC 5005 archive document: <fh:archive/>, part of the main feed, no hub


def feed_specs(published: list[Article], config: Config) -> list[FeedSpec]:
    """The feeds a site gets: main and featured in every format, plus tag and category feeds if enabled.

    ``published`` is newest first. Articles are grouped in one pass, so the cost stays linear in
    articles times tags however many tag feeds there are.
    """
    limit = config.feed_limit
    featured = [a for a in published if a.featured][:limit]
    main = _in_every_format({"atom": config.atom_file, "rss": config.rss_file, "json": config.json_file},
                            config.title, published[:limit], "all")
    archives = archive_specs(published, config)
    if archives:
        # The main Atom feed is RFC 5005's subscription document: it points at the newest archive.
        newest = (("prev-archive", config.feeds_base + archives[-1].filename),)
        main = [replace(spec, links=newest) if spec.format == "atom" else spec for spec in main]
    specs = [
        *main,
        *_in_every_format({"atom": config.featured_atom_file, "rss": config.featured_rss_file,
                           "json": config.featured_json_file},
                          f"{config.title}: featured", featured, "featured"),
    ]
    groups: list[tuple[str, str, str, Callable[[Article], Iterable[str]]]] = []
    if config.tag_feeds:
        groups.append(("tag", config.tag_feed_pattern, config.tag_json_pattern, lambda a: a.tags))
    if config.category_feeds:
        groups.append(("category", config.category_feed_pattern, config.category_json_pattern,
                       lambda a: [a.category] if a.category else []))
    for kind, pattern, json_pattern, names_of in groups:
        members: dict[str, list[Article]] = {}
        display: dict[str, str] = {}
        for article in published:
            for slug in dict.fromkeys(slugify(name) for name in names_of(article)):
                group = members.setdefault(slug, [])
                if len(group) < limit:
                    group.append(article)
            for name in names_of(article):
                display.setdefault(slugify(name), name)
        for slug in sorted(members):
            files = {fmt: (json_pattern if fmt == "json" else pattern).format(slug=slug, format=fmt)
                     for fmt in FORMATS}
            specs.extend(_in_every_format(files, f"{config.title}: {display[slug]}", members[slug], kind,
                                          display[slug]))
    specs.extend(archives)
    return specs


def _in_every_format(
    files: dict[str, str], title: str, entries: list[Article], kind: str, name: str = ""
) -> list[FeedSpec]:
    return [
        FeedSpec(filename, fmt, title, entries, kind, name,
                 tuple((other, other_file) for other, other_file in files.items() if other != fmt))
        for fmt, filename in files.items()
    ]


def archive_specs(published: list[Article], config: Config) -> list[FeedSpec]:
    """RFC 5005 archive documents, oldest year first: every published article in its year's archive.

    Years are the site's time zone's. Every article goes into its year's archive, those still in
    the main feed included, so an archive's set of entries depends only on the articles of its
    year: a past year's archive never changes when new articles appear (RFC 5005 section 4: the
    entries of an archive SHOULD NOT change). Only the current year's archive grows, and each
    article it gains is also in the main feed, where readers see it first. Empty years are skipped.
    """
    if not config.archives:
        return []
    years: dict[int, list[Article]] = {}
    for article in published:
        years.setdefault(config.local_time(article.published).year, []).append(article)
    order = sorted(years)
    current = config.feeds_base + config.atom_file
    specs = []
    for i, year in enumerate(order):
        links = [("current", current)]
        if i > 0:
            links.append(("prev-archive", config.feeds_base + config.archive_file(order[i - 1])))
        if i + 1 < len(order):
            links.append(("next-archive", config.feeds_base + config.archive_file(order[i + 1])))
        specs.append(FeedSpec(config.archive_file(year), "atom", f"{config.title}: {year}", years[year],
                              kind="archive", name=str(year), links=tuple(links), archive=True))
    return specs


def render_feeds(
    articles: Iterable[Article],
    config: Config,
    *,
    now: datetime | None = None,
    errors: list[ContentError] | None = None,
    strict: bool = False,
) -> dict[str, bytes]:
    """Render every configured feed: ``{"atom.xml": b"...", "rss.xml": b"...", "feed.json": b"...", ...}``.

    Only published articles appear (not drafts, not dated after ``now``), newest first. The feeds
    page (``index.html``, unless ``feeds_index_file`` is empty) comes along with them. An article
    that cannot be rendered (see guard.py) is logged, appended to ``errors`` and left out of every
    feed, as load_articles does (``strict=True`` raises its ContentError instead).
    """
    html_cache: dict[str, str] = {}

    def html(article: Article) -> str:
        if article.slug not in html_cache:
            html_cache[article.slug] = rendered_html(article, config)
        return html_cache[article.slug]

    return without_failures(select(articles, now=now), lambda kept: _render_all(kept, config, html), errors, strict)


def _render_all(published: list[Article], config: Config, html: Callable[[Article], str]) -> dict[str, bytes]:
    fallback_updated = published[0].last_modified if published else EPOCH
    specs = feed_specs(published, config)
    feeds = {}
    for spec in specs:
        # A build with a cache gets a past year's unchanged archive back instead of rendering it again.
        feeds[spec.filename] = remembered_feed(
            spec, fallback_updated, lambda spec=spec: render_feed(spec, config, html, fallback_updated))
    if config.feeds_index_file:
        feeds[config.feeds_index_file] = render_feeds_page(specs, published, config, html)
    return feeds


def render_feed(
    spec: FeedSpec,
    config: Config,
    html: Callable[[Article], str],
    fallback_updated: datetime = EPOCH,
) -> bytes:
    if spec.format == "json":
        return render_json_feed(spec, config, html)
    fg = FeedGenerator()
    fg.register_extension("publisher", _FeedExtras, _EntryExtras, atom=True, rss=True)
    extras: _FeedExtras = fg.publisher
    extras.hubs = () if spec.archive else config.hubs
    extras.links = spec.links
    extras.archive = spec.archive
    for fmt, filename in spec.alternates:
        extras.alternates.append({"href": config.feeds_base + filename, "type": MEDIA_TYPES[fmt],
                                  "title": f"{_line(spec.title)} ({FORMAT_NAMES[fmt]})"})
    if config.feeds_index_url:
        extras.alternates.append({"href": config.feeds_index_url, "type": "text/html",
                                  "title": f"{_line(config.title)}: all feeds and how to subscribe"})
    self_url = config.feeds_base + spec.filename
    # An archive is a document of the main feed (RFC 5005), so it carries the main feed's id.
    fg.id(config.feeds_base + config.atom_file if spec.archive else self_url)
    fg.title(_line(spec.title))
    fg.description(_line(config.description or config.title))
    # feedgen takes the last link as RSS's <link>, so the site's address goes last.
    fg.link(href=self_url, rel="self", type=MEDIA_TYPES[spec.format])
    fg.link(href=config.url, rel="alternate")
    fg.language(config.language)
    author = {"name": _line(config.author or config.title)}
    if config.author_email:
        author["email"] = config.author_email
    fg.author(author)
    if config.author_email:
        fg.managingEditor(f"{config.author_email} ({config.author or config.title})")
    fg.generator("publisher", version=__version__)
    if config.icon:
        fg.icon(urljoin(config.url, config.icon))
    if config.logo:
        fg.logo(urljoin(config.url, config.logo))
    updated = max((a.last_modified for a in spec.entries), default=fallback_updated)
    fg.updated(updated)
    fg.lastBuildDate(updated)

    for article in spec.entries:
        _add_entry(fg, article, config, html(article))

    if spec.format == "atom":
        return fg.atom_str(pretty=True, encoding="UTF-8")
    return fg.rss_str(pretty=True, encoding="UTF-8")


def _add_entry(fg: FeedGenerator, article: Article, config: Config, content: str) -> None:
    url = config.article_url(article)
    fe = fg.add_entry(order="append")
    fe.id(url)
    fe.guid(url, permalink=True)
    fe.title(_line(article.title) or article.slug)  # a title of control characters only is empty once cleaned
    fe.link(href=url)
    fe.published(article.published)
    fe.updated(article.last_modified)
    if article.author:
        fe.author({"name": _line(article.author)})
    names = [*article.tags, *([article.category] if article.category else [])]
    terms = [t for t in dict.fromkeys(_line(n) for n in names) if t]
    for term in terms:
        fe.category(term=term)
    text = _line(summary(article, content))
    if text:
        fe.summary(text)  # Atom <summary> is text
        fe.description(html_text(text))  # RSS <description> is HTML to readers: escape it as such
    fe.content(content, type="html")
    extras: _EntryExtras = fe.publisher
    extras.enclosure = cover_enclosure(article, config)
    # A source that is not an address (a publication's name, say) cannot be an Atom link.
    extras.via = web_url(article.source)
    extras.creator = _line(article.author) if article.author else None

