"""The sections of a Config, one per table of publisher.toml: Site (the top level) here; Html, Markdown
and Fields in config/articles.py; Feeds in config/feeds.py; Digest and Smtp in config/mail.py (SECTIONS
in config/settings.py lists them all).

Each field is the one definition of its setting: its type and default here, and in its metadata (see
``about``) the key in the file when that is not the field's name, and what it does for people.
Loading (config/toml.py: unknown keys, types, relative paths) and docs/configuration.md
(docs/generate.py) are derived from these fields. Each section checks its own values when it is made, in
its own module (what all sections check alike is in config/checks.py); what needs two sections is
checked by Config. Nothing here imports content/, markup/ or email/: the vocabulary they share with the
settings (addresses.py, urls.py, filters.py, config/presets.py) imports none of them either.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..addresses import mailbox, no_line_breaks
from ..errors import ConfigError
from ..urls import web_url
from . import checks
from .presets import PRESETS, Preset, preset_named

# An article file larger than max_article_bytes is skipped and named (a 50 MB file took minutes and
# gigabytes to render, and would be copied into every feed). No setting reads more than READ_CEILING.
DEFAULT_MAX_ARTICLE_BYTES = 2 * 1024 * 1024
# Tags and categories kept per article (max_terms): each term's feeds carry the entry with all of its
# terms, so one article with 9,990 tags wrote 30,000 files (8 GB); 100 keep it to 300 small ones.
DEFAULT_MAX_TERMS = 100
MAX_TERMS_CEILING = 10_000  # as many values as frontmatter may hold without aliases being suspected
READ_CEILING = 64 * 1024 * 1024


def about(
    description: str, *, key: str | None = None, path: bool = False, file_default: str | None = None
) -> dict[str, Any]:
    """A field's metadata: ``description`` for the documentation; ``key`` in publisher.toml when it is not
    the field's name (``from`` is a Python keyword); ``path``: a folder, relative to publisher.toml's
    folder when read from the file; ``file_default``: the folder publisher.toml gives when it does not
    name one (a Config made in code has none: rendering needs no folder)."""
    return {"description": description, "key": key, "path": path, "file_default": file_default}


@dataclass(frozen=True)
class Site:
    """The top-level keys of publisher.toml: the site itself and where its files are."""

    title: str = field(metadata=about("The site's name: feed title, digest sender name, feeds page heading. Required."))
    url: str = field(
        metadata=about("The site's public address (http or https); article URLs are this plus `permalink`. Required.")
    )
    description: str = field(default="", metadata=about("Feed subtitle and RSS description; unset: the title."))
    language: str = field(default="en", metadata=about("Feed language (RFC 5646), e.g. `en`, `de-AT`."))
    author: str | None = field(
        default=None, metadata=about("Feed author; an article's own author wins for its entry. Unset: the site title.")
    )
    author_email: str | None = field(
        default=None, metadata=about("The author's address; also gives RSS `managingEditor`.")
    )
    timezone: str = field(
        default="UTC",
        metadata=about(
            "Zone of dates written without an offset, and of archive years (an IANA name, e.g. `Europe/Berlin`)."
        ),
    )
    # Article URL = site url + permalink, filled in by content/permalinks.py.
    permalink: str = field(
        default="/{slug}/",
        metadata=about(
            "Article path after `url`: `{slug}`, `{year}`, `{month}`, `{day}`, `{category}`, `{path}` (the file's path "
            "under `content`, without extension; a bundle's folder), `{filename}`, `{folder}` (the folder that holds "
            "the article), `{title}` (the title as Hugo's urlize makes it) and `{slug_or_title}` (Hugo's `:slug`: "
            "the frontmatter slug, else `{title}`) are filled in; an empty one drops its segment."
        ),
    )
    static: str | None = field(
        default=None,
        metadata=about(
            "Folder of local files: a cover `/images/a.png` is `static/images/a.png` (gives enclosure lengths and "
            "e-mail-sized copies).",
            path=True,
        ),
    )
    authors: str | None = field(
        default=None,
        metadata=about(
            "A YAML, TOML or JSON file mapping author keys to a `name` and `url` (Docusaurus' `blog/authors.yml`, "
            "Jekyll's `_data/authors.yml`), or a folder of one file per author (Hugo's `data/authors/`): an "
            "article's author that is a key there gets that name and address.",
            path=True,
        ),
    )
    icon: str | None = field(default=None, metadata=about("Atom `icon`, JSON Feed `icon` and `favicon`."))
    logo: str | None = field(default=None, metadata=about("Atom `logo` and RSS `image`."))
    content: str | None = field(
        default=None,
        metadata=about(
            "Folder of Markdown articles, searched recursively for `*.md`, `*.markdown` and `*.mdx`; `--content` wins.",
            path=True,
            file_default="content",
        ),
    )
    output: str | None = field(
        default=None,
        metadata=about(
            "Output folder for feeds, the feeds page and the digest; `--out` wins. When both the build and the digest "
            "run, set it here so that both use one folder.",
            path=True,
            file_default="feeds",
        ),
    )
    state_dir: str | None = field(
        default=None,
        metadata=about(
            "The state folder: the build's cache (`state.sqlite3`, always safe to delete) and the newsletter's "
            "records (`newsletter.sqlite3`: subscribers, digest history, delivery journal; keep it). Never inside "
            "`output`.",
            path=True,
            file_default=".publisher",
        ),
    )
    templates: str | None = field(
        default=None,
        metadata=about(
            "Folder of your own Jinja2 templates: a file there replaces the bundled one of the same name "
            "(`digest.html.j2`, `digest.txt.j2`, `feeds-index.html.j2`).",
            path=True,
        ),
    )
    fallback_encoding: str | None = field(
        default=None,
        metadata=about(
            "Encoding to read a file that is not UTF-8 with (e.g. `cp1252`); unset: such a file is reported with its "
            "byte offset and skipped."
        ),
    )
    max_article_bytes: int = field(
        default=DEFAULT_MAX_ARTICLE_BYTES,
        metadata=about(
            "An article file larger than this many bytes is reported and skipped without being read (at most 64 MiB); "
            "default 2 MiB."
        ),
    )
    max_terms: int = field(
        default=DEFAULT_MAX_TERMS,
        metadata=about(
            "Tags and categories kept per article (at most 10,000); the rest are named in a warning and dropped. Each "
            "term gives feeds that carry the entry with all its terms, so one article's output grows with the square "
            "of its count; default 100."
        ),
    )
    preset: str | None = field(
        default=None,
        metadata=about(
            "`astro`, `hugo`, `jekyll`, `eleventy` or `pelican`: read the folder as that generator does (field names, "
            "drafts, tag lists, excluded files, file names); see [Migrating](migrating.md)."
        ),
    )
    # None: the preset's patterns (README*, _*, .*); hidden files are never read.
    exclude: tuple[str, ...] | None = field(
        default=None,
        metadata=about(
            "Files and folders under `content` that are not articles, as .gitignore patterns; unset: the preset's, "
            'else `["README*", "_*", ".*"]`.'
        ),
    )
    # Callables, "module:function" names or `publisher.filters` entry point names.
    body_filters: tuple[Any, ...] = field(
        default=(),
        metadata=about(
            'Site markup (shortcodes) as functions text → text run on the Markdown: `"module:function"`, '
            '`"file.py:function"` (next to publisher.toml) or a `publisher.filters` entry point name.'
        ),
    )
    html_filters: tuple[Any, ...] = field(
        default=(), metadata=about("The same, run on the HTML before it is sanitised.")
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "")
        if not self.title.strip():
            raise ConfigError("title: must not be empty (the feeds' title, the digest's sender name)")
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"url: {self.url!r} is not an absolute http(s) address")
        if not _site_address(self.url):
            raise ConfigError(
                f"url: {self.url!r} is not the site's address (expected an absolute http(s) address with a host "
                "and no query, fragment or user name, e.g. https://example.org/blog/)"
            )
        if not self.url.endswith("/"):
            object.__setattr__(self, "url", self.url + "/")
        _check_bounds_and_addresses(self)
        _ = self.tz  # raises ConfigError for an unknown zone name
        checks.check_pattern("permalink", self.permalink)
        _check_reading(self)
        if self.fallback_encoding is not None:
            try:
                if not codecs.lookup(self.fallback_encoding)._is_text_encoding:  # rot13, base64: bytes to bytes
                    raise LookupError(self.fallback_encoding)
            except LookupError:
                raise ConfigError(f"fallback_encoding: {self.fallback_encoding!r} is not a known encoding") from None
        if self.author_email is not None:
            mailbox(self.author_email, "author_email")
        # After the line-break checks: an encoded CR LF would hide them.
        checks.addresses_as_uris(self, {"url": "url", "icon": "icon", "logo": "logo"})

    @property
    def tz(self) -> tzinfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"timezone: {self.timezone!r} is not a known time zone (e.g. 'Europe/Berlin')") from exc

    @property
    def preset_rules(self) -> Preset:
        """How the content folder is read: the named preset's rules, or publisher's own."""
        return preset_named(self.preset)


def _site_address(url: str) -> bool:
    """An address every article URL can be made from by appending a path: a host, a valid port, no
    user name, query or fragment (they would end up in the middle of every link)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    return bool(parts.hostname) and not (parts.query or parts.fragment or parts.username or parts.password)


def _check_reading(site: Site) -> None:
    """preset, exclude and the filters: known names and the right shapes."""
    if site.preset and site.preset not in PRESETS:
        raise ConfigError(f"preset: {site.preset!r} is not a known preset (known: {', '.join(PRESETS)})")
    exclude = site.preset_rules.exclude if site.exclude is None else site.exclude
    if isinstance(exclude, str) or not all(isinstance(p, str) and p for p in exclude):
        raise ConfigError(
            f"exclude: {site.exclude!r} is not valid (expected a list of file name patterns, "
            'e.g. ["README*", "drafts/*"])'
        )
    object.__setattr__(site, "exclude", tuple(exclude))
    for name in ("body_filters", "html_filters"):
        value = getattr(site, name)
        if isinstance(value, str) or callable(value):
            value = (value,)
        if not all(callable(f) or (isinstance(f, str) and f) for f in value):
            raise ConfigError(f'{name}: expected a list of functions or "module:function" names')
        object.__setattr__(site, name, tuple(value))
        if value:
            from ..filters import resolve  # importlib.metadata: only for a site with filters

            for spec in value:  # a name that leads nowhere is a configuration error now, not at render
                try:
                    resolve(spec)
                except ConfigError as exc:
                    raise ConfigError(f"{name}: {exc}") from None


def _check_bounds_and_addresses(site: Site) -> None:
    """The article size within bounds, one-line settings on one line, icon and logo http(s) (relative
    to ``url`` allowed): addresses a reader's software fetches or follows (urls.py)."""
    if not 1 <= site.max_article_bytes <= READ_CEILING:
        raise ConfigError(f"max_article_bytes: {site.max_article_bytes} must be 1 to {READ_CEILING:,} bytes")
    if not 1 <= site.max_terms <= MAX_TERMS_CEILING:
        raise ConfigError(f"max_terms: {site.max_terms} must be 1 to {MAX_TERMS_CEILING:,}")
    for name in ("title", "url", "author"):  # they end up in a message header or a link
        value = getattr(site, name)
        if isinstance(value, str):
            no_line_breaks(value, name)
            control = next((c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0), None)
            if control is not None:  # shown as is on the feeds page and in mail clients
                raise ConfigError(f"{name}: {value!r} holds a control character (U+{ord(control):04X})")
    for name in ("icon", "logo"):
        value = getattr(site, name)
        if value is not None and web_url(value, site.url) is None:
            raise ConfigError(f"{name}: {value!r} is not an http(s) address")
