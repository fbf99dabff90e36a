"""The data model: articles and configuration. Plain frozen dataclasses, no I/O."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config.checks import (
    addresses_as_uris,
    check_bounds_and_addresses,
    check_feed_names,
    check_markdown,
    check_patterns,
    check_reading,
)
from .content import DEFAULT_MAX_ARTICLE_BYTES
from .content.presets import Preset, preset_named
from .email.addresses import check_mail_settings
from .errors import ConfigError
from .markup.engines import DEFAULT_ENGINE, PYTHON_MARKDOWN_EXTENSIONS

# Frontmatter names tried for each Article field, in order. The reference article's names
# come first; the rest are what Astro, Hugo, Jekyll and Eleventy collections use (a preset
# changes some of them: content/presets.py). A draft name starting with "!" is read inverted.
DEFAULT_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "slug": ("slug",),
        "title": ("title",),
        "published": ("publishDate", "pubDate", "date", "published", "publish_date", "pubdate"),
        "updated": ("updatedDate", "updated", "lastmod", "modified", "updateDate", "lastModified"),
        "author": ("author", "authors", "by"),
        "tags": ("tags", "keywords"),
        "category": ("category", "categories"),
        "featured": ("featured",),
        "description": ("seoDescription", "description", "summary", "excerpt"),
        "seo_title": ("seoTitle",),
        "cover_image": ("coverImage", "heroImage", "image", "cover", "featuredImage", "thumbnail"),
        "source": ("source",),
        "draft": ("draft",),
        "id": ("id", "guid"),
    }
)


class DeferredBody:
    """A body that is read only when something asks for it: ``Article(..., body=DeferredBody(read))``.

    Every article's frontmatter is needed to sort and select, but only the bodies of the few
    that reach an output are needed at all; the loader passes one of these, and ``read()``
    returns the Markdown. It is called on each access and the text is not kept: a build that
    renders every article (archives) would otherwise hold every body in memory at once.
    """

    __slots__ = ("read",)

    def __init__(self, read: Callable[[], str]) -> None:
        self.read = read


class _BodyField:
    """Article.body: a str, or a DeferredBody read on each access."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, article: Article | None, owner: type | None = None) -> str:
        if article is None:
            return ""  # the dataclass default
        value = article.__dict__[self.slot]
        return value.read() if isinstance(value, DeferredBody) else value

    def __set__(self, article: Article, value: str | DeferredBody) -> None:
        # Reached only from the generated __init__ (object.__setattr__); the frozen
        # dataclass's own __setattr__ refuses every later assignment.
        if not isinstance(value, (str, DeferredBody)):
            raise TypeError(f"Article body must be text, not {type(value).__name__}")
        article.__dict__[self.slot] = value


DEFAULT_DIGEST_SUBJECT = (
    "{% if lead %}{{ lead.title }}{% else %}{{ site.title }}: {{ count }} new "
    "article{{ '' if count == 1 else 's' }}{% endif %}"
)


@dataclass(frozen=True)
class Article:
    """One article, as feeds and digests see it.

    ``published`` must be timezone-aware. ``body`` is Markdown (raw HTML allowed); a loaded
    article reads it from its file the first time it is used (see DeferredBody).
    ``extra`` holds the frontmatter fields publisher does not know, for templates.

    ``authors`` is every author, in order; ``author`` is the first of them, kept for callers that
    know one: ``Article(author="A")`` means ``authors=("A",)``, and when ``authors`` is given it
    wins (so ``replace(article, authors=...)`` also updates ``author``).
    """

    slug: str
    title: str
    published: datetime
    updated: datetime | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    category: str | None = None
    featured: bool = False
    description: str | None = None
    seo_title: str | None = None
    cover_image: str | None = None
    source: str | None = None
    draft: bool = False
    body: _BodyField = _BodyField()  # str to read; str or DeferredBody to give (the descriptor says)
    extra: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None  # the file it was loaded from, for messages
    authors: tuple[str, ...] = ()
    id: str | None = None  # the entry id from the frontmatter; None: [feeds] entry_id decides
    file: str | None = None  # its path under the content folder ("2024/post/index.md"), for {path}

    def __post_init__(self) -> None:
        if isinstance(self.authors, str):
            object.__setattr__(self, "authors", (self.authors,))
        elif isinstance(self.authors, list):
            object.__setattr__(self, "authors", tuple(self.authors))
        if not self.authors and self.author:
            object.__setattr__(self, "authors", (self.author,))
        object.__setattr__(self, "author", self.authors[0] if self.authors else None)
        if not isinstance(self.published, datetime) or self.published.tzinfo is None:
            raise TypeError(f"Article {self.slug!r}: published must be a timezone-aware datetime")
        if self.updated is not None and (
            not isinstance(self.updated, datetime) or self.updated.tzinfo is None
        ):
            raise TypeError(f"Article {self.slug!r}: updated must be a timezone-aware datetime")
        if isinstance(self.tags, (list, str)):
            object.__setattr__(self, "tags", (self.tags,) if isinstance(self.tags, str) else tuple(self.tags))

    @property
    def key(self) -> str:
        """What tells the article apart within a build: its file, else its slug. Not the slug alone:
        a {path} permalink lets two folders hold files of one name (gc-elections/ of each year)."""
        return self.path or self.slug

    @property
    def last_modified(self) -> datetime:
        """The entry's updated time: updatedDate when later than publishDate, else publishDate."""
        if self.updated is not None and self.updated > self.published:
            return self.updated
        return self.published


@dataclass(frozen=True)
class Config:
    """Site and feed settings. Only ``title`` and ``url`` are needed; everything else has a default."""

    title: str
    url: str
    description: str = ""
    language: str = "en"
    author: str | None = None
    author_email: str | None = None
    timezone: str = "UTC"
    # Article URL = site url + permalink; {slug}, {year}, {month}, {day}, {category}, {path} and
    # {filename} are filled in (permalinks.py), and an empty one drops its path segment.
    permalink: str = "/{slug}/"
    # Where local files (covers) live; a cover "/images/a.png" is static_dir/images/a.png.
    static_dir: str | None = None
    # Public address of the feeds folder; default: site url + "feeds/".
    feeds_url: str | None = None
    icon: str | None = None
    logo: str | None = None
    feed_limit: int = 50
    # A feed's file name; "" for none: not written, linked, announced or pinged.
    atom_file: str = "atom.xml"
    rss_file: str = "rss.xml"
    # Featured feeds: None (the default) makes featured.atom.xml, featured.rss.xml and featured.json
    # only while some article is featured; a name makes that file always; "" never.
    featured_atom_file: str | None = None
    featured_rss_file: str | None = None
    tag_feeds: bool = False
    category_feeds: bool = False
    tag_feed_pattern: str = "tags/{slug}.{format}.xml"
    category_feed_pattern: str = "categories/{slug}.{format}.xml"
    # JSON Feed 1.1 files; "{format}.xml" patterns would name them .json.xml, hence patterns of their own.
    json_file: str = "feed.json"
    featured_json_file: str | None = None
    tag_json_pattern: str = "tags/{slug}.json"
    category_json_pattern: str = "categories/{slug}.json"
    # The feeds page (feeds/index.html) for people who open a feed in a browser; "" for none.
    feeds_index_file: str = "index.html"
    # WebSub hubs: announced in every feed (<link rel="hub">) and notified by `publisher build --ping`.
    hubs: tuple[str, ...] = ()
    # RFC 5005 archived feeds: every published article in its year's Atom archive, chained from the main
    # Atom feed (none without one, or with archive_pattern "").
    archives: bool = True
    archive_pattern: str = "archive/{year}.atom.xml"
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_FIELDS)
    # How a generator's folder is read (content/presets.py): its field names, drafts, file names.
    preset: str | None = None
    # Files and folders under the content folder that are not articles; None: the preset's
    # (README*, _*, .*). Hidden files are never read.
    exclude: tuple[str, ...] | None = None
    # Entry ids: a template with the permalink's placeholders and {url}; a frontmatter id wins.
    entry_id: str = "{url}"
    # Site markup publisher does not know: callables (or "module:function" names, or names of
    # `publisher.filters` entry points) applied to the Markdown before rendering, and to the HTML after.
    body_filters: tuple[Any, ...] = ()
    html_filters: tuple[Any, ...] = ()
    # Encoding to read a file that is not UTF-8 with (e.g. "cp1252"); by default such a file is an error.
    fallback_encoding: str | None = None
    # Changes to the HTML allow-list used for article bodies in feeds (see render.ALLOWED_TAGS).
    allow_tags: tuple[str, ...] = ()
    deny_tags: tuple[str, ...] = ()
    # The Markdown engine ([markdown] engine; see engines.py) and, for "python-markdown", its extensions.
    markdown_engine: str = DEFAULT_ENGINE
    markdown_extensions: tuple[str, ...] = PYTHON_MARKDOWN_EXTENSIONS
    content_dir: str = "content"
    output_dir: str = "feeds"
    # What one run leaves for the next (a SQLite database): never inside the served output folder.
    state_dir: str = ".publisher"
    # A folder of the site's own Jinja2 templates; a file there replaces the bundled one of that name.
    templates_dir: str | None = None
    # The e-mail digest ([digest] in publisher.toml).
    digest_subject: str = DEFAULT_DIGEST_SUBJECT  # a Jinja2 template: site, articles, lead, count
    digest_limit: int = 20
    digest_full_bodies: bool = False
    digest_url: str | None = None  # where the digest is on the web: a "View in browser" link
    digest_from: str | None = None
    digest_to: str | None = None
    digest_reply_to: str | None = None
    unsubscribe_url: str | None = None
    unsubscribe_mailto: str | None = None
    postal_address: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    # An article file larger than this many bytes is skipped and named (at most content.READ_CEILING).
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES
    cover_size: str = "1200x630"  # assumed shape of covers: sets image heights in the e-mail
    digest_budget: int = 90_000  # bytes of HTML; Gmail clips messages over 102 KB
    list_id: str | None = None  # List-Id header (RFC 2919), e.g. "Site news <news.example.org>"
    feedback_id: str | None = None  # Feedback-ID header (Gmail's feedback loop), e.g. "issue:news:example"
    video_poster: str | None = None  # frontmatter field with a video's poster image for the digest
    # Each digest written or sent also becomes a web page in <output>/newsletter/, with an index and a feed.
    newsletter_archive: bool = True
    # SMTP delivery (`publisher send`, [smtp]); the password only ever comes from PUBLISHER_SMTP_PASSWORD.
    smtp_host: str | None = None
    smtp_port: int | None = None  # default: 465 with ssl, else 587
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_user: str | None = None
    # The file this configuration was read from (load_config), so that errors found later name it.
    config_file: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"url: {self.url!r} is not an absolute http(s) address")
        if not self.url.endswith("/"):
            object.__setattr__(self, "url", self.url + "/")
        if self.feeds_url is not None and not self.feeds_url.endswith("/"):
            object.__setattr__(self, "feeds_url", self.feeds_url + "/")
        if self.feed_limit < 1:
            raise ConfigError(f"feed_limit: {self.feed_limit} must be 1 or more")
        if self.digest_limit < 1:
            raise ConfigError(f"digest limit: {self.digest_limit} must be 1 or more")
        check_bounds_and_addresses(self)
        _ = self.cover_shape  # raises ConfigError for a malformed size
        _ = self.tz  # raises ConfigError for an unknown zone name
        check_patterns(self)
        check_reading(self)
        if self.fallback_encoding is not None:
            try:
                codecs.lookup(self.fallback_encoding)
            except LookupError:
                raise ConfigError(f"fallback_encoding: {self.fallback_encoding!r} is not a known encoding") from None
        for name in ("allow_tags", "deny_tags"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(tag, str) for tag in value):
                raise ConfigError(f"{name}: expected a list of HTML tag names")
            object.__setattr__(self, name, tuple(tag.lower() for tag in value))
        check_markdown(self)
        check_feed_names(self)
        check_mail_settings(self)
        addresses_as_uris(self)  # after the line-break checks: an encoded CR LF would hide them
        hubs = (self.hubs,) if isinstance(self.hubs, str) else self.hubs
        if not all(isinstance(hub, str) and hub.startswith(("http://", "https://")) for hub in hubs):
            raise ConfigError(f"[feeds] hub: {self.hubs!r} is not valid (expected an absolute http(s) address "
                              "or a list of them)")
        object.__setattr__(self, "hubs", tuple(hubs))
        try:
            self.archive_file(2025)
        except (KeyError, IndexError, ValueError):
            raise ConfigError(f"[feeds] archive_pattern: {self.archive_pattern!r} may use only {{year}}") from None
        if self.archive_pattern and "{year}" not in self.archive_pattern:
            raise ConfigError(f"[feeds] archive_pattern: {self.archive_pattern!r} needs {{year}} "
                              "(one archive per year)")
        unknown = set(self.fields) - set(DEFAULT_FIELDS)
        if unknown:
            raise ConfigError(f"fields: unknown article field(s) {sorted(unknown)}")
        # A partial mapping keeps the preset's names, else the defaults, for the fields it does not name.
        merged = {**DEFAULT_FIELDS, **self.preset_rules.fields}
        if self.fields is not DEFAULT_FIELDS:
            for name, names in self.fields.items():
                merged[name] = (names,) if isinstance(names, str) else tuple(names)
        object.__setattr__(self, "fields", MappingProxyType(merged))

    @property
    def tz(self) -> tzinfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"timezone: {self.timezone!r} is not a known time zone (e.g. 'Europe/Berlin')") from exc

    @property
    def cover_shape(self) -> tuple[int, int]:
        """``cover_size`` as (width, height)."""
        width, sep, height = self.cover_size.lower().partition("x")
        if not (sep and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
            raise ConfigError(
                f"digest cover_size: {self.cover_size!r} is not a size (expected WIDTHxHEIGHT, e.g. 1200x630)"
            )
        return int(width), int(height)

    @property
    def feeds_base(self) -> str:
        return self.feeds_url or self.url + "feeds/"

    @property
    def feeds_index_url(self) -> str | None:
        return self.feeds_base + self.feeds_index_file if self.feeds_index_file else None

    def archive_file(self, year: int) -> str:
        return self.archive_pattern.format(year=f"{year:04d}")

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
        return preset_named(self.preset)

    def article_url(self, article: Article) -> str:
        """The article's public address (see permalinks.article_url)."""
        from .content.permalinks import article_url

        return article_url(article, self)

    def static_path(self, url_path: str) -> Path | None:
        """The local file behind a root-relative path such as "/images/a.png", if configured."""
        if not self.static_dir:
            return None
        return Path(self.static_dir) / url_path.lstrip("/")


@dataclass(frozen=True)
class DigestState:
    """What a --since-last digest leaves for the next one: its cut-off, and the articles it covered
    that were published close enough to the cut-off to be offered again (see digest.LATE_ARRIVALS)."""

    until: datetime
    sent: Mapping[str, datetime] = field(default_factory=dict)  # slug -> publishDate
    message_id: str | None = None
