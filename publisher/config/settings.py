"""Config: a site's settings in sections that mirror publisher.toml's tables, and what follows from them.

    Config(site=Site(title="News", url="https://example.org/"), feeds=Feeds(limit=20))

``config.site`` holds the top-level keys, ``config.feeds`` [feeds], and so on; ``config.fields`` is
[fields] (article field -> frontmatter names, also a read-only mapping). What is derived from several settings (``tz``,
``feeds_base``, ``article_url``, ``local_time`` ...) is a property or method of Config itself.

The flat Config of earlier releases (``Config(title=..., feed_limit=3)``, ``config.feed_limit``,
``dataclasses.replace(config, feed_limit=3)``) still works for one release, with a DeprecationWarning.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, PublisherDeprecationWarning
from ..model import DEFAULT_FIELDS
from .checks import check_digest_addresses, check_output_folders
from .feeds import Feeds
from .mail import Digest, Smtp
from .sections import Fields, Html, Markdown, Site

if TYPE_CHECKING:
    from ..content.presets import Preset
    from ..model import Article

# The tables of publisher.toml, as Config's fields name them: the top level is "site".
SECTIONS: Mapping[str, type] = {
    "site": Site,
    "feeds": Feeds,
    "html": Html,
    "markdown": Markdown,
    "digest": Digest,
    "smtp": Smtp,
}


# The settings of the flat Config of earlier releases, by their names there: what the deprecated
# spellings accept. Fixed: a setting added since has its section's spelling only.
EARLIER_NAMES = frozenset(
    """
    title url description language author author_email timezone permalink static_dir feeds_url icon logo
    feed_limit atom_file rss_file featured_atom_file featured_rss_file tag_feeds category_feeds
    tag_feed_pattern category_feed_pattern json_file featured_json_file tag_json_pattern
    category_json_pattern feeds_index_file hubs archives archive_pattern preset exclude entry_id
    body_filters html_filters fallback_encoding allow_tags deny_tags markdown_engine markdown_extensions
    content_dir output_dir state_dir templates_dir digest_subject digest_limit digest_full_bodies digest_url
    digest_from digest_to digest_reply_to unsubscribe_url unsubscribe_mailto postal_address utm_source
    utm_medium utm_campaign max_article_bytes cover_size digest_budget list_id feedback_id video_poster
    newsletter_archive smtp_host smtp_port smtp_starttls smtp_ssl smtp_user
    """.split()
)


def _flat_names() -> dict[str, tuple[str, str]]:
    """The flat Config's attribute names -> (section, field), from the fields' metadata."""
    names: dict[str, tuple[str, str]] = {}
    for section, kind in SECTIONS.items():
        for f in dataclasses.fields(kind):
            flat = f.metadata["flat"] or f.metadata["key"] or f.name
            if flat in EARLIER_NAMES:
                assert flat not in names, f"two settings once named {flat}"
                names[flat] = (section, f.name)
    missing = EARLIER_NAMES - names.keys()
    assert not missing, f"earlier settings without a place in the sections: {sorted(missing)}"
    return names


FLAT_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType(_flat_names())


def flat_to_sections(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{"feed_limit": 3} -> {"feeds": {"limit": 3}}; a TypeError names the unknown names."""
    unknown = sorted(set(flat) - FLAT_NAMES.keys())
    if unknown:
        raise TypeError(f"Config got unexpected keyword argument(s) {', '.join(unknown)}")
    grouped: dict[str, dict[str, Any]] = {}
    for name, value in flat.items():
        section, attribute = FLAT_NAMES[name]
        grouped.setdefault(section, {})[attribute] = value
    return grouped


def outside_level() -> int:
    """The ``stacklevel`` that makes a warning point at the first caller outside publisher/config/ and
    dataclasses (whose replace() calls Config): the line a user has to change."""
    level, frame = 1, sys._getframe(1)  # level 1: the function that warns
    while frame.f_back is not None and (
        frame.f_code.co_filename.startswith(_HERE) or frame.f_code.co_filename == dataclasses.__file__
    ):
        level, frame = level + 1, frame.f_back
    return level


_HERE = str(Path(__file__).parent)


def deprecated_spelling(flat: Mapping[str, Any], grouped: Mapping[str, Mapping[str, Any]], call: str) -> str:
    """The warning for flat keywords: what was used and how to write it now."""
    new = ", ".join(
        f"{section}={SECTIONS[section].__name__}({', '.join(f'{k}=...' for k in values)})"
        for section, values in grouped.items()
    )
    return (
        f"{call}({', '.join(f'{name}=...' for name in flat)}) is deprecated and goes in the next release: "
        f"use {call}({new}) (publisher.config.{', '.join(SECTIONS[s].__name__ for s in grouped)})"
    )


@dataclass(frozen=True, init=False)
class Config:
    """Site and feed settings in sections, one per table of publisher.toml. Only ``site`` is needed
    (and in it only ``title`` and ``url``); every other section has its defaults."""

    site: Site
    feeds: Feeds = field(default_factory=Feeds)
    html: Html = field(default_factory=Html)
    markdown: Markdown = field(default_factory=Markdown)
    digest: Digest = field(default_factory=Digest)
    smtp: Smtp = field(default_factory=Smtp)
    # [fields]: given as a Fields or a mapping of the same names (partial: the rest keep the preset's
    # names, else DEFAULT_FIELDS); always a Fields with every name once made.
    fields: Fields = field(default_factory=Fields)
    # The file this configuration was read from (load_config), so that errors found later name it.
    config_file: str | None = field(default=None, compare=False)

    def __init__(
        self,
        site: Site | None = None,
        feeds: Feeds | None = None,
        html: Html | None = None,
        markdown: Markdown | None = None,
        digest: Digest | None = None,
        smtp: Smtp | None = None,
        fields: Fields | Mapping[str, Any] | None = None,
        config_file: str | None = None,
        **flat: Any,
    ) -> None:
        sections: dict[str, Any] = {
            "site": site,
            "feeds": feeds,
            "html": html,
            "markdown": markdown,
            "digest": digest,
            "smtp": smtp,
        }
        if flat:  # the flat keywords of earlier releases; they win over the sections given with them
            grouped = flat_to_sections(flat)
            warnings.warn(
                deprecated_spelling(flat, grouped, "Config"), PublisherDeprecationWarning, stacklevel=outside_level()
            )
            for name, values in grouped.items():
                given = sections[name]
                sections[name] = SECTIONS[name](**values) if given is None else dataclasses.replace(given, **values)
        if sections["site"] is None:
            raise TypeError("Config needs site=publisher.config.Site(title=..., url=...)")
        for name, kind in SECTIONS.items():
            value = kind() if sections[name] is None else sections[name]
            if not isinstance(value, kind):
                raise ConfigError(
                    f"Config {name}=: expected publisher.config.{kind.__name__}(...), not {type(value).__name__} "
                    "(a mapping shaped as publisher.toml goes to publisher.config_from_mapping)"
                )
            object.__setattr__(self, name, value)
        if fields is not None and not isinstance(fields, Mapping):
            raise ConfigError(f"Config fields=: expected publisher.config.Fields(...) or a mapping, not {fields!r}")
        object.__setattr__(self, "fields", Fields() if fields is None else fields)
        object.__setattr__(self, "config_file", config_file)
        self.__post_init__()

    def __post_init__(self) -> None:
        check_digest_addresses(self.site, self.digest.url, self.digest.unsubscribe_url)
        check_output_folders(self.feeds, self.digest.archive)
        unknown = set(self.fields) - set(DEFAULT_FIELDS)
        if unknown:
            raise ConfigError(f"fields: unknown article field(s) {sorted(unknown)}")
        # The names given win; a field they leave unset keeps the preset's names, else the defaults. A
        # resolved Fields remembers what was given, so that dataclasses.replace with another preset
        # resolves again from that, not from the old preset's names.
        source = getattr(self.fields, "_given", self.fields)
        given = {} if source is DEFAULT_FIELDS else {name: names for name, names in source.items() if names is not None}
        resolved = Fields(**{**DEFAULT_FIELDS, **self.preset_rules.fields, **given})
        object.__setattr__(resolved, "_given", dict(given))
        object.__setattr__(self, "fields", resolved)

    if not TYPE_CHECKING:  # hidden from type checkers, so that they report a flat read as the error it will be

        def __getattr__(self, name: str) -> Any:
            """``config.feed_limit`` and the other flat names of earlier releases, with a DeprecationWarning."""
            if name not in FLAT_NAMES:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            section, attribute = FLAT_NAMES[name]
            warnings.warn(
                f"Config.{name} is deprecated and goes in the next release: use config.{section}.{attribute}",
                PublisherDeprecationWarning,
                stacklevel=2,
            )
            return getattr(getattr(self, section), attribute)

    @property
    def tz(self) -> tzinfo:
        """The site's time zone."""
        return self.site.tz

    @property
    def cover_shape(self) -> tuple[int, int]:
        """[digest] cover_size as (width, height)."""
        return self.digest.cover_shape

    @property
    def feeds_base(self) -> str:
        """The public address of the feeds folder: [feeds] url, else the site url + "feeds/"."""
        return self.feeds.url or self.site.url + "feeds/"

    @property
    def feeds_index_url(self) -> str | None:
        """The feeds page's address; None when [feeds] index is "" (no page)."""
        return self.feeds_base + self.feeds.index if self.feeds.index else None

    def archive_file(self, year: int) -> str:
        """The file name of ``year``'s RFC 5005 archive ([feeds] archive_pattern)."""
        return self.feeds.archive_file(year)

    def local_time(self, moment: datetime) -> datetime:
        """``moment`` in the site's time zone; as it was given when that would leave years 1 to 9999
        (Hugo's zero date 0001-01-01T00:00:00Z is in year 0 in New York)."""
        try:
            return moment.astimezone(self.tz)
        except (OverflowError, ValueError):
            return moment

    @property
    def preset_rules(self) -> Preset:
        """How the content folder is read: the named preset's rules, or publisher's own."""
        return self.site.preset_rules

    def article_url(self, article: Article) -> str:
        """The article's public address (see permalinks.article_url)."""
        from ..content.permalinks import article_url

        return article_url(article, self)

    def static_path(self, url_path: str) -> Path | None:
        """The local file behind a root-relative path such as "/images/a.png", if configured."""
        if not self.site.static:
            return None
        return Path(self.site.static) / url_path.lstrip("/")
