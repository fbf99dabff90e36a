"""Articles -> feeds (Atom, RSS, JSON Feed), RFC 5005 archives and the feeds page, behind one seam.

The feed API: ``render_feeds``; ``link_tags`` (the <link> tags that announce the feeds) and
``ping_hubs`` (WebSub); ``register`` a format of your own (``Format``, rendered from ``Output`` and
``Parts``).

A build plans its outputs (``plan_outputs``: cheap, no Markdown, no XML), then renders each one
(``render_output``) with one ``Parts``, which makes each article's pieces once and reuses them in
every output that holds the article. Formats come from the registry (``registry.py``); each is
one module that registers itself when imported here, in this order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from ..config import Config
from ..errors import ContentError
from ..guard import report, without_failures
from ..markup.cache import HtmlCache
from ..model import Article
from ..select import select
from .enclosure import cover_enclosure  # digests take it from here

# isort: off
# Each format registers itself when imported: this order is the order of files, links and listings.
from . import atom, rss, jsonfeed, archive, page  # noqa: F401

# isort: on
from .links import FeedLink, feed_links, link_tags
from .outputs import FeedSpec, Listed, Output
from .parts import Parts, last_uses
from .plan import plan_outputs
from .registry import Format, formats, get, register, unregister
from .websub import Ping, ping_hubs

__all__ = [
    "FeedLink",
    "FeedSpec",
    "Format",
    "Listed",
    "Output",
    "Parts",
    "Ping",
    "cover_enclosure",
    "feed_links",
    "formats",
    "get",
    "last_uses",
    "link_tags",
    "ping_hubs",
    "plan_outputs",
    "register",
    "render_feeds",
    "render_output",
    "unregister",
]


def render_output(output: Output, config: Config, parts: Parts) -> bytes:
    """The bytes of one planned output, rendered by its format."""
    return get(output.format).render(output, config, parts)


def render_feeds(
    articles: Iterable[Article],
    config: Config,
    *,
    now: datetime | None = None,
    errors: list[ContentError] | None = None,
    strict: bool = False,
    store: Any = None,  # a publisher.Store (engine/store.py, which imports this module)
) -> Mapping[str, bytes]:
    """Render every configured feed: ``{"atom.xml": b"...", "rss.xml": b"...", "feed.json": b"...", ...}``.

    Only published articles appear (not drafts, not dated after ``now``), newest first. The feeds
    page (``index.html``, unless [feeds] ``index`` is empty) comes along with them. An article
    that cannot be rendered (see guard.py) is logged, appended to ``errors`` and left out of every
    feed, as load_articles does (``strict=True`` raises its ContentError instead).

    With a ``store`` (``publisher.Store``, which the articles were loaded with) each article's HTML
    is kept there and rendered only when its file changed, and the result is a mapping whose bytes
    are made when asked for: ``write_feeds`` with the same store makes only the feeds that changed.
    """
    if store is not None:
        feeds: Mapping[str, bytes] = store.render(store.select(articles, now), config, strict=strict)
        for failure in store.unrenderable:
            report(failure.error, errors, strict)
        return feeds
    html = HtmlCache(config)  # kept while a failed article is left out and the feeds rendered again
    return without_failures(select(articles, now=now), lambda kept: _render_all(kept, config, html), errors, strict)


def _render_all(published: list[Article], config: Config, html: Callable[[Article], str]) -> dict[str, bytes]:
    outputs = plan_outputs(published, config)
    parts = Parts(config, html)
    feeds = {}
    for output, done in zip(outputs, last_uses(outputs), strict=True):
        feeds[output.filename] = render_output(output, config, parts)
        for article in done:
            parts.release(article)
    return feeds
