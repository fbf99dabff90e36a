"""Which files a build makes, and what each holds: cheap (no Markdown, no XML), so a build can plan first.

Every feed (main, featured, one per tag and per category) is planned in every feed format of
the registry; then each format with a ``plan`` of its own (the archives, the feeds page) adds
its outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime

from ..config import Config
from ..model import Article
from ..text import slugify
from .registry import feed_formats, formats

# What an empty feed says it was updated: a fixed instant, never the clock.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedSpec:
    """One feed file: its name, format, title and entries (newest first).

    ``kind`` is "all", "featured", "tag", "category" or "archive"; ``name`` the tag or category
    as written (the year of an archive); ``alternates`` the (format, file name) of the same feed
    in the other formats.
    """

    filename: str
    format: str  # a registered format's name: "atom", "rss", "json", ...
    title: str
    entries: list[Article]
    kind: str = "all"
    name: str = ""
    alternates: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # RFC 5005 (rel, address) pairs, Atom only
    archive: bool = False  # an RFC 5005 archive document: <fh:archive/>, part of the main feed, no hub
    total: int = 0  # the published articles of its kind (tag, category): all of them, not just the newest limit


@dataclass(frozen=True)
class Listed:
    """One feed file as a page lists it: what it is and how many entries it holds, not the entries."""

    kind: str
    name: str
    title: str
    format: str
    filename: str
    count: int


@dataclass(frozen=True)
class Output:
    """One file of a build and everything its bytes depend on besides the configuration.

    ``entries`` are the articles whose content it shows (for memo keys and for knowing when an
    article's pieces are no longer needed). ``updated`` is the date it states (a feed's newest
    entry, or for an empty feed the site's newest article; never the clock); ``listing`` the
    feeds a page lists.
    """

    filename: str  # relative to the output folder
    format: str  # a registered format's name: "atom", "rss", "json", "archive", "page", ...
    spec: FeedSpec | None  # the feed; None for pages that are not feeds
    entries: tuple[Article, ...]
    updated: datetime | None = None
    listing: tuple[Listed, ...] = ()

    def key(self) -> str:
        """Everything that decides the bytes besides the configuration and the entries' content.

        For a build's memo: with a digest of each entry (its file, fields and body) and of the
        settings, it names one output's bytes. Entries are named by key (file, else slug), in order.
        """
        fields = [self.filename, self.format, repr(self.updated), repr(self.listing)]
        if self.spec is not None:
            fields += [
                f"{f.name}={getattr(self.spec, f.name)!r}" for f in dataclass_fields(self.spec) if f.name != "entries"
            ]
        return "\n".join([*fields, *(article.key for article in self.entries)])


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
