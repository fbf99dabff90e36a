"""What a build plans before it renders: each output file (``Output``), the feed it holds (``FeedSpec``) and
how a page lists a feed (``Listed``). Plain data: planned in plan.py, rendered by the formats of the
registry (registry.py), whose ``render`` and ``plan`` take and give these."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime

from ..model import Article

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
