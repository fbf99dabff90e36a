"""The sections of a Config, one per table of publisher.toml: Site (the top level), Html, Markdown and
Fields here; Feeds in config/feeds.py; Digest and Smtp in config/mail.py (SECTIONS in config/settings.py
lists them all).

Each field is the one definition of its setting: its type and default here, and in its metadata (see
``about``) the key in the file when that is not the field's name, and what it does for people.
Loading (config/toml.py: unknown keys, types, relative paths) and docs/configuration.md
(docs/generate.py) are derived from these fields. Each section checks its own values when it is made
(config/checks.py); what needs two sections is checked by Config.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..content import DEFAULT_MAX_ARTICLE_BYTES
from ..content.presets import Preset, preset_named
from ..email.addresses import mailbox
from ..errors import ConfigError
from ..markup.engines import DEFAULT_ENGINE, PYTHON_MARKDOWN_EXTENSIONS
from . import checks


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
        checks.check_site_bounds_and_addresses(self)
        _ = self.tz  # raises ConfigError for an unknown zone name
        checks.check_pattern("permalink", self.permalink)
        checks.check_reading(self)
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


@dataclass(frozen=True)
class Html:
    """[html]: changes to the allow-list of tags for article bodies in feeds (markup/html.py ALLOWED_TAGS)."""

    allow: tuple[str, ...] = field(
        default=(),
        metadata=about("HTML tag names added to the allow-list for article bodies (`script` and `style` never pass)."),
    )
    deny: tuple[str, ...] = field(
        default=(), metadata=about("HTML tag names removed from the allow-list for article bodies.")
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "html")
        for name in ("allow", "deny"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(tag, str) for tag in value):
                raise ConfigError(f"[html] {name}: expected a list of HTML tag names")
            object.__setattr__(self, name, tuple(tag.lower() for tag in value))


@dataclass(frozen=True)
class Markdown:
    """[markdown]: the engine that turns bodies into HTML (markup/engines.py)."""

    engine: str = field(
        default=DEFAULT_ENGINE,
        metadata=about(
            "How bodies become HTML: `gfm` (CommonMark with GitHub's extensions, pyromark) or `python-markdown`; see "
            "[Markdown engines](articles.md#markdown-engines)."
        ),
    )
    extensions: tuple[str, ...] = field(
        default=PYTHON_MARKDOWN_EXTENSIONS,
        metadata=about('Python-Markdown\'s extensions, with `engine = "python-markdown"` only.'),
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "markdown")
        checks.check_markdown(self)


def _site_address(url: str) -> bool:
    """An address every article URL can be made from by appending a path: a host, a valid port, no
    user name, query or fragment (they would end up in the middle of every link)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    return bool(parts.hostname) and not (parts.query or parts.fragment or parts.username or parts.password)


def _names(description: str) -> Any:
    """A [fields] setting: unset (None) until Config fills it in from the preset's names, else DEFAULT_FIELDS.
    An empty list switches the field off (``id = []``: no frontmatter key is read for it)."""
    return field(default=None, metadata=about(description))


_REQUIRED = ("title", "published")  # an article has neither without them: never switched off


@dataclass(frozen=True)
class Fields(Mapping[str, tuple[str, ...]]):
    """[fields]: which frontmatter names fill each article field, first found wins. A field left unset
    keeps the preset's names, else model.DEFAULT_FIELDS; Config fills every one in, so ``config.fields``
    names them all. Also a read-only mapping (``config.fields["published"]``) of the fields that are set."""

    slug: tuple[str, ...] | None = _names("The article's slug (its URL segment); none: the file or folder name.")
    title: tuple[str, ...] | None = _names("The article's title.")
    published: tuple[str, ...] | None = _names("The publication date: the entry's `published`; required.")
    updated: tuple[str, ...] | None = _names("The date of the last change: the entry's `updated` when later.")
    author: tuple[str, ...] | None = _names("The author or authors (names, or mappings with a `name`).")
    tags: tuple[str, ...] | None = _names("The tags (a list, or one tag).")
    category: tuple[str, ...] | None = _names("The category (the first, for a list).")
    featured: tuple[str, ...] | None = _names("Featured or not: featured feeds and the digest's lead.")
    description: tuple[str, ...] | None = _names("The summary in feeds, the feeds page and the digest.")
    seo_title: tuple[str, ...] | None = _names("A title for search engines, kept for templates.")
    cover_image: tuple[str, ...] | None = _names("The cover image: enclosure, media thumbnail, digest image.")
    source: tuple[str, ...] | None = _names("Where the article first appeared.")
    draft: tuple[str, ...] | None = _names(
        "Draft or not; a name starting with `!` is read inverted (Jekyll's `!published`)."
    )
    id: tuple[str, ...] | None = _names(
        "The entry id (a URI; other text is ignored with a warning); none: `[feeds] entry_id` decides."
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "fields")
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            if value is not None and (isinstance(value, str) or not all(isinstance(n, str) and n for n in value)):
                raise ConfigError(f"[fields] {name}: expected a frontmatter name or a list of names")
            if value is not None and not value and name in _REQUIRED:
                raise ConfigError(f"[fields] {name}: cannot be switched off (every article needs one); name it")
            object.__setattr__(self, name, None if value is None else tuple(value))

    def __getitem__(self, name: str) -> tuple[str, ...]:
        value: tuple[str, ...] | None = getattr(self, name) if name in self.__dataclass_fields__ else None
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.__dataclass_fields__ if getattr(self, name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
