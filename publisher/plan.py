"""A build's outputs as a plan: every file it makes, what each holds, rendered one at a time.

``plan_outputs`` is cheap (no Markdown, no XML); ``render_output`` makes one file's bytes. The
build engine walks the plan, so that only one output's bytes are in memory at a time, and
``Parts`` keeps each article's HTML for as long as a later output still needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

from .discovery import FEEDS_PAGE_ENTRIES, render_feeds_page
from .feeds import EPOCH, FeedSpec, feed_specs, render_feed
from .model import Article, Config


@dataclass(frozen=True)
class Output:
    """One file of a build."""

    filename: str  # relative to the output folder
    format: str  # "atom", "rss", "json" or "page"
    spec: FeedSpec | None  # the feed; None for the feeds page
    entries: tuple[Article, ...]  # every article whose content this output shows
    signature: str  # everything else it is made of (title, links, dates ...), as text
    depends_on_all: bool = False  # the feeds page lists every feed: it changes when any does
    specs: tuple[FeedSpec, ...] = ()  # for the feeds page: the feeds it lists
    published: tuple[Article, ...] = ()  # for the feeds page: every published article (its date)
    fallback: datetime = EPOCH  # an empty feed's updated date: the newest article's


class Parts:
    """One build's memo of per-article pieces; ``html(article)`` gives the sanitised body."""

    def __init__(self, config: Config, html: Callable[[Article], str]) -> None:
        self.config = config
        self.html = html

    def release(self, article: Article) -> None:
        """No later output needs ``article``: drop what is kept of it."""


def plan_outputs(published: list[Article], config: Config) -> list[Output]:
    specs = feed_specs(published, config)
    fallback = published[0].last_modified if published else EPOCH
    outputs = [Output(spec.filename, spec.format, spec, tuple(spec.entries), _signature(spec, fallback),
                      fallback=fallback) for spec in specs]
    if config.feeds_index_file:
        updated = max((a.last_modified for a in published), default=None)
        outputs.append(Output(config.feeds_index_file, "page", None, tuple(published[:FEEDS_PAGE_ENTRIES]),
                              f"{len(published)} {updated}", depends_on_all=True, specs=tuple(specs),
                              published=tuple(published)))
    return outputs


def render_output(output: Output, config: Config, parts: Parts) -> bytes:
    if output.spec is None:
        return render_feeds_page(list(output.specs), list(output.published), config, parts.html)
    return render_feed(output.spec, config, parts.html, output.fallback)


def _signature(spec: FeedSpec, fallback: datetime) -> str:
    described = [f"{f.name}={getattr(spec, f.name)!r}" for f in fields(spec) if f.name != "entries"]
    return "\n".join([*described, fallback.isoformat()])
