"""The sections of a Config, one per table of publisher.toml: Site (the top level), Feeds, Html, Markdown,
Digest and Smtp.

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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..content import DEFAULT_MAX_ARTICLE_BYTES
from ..content.presets import Preset, preset_named
from ..email.addresses import check_mail_settings, mailbox
from ..errors import ConfigError
from ..markup.engines import DEFAULT_ENGINE, PYTHON_MARKDOWN_EXTENSIONS
from . import checks


def about(description: str, *, key: str | None = None, flat: str | None = None, path: bool = False) -> dict[str, Any]:
    """A field's metadata: ``description`` for the documentation; ``key`` in publisher.toml when it is not
    the field's name (``from`` is a Python keyword); ``flat``, the name of the setting in the flat
    Config of earlier releases, when it is not the key (still accepted, with a DeprecationWarning);
    ``path``: a folder, relative to publisher.toml's folder when read from the file."""
    return {"description": description, "key": key, "flat": flat, "path": path}


DEFAULT_DIGEST_SUBJECT = (
    "{% if lead %}{{ lead.title }}{% else %}{{ site.title }}: {{ count }} new "
    "article{{ '' if count == 1 else 's' }}{% endif %}"
)


@dataclass(frozen=True)
class Site:
    """The top-level keys of publisher.toml: the site itself and where its files are."""

    title: str = field(metadata=about("The site's name: feed title, digest sender name, feeds page heading. Required."))
    url: str = field(metadata=about(
        "The site's public address (http or https); article URLs are this plus `permalink`. Required."))
    description: str = field(default="", metadata=about("Feed subtitle and RSS description; unset: the title."))
    language: str = field(default="en", metadata=about("Feed language (RFC 5646), e.g. `en`, `de-AT`."))
    author: str | None = field(default=None, metadata=about(
        "Feed author; an article's own author wins for its entry. Unset: the site title."))
    author_email: str | None = field(default=None, metadata=about(
        "The author's address; also gives RSS `managingEditor`."))
    timezone: str = field(default="UTC", metadata=about(
        "Zone of dates written without an offset, and of archive years (an IANA name, e.g. `Europe/Berlin`)."))
    # Article URL = site url + permalink, filled in by content/permalinks.py.
    permalink: str = field(default="/{slug}/", metadata=about(
        "Article path after `url`: `{slug}`, `{year}`, `{month}`, `{day}`, `{category}`, `{path}` (the file's path "
        "under `content`, without extension; a bundle's folder) and `{filename}` are filled in; an empty one drops "
        "its segment."))
    static: str | None = field(default=None, metadata=about(
        "Folder of local files: a cover `/images/a.png` is `static/images/a.png` (gives enclosure lengths and "
        "e-mail-sized copies).", flat="static_dir", path=True))
    icon: str | None = field(default=None, metadata=about("Atom `icon`, JSON Feed `icon` and `favicon`."))
    logo: str | None = field(default=None, metadata=about("Atom `logo` and RSS `image`."))
    content: str = field(default="content", metadata=about(
        "Folder of Markdown articles, searched recursively for `*.md` and `*.markdown`; `--content` wins.",
        flat="content_dir", path=True))
    output: str = field(default="feeds", metadata=about(
        "Output folder for feeds, the feeds page and the digest; `--out` wins. When both the build and the digest "
        "run, set it here so that both use one folder.", flat="output_dir", path=True))
    state_dir: str = field(default=".publisher", metadata=about(
        "The state folder: one SQLite database that lets a build redo only what changed, and the digest history. "
        "Never inside `output`; always safe to delete.", path=True))
    templates: str | None = field(default=None, metadata=about(
        "Folder of your own Jinja2 templates: a file there replaces the bundled one of the same name "
        "(`digest.html.j2`, `digest.txt.j2`, `feeds-index.html.j2`).", flat="templates_dir", path=True))
    fallback_encoding: str | None = field(default=None, metadata=about(
        "Encoding to read a file that is not UTF-8 with (e.g. `cp1252`); unset: such a file is reported with its "
        "byte offset and skipped."))
    max_article_bytes: int = field(default=DEFAULT_MAX_ARTICLE_BYTES, metadata=about(
        "An article file larger than this many bytes is reported and skipped without being read (at most 64 MiB); "
        "default 2 MiB."))
    preset: str | None = field(default=None, metadata=about(
        "`astro`, `hugo`, `jekyll`, `eleventy` or `pelican`: read the folder as that generator does (field names, "
        "drafts, tag lists, excluded files, file names); see [Migrating](migrating.md)."))
    # None: the preset's patterns (README*, _*, .*); hidden files are never read.
    exclude: tuple[str, ...] | None = field(default=None, metadata=about(
        "Files and folders under `content` that are not articles, as .gitignore patterns; unset: the preset's, "
        "else `[\"README*\", \"_*\", \".*\"]`."))
    # Callables, "module:function" names or `publisher.filters` entry point names.
    body_filters: tuple[Any, ...] = field(default=(), metadata=about(
        "Site markup (shortcodes) as functions text → text run on the Markdown: `\"module:function\"`, "
        "`\"file.py:function\"` (next to publisher.toml) or a `publisher.filters` entry point name."))
    html_filters: tuple[Any, ...] = field(default=(), metadata=about(
        "The same, run on the HTML before it is sanitised."))

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"url: {self.url!r} is not an absolute http(s) address")
        if not self.url.endswith("/"):
            object.__setattr__(self, "url", self.url + "/")
        checks.check_site_bounds_and_addresses(self)
        _ = self.tz  # raises ConfigError for an unknown zone name
        checks.check_pattern("permalink", self.permalink)
        checks.check_reading(self)
        if self.fallback_encoding is not None:
            try:
                codecs.lookup(self.fallback_encoding)
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
class Feeds:
    """[feeds]: which feed files are written, their names, entry ids, WebSub hubs and archives.
    A file name or pattern of "" turns that feed off: not written, linked, announced or pinged."""

    url: str | None = field(default=None, metadata=about(
        "Where the feeds are served (self links and feed ids); unset: `url` + `feeds/`.", flat="feeds_url"))
    limit: int = field(default=50, metadata=about("Entries per feed: the newest published articles.",
                                                  flat="feed_limit"))
    entry_id: str = field(default="{url}", metadata=about(
        "Entry ids: a template with the permalink's placeholders and `{url}`, e.g. `tag:example.org,2019:{slug}`; "
        "a frontmatter `id` wins. Feed readers know entries by id: **changing it makes every reader show every "
        "article again as new**, so keep the old feed's pattern when moving a site."))
    atom: str = field(default="atom.xml", metadata=about(
        "File name of the main Atom feed; `\"\"` turns it off everywhere (not written, linked, announced or "
        "pinged), as for every file name and pattern here.", flat="atom_file"))
    rss: str = field(default="rss.xml", metadata=about("File name of the main RSS feed.", flat="rss_file"))
    # None: featured.atom.xml (and .rss.xml, .json) only while some article is featured; a name: always.
    featured_atom: str | None = field(default=None, metadata=about(
        "File name of the Atom feed of featured articles. Featured feeds left unset are made only while some "
        "article is featured; named, always.", flat="featured_atom_file"))
    featured_rss: str | None = field(default=None, metadata=about(
        "File name of the RSS feed of featured articles.", flat="featured_rss_file"))
    tags: bool = field(default=False, metadata=about("One Atom, RSS and JSON feed per tag.", flat="tag_feeds"))
    categories: bool = field(default=False, metadata=about("One Atom, RSS and JSON feed per category.",
                                                           flat="category_feeds"))
    tag_pattern: str = field(default="tags/{slug}.{format}.xml", metadata=about(
        "File names of tag feeds; `{format}` is `atom` or `rss`.", flat="tag_feed_pattern"))
    category_pattern: str = field(default="categories/{slug}.{format}.xml", metadata=about(
        "File names of category feeds; `{format}` is `atom` or `rss`.", flat="category_feed_pattern"))
    hub: tuple[str, ...] = field(default=(), metadata=about(
        "WebSub hub address, or a list of them: announced in every feed, notified by `publisher build --ping`.",
        flat="hubs"))
    archives: bool = field(default=True, metadata=about(
        "RFC 5005 archives: every published article in its year's Atom archive, chained from the main feed."))
    archive_pattern: str = field(default="archive/{year}.atom.xml", metadata=about(
        "File names of the archives; must contain `{year}`."))
    # JSON Feed 1.1: "{format}.xml" patterns would name them .json.xml, hence patterns of their own.
    json: str = field(default="feed.json", metadata=about("File name of the main JSON Feed.", flat="json_file"))
    featured_json: str | None = field(default=None, metadata=about(
        "File name of the JSON Feed of featured articles.", flat="featured_json_file"))
    tag_json_pattern: str = field(default="tags/{slug}.json", metadata=about("File names of tag JSON Feeds."))
    category_json_pattern: str = field(default="categories/{slug}.json", metadata=about(
        "File names of category JSON Feeds."))
    index: str = field(default="index.html", metadata=about(
        "File name of the feeds page (for people who open a feed in a browser); `\"\"` for none.",
        flat="feeds_index_file"))

    def __post_init__(self) -> None:
        if self.url is not None and not self.url.endswith("/"):
            object.__setattr__(self, "url", self.url + "/")
        if self.limit < 1:
            raise ConfigError(f"feed_limit: {self.limit} must be 1 or more")
        checks.check_feeds(self)
        checks.addresses_as_uris(self, {"url": "feeds_url"})
        hubs = (self.hub,) if isinstance(self.hub, str) else self.hub
        if not all(isinstance(hub, str) and hub.startswith(("http://", "https://")) for hub in hubs):
            raise ConfigError(f"[feeds] hub: {self.hub!r} is not valid (expected an absolute http(s) address "
                              "or a list of them)")
        object.__setattr__(self, "hub", tuple(hubs))
        try:
            self.archive_file(2025)
        except (KeyError, IndexError, ValueError):
            raise ConfigError(f"[feeds] archive_pattern: {self.archive_pattern!r} may use only {{year}}") from None
        if self.archive_pattern and "{year}" not in self.archive_pattern:
            raise ConfigError(f"[feeds] archive_pattern: {self.archive_pattern!r} needs {{year}} "
                              "(one archive per year)")

    def archive_file(self, year: int) -> str:
        return self.archive_pattern.format(year=f"{year:04d}")


@dataclass(frozen=True)
class Html:
    """[html]: changes to the allow-list of tags for article bodies in feeds (markup/html.py ALLOWED_TAGS)."""

    allow: tuple[str, ...] = field(default=(), metadata=about(
        "HTML tag names added to the allow-list for article bodies (`script` and `style` never pass).",
        flat="allow_tags"))
    deny: tuple[str, ...] = field(default=(), metadata=about(
        "HTML tag names removed from the allow-list for article bodies.", flat="deny_tags"))

    def __post_init__(self) -> None:
        for name, flat in (("allow", "allow_tags"), ("deny", "deny_tags")):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(tag, str) for tag in value):
                raise ConfigError(f"{flat}: expected a list of HTML tag names")
            object.__setattr__(self, name, tuple(tag.lower() for tag in value))


@dataclass(frozen=True)
class Markdown:
    """[markdown]: the engine that turns bodies into HTML (markup/engines.py)."""

    engine: str = field(default=DEFAULT_ENGINE, metadata=about(
        "How bodies become HTML: `gfm` (CommonMark with GitHub's extensions, pyromark) or `python-markdown`; see "
        "[Markdown engines](articles.md#markdown-engines).", flat="markdown_engine"))
    extensions: tuple[str, ...] = field(default=PYTHON_MARKDOWN_EXTENSIONS, metadata=about(
        "Python-Markdown's extensions, with `engine = \"python-markdown\"` only.", flat="markdown_extensions"))

    def __post_init__(self) -> None:
        checks.check_markdown(self)


@dataclass(frozen=True)
class Digest:
    """[digest]: the e-mail digest and its web archive."""

    subject: str = field(default=DEFAULT_DIGEST_SUBJECT, metadata=about(
        "The subject line: a Jinja2 template with `site`, `articles`, `lead` (the first featured article, or none) "
        "and `count`.", flat="digest_subject"))
    limit: int = field(default=20, metadata=about("Most articles in a digest; featured ones are kept first.",
                                                  flat="digest_limit"))
    full_bodies: bool = field(default=False, metadata=about("Whole articles instead of descriptions.",
                                                            flat="digest_full_bodies"))
    url: str | None = field(default=None, metadata=about(
        "Where the digest is on the web, for the \"View this e-mail in your browser\" link; unset: the issue's page "
        "in the web archive.", flat="digest_url"))
    from_: str | None = field(default=None, metadata=about(
        "The From header; unset: the site title with `author_email`, else `newsletter@` the site's host.",
        key="from", flat="digest_from"))
    to: str | None = field(default=None, metadata=about(
        "The To header; unset: `undisclosed-recipients:;` for your ESP to fill.", flat="digest_to"))
    reply_to: str | None = field(default=None, metadata=about("The Reply-To header.", flat="digest_reply_to"))
    unsubscribe_url: str | None = field(default=None, metadata=about(
        "Footer link and `List-Unsubscribe`; an https URL also gives one-click `List-Unsubscribe-Post` (RFC 8058). "
        "With `send --subscribers`, `{token}`, `{email}`, `{name}` and merge fields are filled in per subscriber."))
    unsubscribe_mailto: str | None = field(default=None, metadata=about(
        "An address for `List-Unsubscribe` by mail."))
    postal_address: str | None = field(default=None, metadata=about(
        "The footer's postal address line (anti-spam laws ask for one)."))
    utm_source: str | None = field(default=None, metadata=about(
        "`utm_source` added to links to the site's own host."))
    utm_medium: str | None = field(default=None, metadata=about(
        "`utm_medium` added to links to the site's own host."))
    utm_campaign: str | None = field(default=None, metadata=about(
        "`utm_campaign` added to links to the site's own host."))
    cover_size: str = field(default="1200x630", metadata=about(
        "Shape assumed for remote covers and unsized images (`WIDTHxHEIGHT`): sets their height in the e-mail."))
    budget: int = field(default=90_000, metadata=about(
        "Bytes of HTML after inlining; over it, whole bodies and then the oldest items give way (Gmail clips "
        "messages over 102 KB).", flat="digest_budget"))
    list_id: str | None = field(default=None, metadata=about(
        "The `List-Id` header (RFC 2919), e.g. `Site news <news.example.org>`."))
    feedback_id: str | None = field(default=None, metadata=about(
        "The `Feedback-ID` header (Gmail's feedback loop), e.g. `issue:news:example`."))
    video_poster: str | None = field(default=None, metadata=about(
        "Frontmatter field holding a video's poster image, for videos without their own `poster`."))
    archive: bool = field(default=True, metadata=about(
        "Write each issue as a web page in `newsletter/` of the output folder, with an index and an Atom feed of "
        "past issues.", flat="newsletter_archive"))

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ConfigError(f"digest limit: {self.limit} must be 1 or more")
        if self.budget < 1:
            raise ConfigError(f"[digest] budget: {self.budget} must be 1 or more bytes of HTML")
        _ = self.cover_shape  # raises ConfigError for a malformed size
        check_mail_settings(self)

    @property
    def cover_shape(self) -> tuple[int, int]:
        """``cover_size`` as (width, height)."""
        width, sep, height = self.cover_size.lower().partition("x")
        if not (sep and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
            raise ConfigError(
                f"digest cover_size: {self.cover_size!r} is not a size (expected WIDTHxHEIGHT, e.g. 1200x630)"
            )
        return int(width), int(height)


@dataclass(frozen=True)
class Smtp:
    """[smtp]: the server `publisher send` hands the digest to. The password only ever comes from the
    environment; email/smtp.py's SmtpSettings is this section plus what a run adds (password, timeout)."""

    host: str | None = field(default=None, metadata=about(
        "The SMTP server `send` delivers to (for a real list, your ESP's relay); `--smtp-host` wins.",
        flat="smtp_host"))
    port: int | None = field(default=None, metadata=about(
        "Its port; unset: 465 with `ssl`, else 587. `--smtp-port` wins.", flat="smtp_port"))
    starttls: bool = field(default=False, metadata=about(
        "Upgrade the connection to TLS; a server that does not offer it is an error, never a plain-text send.",
        flat="smtp_starttls"))
    ssl: bool = field(default=False, metadata=about(
        "TLS from the first byte (implicit TLS, usually port 465).", flat="smtp_ssl"))
    user: str | None = field(default=None, metadata=about(
        "User to log in as (`--smtp-user` or `PUBLISHER_SMTP_USER` also work); the password only ever comes from "
        "`PUBLISHER_SMTP_PASSWORD`, never from this file.", flat="smtp_user"))

    def __post_init__(self) -> None:
        checks.check_smtp(self)


def _names(description: str) -> Any:
    """A [fields] setting: unset (None) until Config fills it in from the preset's names, else DEFAULT_FIELDS."""
    return field(default=None, metadata=about(description))


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
        "Draft or not; a name starting with `!` is read inverted (Jekyll's `!published`).")
    id: tuple[str, ...] | None = _names("The entry id (a URI); none: `[feeds] entry_id` decides.")

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            if value is not None and (isinstance(value, str) or not all(isinstance(n, str) and n for n in value)
                                      or not value):
                raise ConfigError(f"[fields] {name}: expected a frontmatter name or a list of names")
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


# The tables of publisher.toml, as Config's fields name them: the top level is "site".
SECTIONS: Mapping[str, type] = {"site": Site, "feeds": Feeds, "html": Html, "markdown": Markdown,
                                "digest": Digest, "smtp": Smtp}
