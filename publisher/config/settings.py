"""Config: a site's settings in sections that mirror publisher.toml's tables, and what follows from them.

    Config(site=Site(title="News", url="https://example.org/"), feeds=Feeds(limit=20))

``config.site`` holds the top-level keys, ``config.feeds`` [feeds], and so on; ``config.fields`` is
[fields] (article field -> frontmatter names, also a read-only mapping). What is derived from several settings (``tz``,
``feeds_base``, ``local_time`` ...) is a property or method of Config itself.

Rendering needs only the site's title and url; the folders (content, output, state) are needed only by
what reads or writes them, which asks for them through ``content_folder``, ``output_folder`` and
``state_folder``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..model import DEFAULT_FIELDS
from ..urls import web_url
from .articles import Fields, Html, Markdown
from .feeds import Feeds, check_output_folders
from .mail import Digest, Smtp
from .sections import Site

if TYPE_CHECKING:
    from .presets import Preset

# The tables of publisher.toml, as Config's fields name them: the top level is "site".
SECTIONS: Mapping[str, type] = {
    "site": Site,
    "feeds": Feeds,
    "html": Html,
    "markdown": Markdown,
    "digest": Digest,
    "smtp": Smtp,
}


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
    ) -> None:
        sections: dict[str, Any] = {
            "site": site,
            "feeds": feeds,
            "html": html,
            "markdown": markdown,
            "digest": digest,
            "smtp": smtp,
        }
        if sections["site"] is None:
            raise TypeError("Config needs site=publisher.config.Site(title=..., url=...)")
        for name, kind in SECTIONS.items():
            value = kind() if sections[name] is None else sections[name]
            if not isinstance(value, kind):
                raise ConfigError(
                    f"Config {name}=: expected publisher.config.{kind.__name__}(...), not {type(value).__name__} "
                    "(a mapping shaped as publisher.toml goes to publisher.config.config_from_mapping)"
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

    @property
    def content_folder(self) -> Path:
        """The folder of articles ([site] content); ConfigError when none is set."""
        return self._folder("content")

    def existing_content_folder(self) -> Path:
        """The folder of articles, to be read: ConfigError when it is unset or is no folder."""
        folder = self.content_folder
        if not folder.is_dir():
            raise ConfigError(f"{folder}: no such content folder (set --content, or content in the config)")
        return folder

    @property
    def output_folder(self) -> Path:
        """The folder outputs go to ([site] output); ConfigError when none is set."""
        return self._folder("output")

    @property
    def state_folder(self) -> Path:
        """The state folder ([site] state_dir); ConfigError when none is set."""
        return self._folder("state_dir")

    def _folder(self, name: str) -> Path:
        value: str | None = getattr(self.site, name)
        if value is None:
            raise ConfigError(
                f"{name}: no folder set; rendering needs none, but reading or writing files does "
                f"(publisher.toml gives one by default; in code: Site({name}=...))"
            )
        return Path(value)

    def static_path(self, url_path: str) -> Path | None:
        """The local file behind a root-relative path such as "/images/a.png", if configured."""
        if not self.site.static:
            return None
        return Path(self.site.static) / url_path.lstrip("/")


def check_digest_addresses(site: Site, digest_url: str | None, unsubscribe_url: str | None) -> None:
    """The digest's own addresses may be relative to the site's url, or an ESP's merge tag (``*|UNSUB|*``):
    only an address with another scheme (javascript:, data:, file:) is refused."""
    for key, value in (("[digest] url", digest_url), ("[digest] unsubscribe_url", unsubscribe_url)):
        if value is not None and web_url(value, keep_relative=True) is None and web_url(value, site.url) is None:
            raise ConfigError(f"{key}: {value!r} is not an http(s) address")
