"""How people and browsers find the feeds: the feeds page (feeds/index.html) and <link> tags.

Browsers are removing XSLT, so a feed opened in a browser can no longer style itself; each feed
links this page instead (Atom ``link rel="alternate" type="text/html"``), which lists every feed's
address with a copy button, says what a feed is and how to subscribe, and shows the newest entries.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .enclosure import cover_enclosure
from .model import Article, Config
from .render import summary
from .templates import render_template
from .text import one_line

if TYPE_CHECKING:
    from .feeds import FeedSpec

FORMATS = ("atom", "rss", "json")
MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json"}
FORMAT_NAMES = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}
FEEDS_PAGE_TEMPLATE = "feeds-index.html.j2"
FEEDS_PAGE_ENTRIES = 12
SECTION_HEADINGS = {"all": "All articles", "featured": "Featured articles", "tag": "By tag",
                    "category": "By category"}


@dataclass(frozen=True)
class FeedLink:
    """One feed as a page's <head> announces it."""

    format: str
    href: str
    title: str

    @property
    def type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES[self.format]

    def tag(self) -> str:
        esc = html_lib.escape
        return f'<link rel="alternate" type="{self.type}" title="{esc(self.title)}" href="{esc(self.href)}">'


def feed_title(title: str, fmt: str) -> str:
    return f"{one_line(title)} ({FORMAT_NAMES[fmt]})"


def feed_links(config: Config) -> list[FeedLink]:
    """The site's main and featured feeds in every format, main first."""
    files = [
        (config.title, {"atom": config.atom_file, "rss": config.rss_file, "json": config.json_file}),
        (f"{config.title}: featured", {"atom": config.featured_atom_file, "rss": config.featured_rss_file,
                                       "json": config.featured_json_file}),
    ]
    return [FeedLink(fmt, config.feeds_base + names[fmt], feed_title(title, fmt))
            for title, names in files for fmt in FORMATS]


def link_tags(config: Config) -> str:
    """``<link rel="alternate" ...>`` lines for a site's <head>, one per feed."""
    return "".join(link.tag() + "\n" for link in feed_links(config))


def render_feeds_page(
    specs: list[FeedSpec], published: list[Article], config: Config, html: Callable[[Article], str]
) -> bytes:
    """feeds/index.html from the ``feeds-index.html.j2`` template (a site's own ``templates`` folder wins).

    Deterministic like the feeds: its date is the newest entry's, never the clock.
    """
    groups: dict[tuple[str, str], list[FeedSpec]] = {}
    for spec in specs:
        groups.setdefault((spec.kind, spec.name), []).append(spec)
    sections: dict[str, list[dict[str, Any]]] = {}
    for (kind, name), members in groups.items():
        members.sort(key=lambda s: FORMATS.index(s.format))
        sections.setdefault(kind, []).append({
            "name": one_line(name),
            "title": one_line(members[0].title),
            "count": len(members[0].entries),
            "links": [FeedLink(s.format, config.feeds_base + s.filename, feed_title(s.title, s.format))
                      for s in members],
        })
    entries = [_entry(article, config, html(article)) for article in published[:FEEDS_PAGE_ENTRIES]]
    updated = max((a.last_modified for a in published), default=None)
    page = render_template(
        config, FEEDS_PAGE_TEMPLATE,
        site=config,
        page_url=config.feeds_index_url,
        head_links=feed_links(config),
        main=sections.get("all", []) + sections.get("featured", []),
        sections=[{"kind": kind, "heading": SECTION_HEADINGS[kind], "feeds": sections[kind]}
                  for kind in ("tag", "category") if kind in sections],
        entries=entries,
        updated=updated.isoformat() if updated else None,
        updated_date=updated.date().isoformat() if updated else None,
    )
    return page.encode("utf-8")


def _entry(article: Article, config: Config, content: str) -> dict[str, Any]:
    cover = cover_enclosure(article, config)
    return {
        "title": one_line(article.title) or article.slug,
        "url": config.article_url(article),
        "published": article.published.isoformat(),
        "date": config.local_time(article.published).date().isoformat(),
        "author": one_line(article.author) if article.author else None,
        "summary": one_line(summary(article, content)),
        "tags": [t for t in dict.fromkeys(one_line(t) for t in article.tags) if t],
        "cover": cover.url if cover is not None and cover.type.startswith("image/") else None,
    }
