"""Which articles go out: published, in a window, featured, by tag or category, newest first.

One function for feeds and digests alike, so that "what is published" never means two things.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from .model import Article


def is_published(article: Article, now: datetime) -> bool:
    """Not a draft, and dated at or before ``now``."""
    return not article.draft and article.published <= now


def is_scheduled(article: Article, now: datetime) -> bool:
    """Not a draft, and dated after ``now``: it goes out by itself once ``now`` passes its date."""
    return not article.draft and article.published > now


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """Newest first; equal dates fall back to slug so the order never depends on the file system."""
    ordered = sorted(articles, key=attrgetter("slug"))  # attrgetter: 10,000 articles sorted in C
    return sorted(ordered, key=attrgetter("published"), reverse=True)


def window(
    now: datetime, *, since: datetime | None = None, until: datetime | None = None, days: float | None = None
) -> tuple[datetime | None, datetime]:
    """The window's bounds (since, until): ``until`` is at most ``now``; ``days`` counts back from it."""
    upper = min(until, now) if until is not None else now
    if days is not None:
        try:
            lower: datetime | None = upper - timedelta(days=days)
        except OverflowError:  # further back than year 1: no lower bound
            lower = None
        if lower is not None:
            since = max(since, lower) if since is not None else lower
    return since, upper


def select(
    articles: Iterable[Article],
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: float | None = None,
    featured: bool | None = None,
    tag: str | None = None,
    category: str | None = None,
    limit: int | None = None,
) -> list[Article]:
    """Published articles, newest first, in the window ``since < published <= until``.

    The window is half-open so that an article published exactly at a cut-off belongs to exactly
    one of two consecutive windows. ``days`` sets ``since`` to ``until - days`` (``until``
    defaults to ``now``, which defaults to the current time). ``featured=True`` keeps featured
    articles only, ``False`` only the others. ``tag`` and ``category`` compare case-insensitively.
    """
    now = now or datetime.now(UTC)
    for name, value in (("now", now), ("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"select: {name} must be a timezone-aware datetime")
    since, upper = window(now, since=since, until=until, days=days)
    tag_key = tag.casefold() if tag is not None else None
    category_key = category.casefold() if category is not None else None
    chosen = [a for a in articles if not a.draft and a.published <= upper]  # is_published, inlined: 10,000 calls
    if since is not None or featured is not None or tag_key is not None or category_key is not None:
        chosen = [
            a
            for a in chosen
            if (since is None or a.published > since)
            and (featured is None or a.featured == featured)
            and (tag_key is None or any(t.casefold() == tag_key for t in a.tags))
            and (category_key is None or (a.category or "").casefold() == category_key)
        ]
    return newest_first(chosen)[:limit]
