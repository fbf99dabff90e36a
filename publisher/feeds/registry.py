"""The registry of output formats: what each one is called, its media type, its files and how it renders.

As Python-Markdown does for its extensions, each format is one module that builds a ``Format``
and registers it; nothing else in publisher names a format. Feed formats (Atom, RSS, JSON Feed)
name a file for each kind of feed, and every feed is made in each of them; other outputs (the
RFC 5005 archives, the feeds page) plan their own files. Formats are planned, rendered, linked
and listed in registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..config import Config, Feeds
from ..model import Article

if TYPE_CHECKING:
    from .outputs import Output
    from .parts import Parts

# The kinds of feed a feed format can name a file for; "tag" and "category" are one feed per name.
FEED_KINDS = ("all", "featured", "tag", "category")
# Outputs of their own, whose files a format names with a setting but plans itself.
OTHER_KINDS = ("archive", "page")


@dataclass(frozen=True)
class Format:
    """One output format.

    ``settings`` maps a feed kind to the [feeds] setting (a ``config.feeds`` attribute) holding its
    file name (main and featured) or pattern (tag and category: ``{slug}`` and ``{format}`` are filled in); "" there
    means none. ``files`` gives the name or pattern for kinds without a setting, or whose setting
    is None (the featured feeds: made only while some article is featured). A format that names a file
    for any feed kind is a feed format: every feed is made in it and announced with it.
    ``plan``, for outputs that are not one per feed, takes the published articles (newest
    first), the configuration and the outputs planned so far, and returns the new list.
    ``render`` turns one planned output into bytes.
    """

    name: str  # "atom": the registry key, Output.format, FeedSpec.format
    label: str  # "Atom": what people are shown
    media_type: str  # "application/atom+xml"
    render: Callable[[Output, Config, Parts], bytes]
    settings: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    plan: Callable[[list[Article], Config, list[Output]], list[Output]] | None = None

    def __post_init__(self) -> None:
        unknown = (set(self.settings) | set(self.files)) - set(FEED_KINDS) - set(OTHER_KINDS)
        if unknown:
            raise ValueError(
                f"format {self.name!r}: unknown kind(s) {sorted(unknown)} "
                f"(expected {', '.join(FEED_KINDS + OTHER_KINDS)})"
            )
        settings = dict(self.settings)
        missing = sorted(set(settings.values()) - set(Feeds.__dataclass_fields__))
        if missing:
            raise ValueError(
                f"format {self.name!r}: {', '.join(missing)} is not a Config setting (a config.feeds attribute)"
            )
        object.__setattr__(self, "settings", MappingProxyType(settings))
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    @property
    def is_feed(self) -> bool:
        return any(kind in self.settings or kind in self.files for kind in FEED_KINDS)

    def filename(self, config: Config, kind: str, slug: str = "", *, any_featured: bool = False) -> str | None:
        """This format's file for a feed of ``kind`` (``slug`` for tag and category feeds); None if it makes none.

        A featured feed left to its default is made only when ``any_featured`` (some published
        article is featured): an empty feed is not worth a subscription.
        """
        setting = self.settings.get(kind)
        pattern: str | None = getattr(config.feeds, setting) if setting else None
        if pattern is None and (kind != "featured" or any_featured):
            pattern = self.files.get(kind)
        if not pattern:
            return None
        return pattern.format(slug=slug, format=self.name) if kind in ("tag", "category") else pattern


_formats: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add ``fmt`` after the formats already registered; a name can be registered once."""
    if fmt.name in _formats:
        raise ValueError(f"a format named {fmt.name!r} is already registered (unregister it first)")
    _formats[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    """Remove the format ``name``; its outputs are no longer planned, linked or listed."""
    del _formats[name]


def get(name: str) -> Format:
    """The registered format ``name``; KeyError naming the formats there are."""
    try:
        return _formats[name]
    except KeyError:
        raise KeyError(f"no format named {name!r} is registered (known: {', '.join(_formats)})") from None


def formats() -> list[Format]:
    """Every registered format, in registration order."""
    return list(_formats.values())


def feed_formats() -> list[Format]:
    """The formats every feed is made in (Atom, RSS, JSON Feed, ...), in registration order."""
    return [fmt for fmt in _formats.values() if fmt.is_feed]
