"""Which files a build makes, and what each holds: cheap (no Markdown, no XML), so a build can plan first.

Every feed (main, featured, one per tag and per category) is planned in every feed format of
the registry; then each format with a ``plan`` of its own (the archives, the feeds page) adds
its outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..config import Config
from ..model import Article
from ..text import slugify
from .outputs import EPOCH, FeedSpec, Output
from .registry import feed_formats, formats


def plan_outputs(published: list[Article], config: Config) -> list[Output]:
    """Every output of a build of ``published`` (newest first), in the order they are rendered."""
    fallback = published[0].last_modified if published else EPOCH
    outputs = [
        Output(
            spec.filename,
            spec.format,
            spec,
            tuple(spec.entries),
            max((a.last_modified for a in spec.entries), default=fallback),
        )
        for spec in feed_specs(published, config)
    ]
    for fmt in formats():
        if fmt.plan is not None:
            outputs = fmt.plan(published, config, outputs)
    return outputs


def feed_specs(published: list[Article], config: Config) -> list[FeedSpec]:
    """Main and featured feeds in every feed format, plus tag and category feeds if enabled.

    Articles are grouped in one pass, so the cost stays linear in articles times tags however
    many tag feeds there are.
    """
    limit = config.feeds.limit
    featured = [a for a in published if a.featured]
    specs = [
        *_in_every_format("all", "", config.site.title, published[:limit], config, total=len(published)),
        *_in_every_format(
            "featured",
            "",
            f"{config.site.title}: featured",
            featured[:limit],
            config,
            total=len(featured),
            any_featured=bool(featured),
        ),
    ]
    groups: list[tuple[str, Callable[[Article], Iterable[str]]]] = []
    if config.feeds.tags:
        groups.append(("tag", lambda a: a.tags))
    if config.feeds.categories:
        groups.append(("category", lambda a: [a.category] if a.category else []))
    for kind, names_of in groups:
        members: dict[str, list[Article]] = {}
        totals: dict[str, int] = {}
        display: dict[str, str] = {}
        for article in published:
            for slug in dict.fromkeys(slugify(name) for name in names_of(article)):
                group = members.setdefault(slug, [])
                totals[slug] = totals.get(slug, 0) + 1
                if len(group) < limit:
                    group.append(article)
            for name in names_of(article):
                display.setdefault(slugify(name), name)
        for slug in sorted(members):
            specs.extend(
                _in_every_format(
                    kind,
                    slug,
                    f"{config.site.title}: {display[slug]}",
                    members[slug],
                    config,
                    display[slug],
                    total=totals[slug],
                )
            )
    return specs


def _in_every_format(
    kind: str,
    slug: str,
    title: str,
    entries: list[Article],
    config: Config,
    name: str = "",
    *,
    total: int = 0,
    any_featured: bool = False,
) -> list[FeedSpec]:
    files = {
        fmt.name: filename
        for fmt in feed_formats()
        if (filename := fmt.filename(config, kind, slug, any_featured=any_featured)) is not None
    }
    return [
        FeedSpec(
            filename,
            fmt,
            title,
            entries,
            kind,
            name,
            tuple((other, other_file) for other, other_file in files.items() if other != fmt),
            total=total,
        )
        for fmt, filename in files.items()
    ]
