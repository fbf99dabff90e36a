"""Articles -> feeds (Atom, RSS, JSON Feed), RFC 5005 archives and the feeds page, behind one seam.

A build plans its outputs (``plan_outputs``: cheap, no Markdown, no XML), then renders each one
(``render_output``) with one ``Parts``, which makes each article's pieces once and reuses them in
every output that holds the article. Formats come from the registry (``registry.py``); each is
one module that registers itself when imported here, in this order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial

from ..enclosure import cover_enclosure  # digests take it from here
from ..model import Article, Config
from ..select import select

# isort: off
# Each format registers itself when imported: this order is the order of files, links and listings.
from . import atom, rss, jsonfeed, archive, page  # noqa: F401
# isort: on
from .links import FeedLink, feed_links, link_tags
from .parts import Parts, last_uses
from .plan import EPOCH, FeedSpec, Listed, Output, plan_outputs
from .registry import Format, formats, get, register, unregister

__all__ = [
    "FeedLink",
    "FeedSpec",
    "Format",
    "Listed",
    "Output",
    "Parts",
    "cover_enclosure",
    "feed_links",
    "formats",
    "get",
    "last_uses",
    "link_tags",
    "plan_outputs",
    "register",
    "render_feeds",
    "render_output",
    "unregister",
]


def render_output(output: Output, config: Config, parts: Parts) -> bytes:
    """The bytes of one planned output, rendered by its format."""
    return get(output.format).render(output, config, parts)


def render_feeds(articles: Iterable[Article], config: Config, *, now: datetime | None = None) -> dict[str, bytes]:
    """Render every configured feed: ``{"atom.xml": b"...", "rss.xml": b"...", "feed.json": b"...", ...}``.

    Only published articles appear (not drafts, not dated after ``now``), newest first. The feeds
    page (``index.html``, unless ``feeds_index_file`` is empty) comes along with them.
    """
    from ..render import remembered_feed, render_html

    published = select(articles, now=now)
    outputs = plan_outputs(published, config)
    parts = Parts(config, lambda article: render_html(article, config))
    fallback_updated = published[0].last_modified if published else EPOCH
    feeds = {}
    for output, done in zip(outputs, last_uses(outputs), strict=True):
        if output.spec is None:
            feeds[output.filename] = render_output(output, config, parts)
        else:
            # A build with a cache gets a past year's unchanged archive back instead of rendering it again.
            feeds[output.filename] = remembered_feed(
                output.spec, fallback_updated, partial(render_output, output, config, parts))
        for article in done:
            parts.release(article)
    return feeds
