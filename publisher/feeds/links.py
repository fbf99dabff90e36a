"""How pages announce the feeds: ``<link rel="alternate">`` tags for a site's <head> and the feeds page."""

from __future__ import annotations

import html as html_lib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..config import Config
from ..model import Article
from ..text import one_line
from .registry import feed_formats, get


@dataclass(frozen=True)
class FeedLink:
    """One feed as a page's <head> announces it."""

    format: str
    href: str
    title: str

    @property
    def type(self) -> str:
        return get(self.format).media_type

    @property
    def format_name(self) -> str:
        return get(self.format).label

    def tag(self) -> str:
        esc = html_lib.escape
        return f'<link rel="alternate" type="{self.type}" title="{esc(self.title)}" href="{esc(self.href)}">'


def feed_title(title: str, fmt: str) -> str:
    return f"{one_line(title)} ({get(fmt).label})"


def feed_links(config: Config, *, any_featured: bool = False) -> list[FeedLink]:
    """The site's main and featured feeds in every feed format, main first (featured feeds left
    to their default only with ``any_featured``: while some published article is featured)."""
    links = []
    for kind, title in (("all", config.site.title), ("featured", f"{config.site.title}: featured")):
        for fmt in feed_formats():
            filename = fmt.filename(config, kind, any_featured=any_featured)
            if filename is not None:
                links.append(FeedLink(fmt.name, config.feeds_base + filename, feed_title(title, fmt.name)))
    return links


def link_tags(config: Config, articles: Iterable[Article] | None = None, *, now: datetime | None = None) -> str:
    """``<link rel="alternate" ...>`` lines for a site's <head>, one per feed. Featured feeds left to
    their default are announced when ``articles`` are given and some one published by ``now``
    (default: the current time) is featured."""
    from ..select import select

    any_featured = articles is not None and any(a.featured for a in select(articles, now=now))
    return "".join(link.tag() + "\n" for link in feed_links(config, any_featured=any_featured))
