"""The feeds page (feeds/index.html): how people who open a feed in a browser find and follow the feeds.

Browsers are removing XSLT, so a feed opened in a browser can no longer style itself; each feed
links this page instead (Atom ``link rel="alternate" type="text/html"``), which lists every feed's
address with a copy button, says what a feed is and how to subscribe, and shows the newest entries.
"""

from __future__ import annotations

from typing import Any

from ..config import Config
from ..content.permalinks import article_url
from ..model import Article
from ..text import distinct_terms, join_names, one_line
from .links import FeedLink, feed_links, feed_title
from .outputs import Listed, Output
from .parts import Parts
from .registry import FEED_KINDS, Format, register

FEEDS_PAGE_TEMPLATE = "feeds-index.html.j2"
FEEDS_PAGE_ENTRIES = 12
SECTION_HEADINGS = {"all": "All articles", "featured": "Featured articles", "tag": "By tag", "category": "By category"}
# Above this many tag (or category) feeds a section is an index: one line per name with a link per
# format, folded in a <details> (a blog with 138 tags made a page 16,000 px tall with 420 buttons).
COMPACT_FROM = 12


def plan(published: list[Article], config: Config, outputs: list[Output]) -> list[Output]:
    """The page comes last: it lists every feed planned before it."""
    if not config.feeds.index:
        return outputs
    listing = tuple(
        Listed(o.spec.kind, o.spec.name, o.spec.title, o.spec.format, o.filename, o.spec.total)
        for o in outputs
        if o.spec is not None and o.spec.kind in FEED_KINDS
    )
    updated = max((a.last_modified for a in published), default=None)
    page = Output(config.feeds.index, "page", None, tuple(published[:FEEDS_PAGE_ENTRIES]), updated, listing)
    return [*outputs, page]


def render(output: Output, config: Config, parts: Parts) -> bytes:
    """feeds/index.html from the ``feeds-index.html.j2`` template (a site's own ``templates`` folder wins).

    Deterministic like the feeds: its date is the newest entry's, never the clock.
    """
    from ..templates import render_template, template_env

    groups: dict[tuple[str, str], list[Listed]] = {}
    for listed in output.listing:
        groups.setdefault((listed.kind, listed.name), []).append(listed)
    sections: dict[str, list[dict[str, Any]]] = {}
    for (kind, name), members in groups.items():
        sections.setdefault(kind, []).append(
            {
                "name": one_line(name),
                "title": one_line(members[0].title),
                "count": members[0].count,
                "links": [
                    FeedLink(m.format, config.feeds_base + m.filename, feed_title(m.title, m.format)) for m in members
                ],
            }
        )
    updated = output.updated
    kept = getattr(parts.kept, "state", None)  # the state store, where a store renders: the template compiled once
    page = render_template(
        config,
        FEEDS_PAGE_TEMPLATE,
        env=template_env(config, kept=kept) if kept is not None else None,
        site=config.site,
        page_url=config.feeds_index_url,
        head_links=feed_links(config, any_featured=any(listed.kind == "featured" for listed in output.listing)),
        main=sections.get("all", []) + sections.get("featured", []),
        sections=[
            {
                "kind": kind,
                "heading": SECTION_HEADINGS[kind],
                "feeds": sorted(sections[kind], key=lambda feed: feed["name"].casefold())
                if len(sections[kind]) > COMPACT_FROM
                else sections[kind],
                "compact": len(sections[kind]) > COMPACT_FROM,
            }
            for kind in ("tag", "category")
            if kind in sections
        ],
        entries=[_entry(article, config, parts) for article in output.entries],
        updated=updated.isoformat() if updated else None,
        updated_date=updated.date().isoformat() if updated else None,
    )
    return page.encode("utf-8")


def _entry(article: Article, config: Config, parts: Parts) -> dict[str, Any]:
    cover = parts.enclosure(article)
    return {
        "title": one_line(article.title) or article.slug,
        "url": article_url(article, config),
        "published": article.published.isoformat(),
        "date": config.local_time(article.published).date().isoformat(),
        "author": join_names(article.authors),  # "A, B and C"
        "summary": parts.summary(article),
        "tags": distinct_terms(article.tags),
        "cover": cover.url if cover is not None and cover.type.startswith("image/") else None,
    }


PAGE = register(
    Format(
        name="page", label="Feeds page", media_type="text/html", render=render, settings={"page": "index"}, plan=plan
    )
)
