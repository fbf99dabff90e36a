"""RFC 5005 archived feeds: every published article in its year's Atom archive, chained from the main feed.

Years are the site's time zone's. Every article goes into its year's archive, those still in
the main feed included, so an archive's set of entries depends only on the articles of its
year: a past year's archive never changes when new articles appear (RFC 5005 section 4: the
entries of an archive SHOULD NOT change). Only the current year's archive grows, and each
article it gains is also in the main feed, where readers see it first. Empty years are skipped.
"""

from __future__ import annotations

from dataclasses import replace

from ..config import Config
from ..model import Article
from . import atom
from .outputs import FeedSpec, Output
from .parts import Parts
from .registry import Format, register


def plan(published: list[Article], config: Config, outputs: list[Output]) -> list[Output]:
    """One archive per year, oldest first; the main Atom feed links the newest.

    Archives come before the feeds: an old year's articles are in no feed, so their pieces are
    released as soon as their archive is rendered; only the articles that are also in a feed
    stay in memory (Parts) until then. After the feeds, every article would stay until the end.
    """
    if not config.feeds.archives or not config.feeds.archive_pattern or not config.feeds.atom:
        return outputs  # archives are chained from the main Atom feed (RFC 5005): none without it
    years: dict[int, list[Article]] = {}
    for article in published:
        years.setdefault(config.local_time(article.published).year, []).append(article)
    order = sorted(years)
    current = config.feeds_base + config.feeds.atom
    archives = []
    for i, year in enumerate(order):
        links = [("current", current)]
        if i > 0:
            links.append(("prev-archive", config.feeds_base + config.archive_file(order[i - 1])))
        if i + 1 < len(order):
            links.append(("next-archive", config.feeds_base + config.archive_file(order[i + 1])))
        entries = years[year]
        spec = FeedSpec(
            config.archive_file(year),
            "atom",
            f"{config.site.title}: {year}",
            entries,
            kind="archive",
            name=str(year),
            links=tuple(links),
            archive=True,
        )
        archives.append(Output(spec.filename, "archive", spec, tuple(entries), max(a.last_modified for a in entries)))
    if not archives:
        return outputs
    # The main Atom feed is RFC 5005's subscription document: it points at the newest archive.
    newest = (("prev-archive", config.feeds_base + archives[-1].filename),)
    return [*archives, *(_linked(output, newest) for output in outputs)]


def _linked(output: Output, links: tuple[tuple[str, str], ...]) -> Output:
    spec = output.spec
    if spec is None or output.format != "atom" or spec.kind != "all":
        return output
    return replace(output, spec=replace(spec, links=links))


def render(output: Output, config: Config, parts: Parts) -> bytes:
    """An archive is an Atom document (with <fh:archive/>, see FeedSpec.archive)."""
    return atom.render(output, config, parts)


ARCHIVE = register(
    Format(
        name="archive",
        label="Atom archive (RFC 5005)",
        media_type="application/atom+xml",
        render=render,
        settings={"archive": "archive_pattern"},
        plan=plan,
    )
)
