"""publisher.toml -> Config.

The file is read with tomllib. Unknown keys are errors (a typo should not silently do nothing);
relative paths are relative to the file's own folder, so cron can run from anywhere.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..model import DEFAULT_FIELDS, Config

# (table, key in the file) -> Config attribute. The empty table is the top level.
KEYS: Mapping[tuple[str, str], str] = {
    ("", "title"): "title",
    ("", "url"): "url",
    ("", "description"): "description",
    ("", "language"): "language",
    ("", "author"): "author",
    ("", "author_email"): "author_email",
    ("", "timezone"): "timezone",
    ("", "permalink"): "permalink",
    ("", "static"): "static_dir",
    ("", "icon"): "icon",
    ("", "logo"): "logo",
    ("", "content"): "content_dir",
    ("", "output"): "output_dir",
    ("", "state_dir"): "state_dir",
    ("", "templates"): "templates_dir",
    ("", "fallback_encoding"): "fallback_encoding",
    ("", "max_article_bytes"): "max_article_bytes",
    ("", "preset"): "preset",
    ("", "exclude"): "exclude",
    ("", "body_filters"): "body_filters",
    ("", "html_filters"): "html_filters",
    ("html", "allow"): "allow_tags",
    ("html", "deny"): "deny_tags",
    ("markdown", "engine"): "markdown_engine",
    ("markdown", "extensions"): "markdown_extensions",
    ("digest", "subject"): "digest_subject",
    ("digest", "limit"): "digest_limit",
    ("digest", "full_bodies"): "digest_full_bodies",
    ("digest", "url"): "digest_url",
    ("digest", "from"): "digest_from",
    ("digest", "to"): "digest_to",
    ("digest", "reply_to"): "digest_reply_to",
    ("digest", "unsubscribe_url"): "unsubscribe_url",
    ("digest", "unsubscribe_mailto"): "unsubscribe_mailto",
    ("digest", "postal_address"): "postal_address",
    ("digest", "utm_source"): "utm_source",
    ("digest", "utm_medium"): "utm_medium",
    ("digest", "utm_campaign"): "utm_campaign",
    ("digest", "cover_size"): "cover_size",
    ("digest", "budget"): "digest_budget",
    ("digest", "list_id"): "list_id",
    ("digest", "feedback_id"): "feedback_id",
    ("digest", "video_poster"): "video_poster",
    ("digest", "archive"): "newsletter_archive",
    ("smtp", "host"): "smtp_host",
    ("smtp", "port"): "smtp_port",
    ("smtp", "starttls"): "smtp_starttls",
    ("smtp", "ssl"): "smtp_ssl",
    ("smtp", "user"): "smtp_user",
    ("feeds", "url"): "feeds_url",
    ("feeds", "limit"): "feed_limit",
    ("feeds", "atom"): "atom_file",
    ("feeds", "rss"): "rss_file",
    ("feeds", "featured_atom"): "featured_atom_file",
    ("feeds", "featured_rss"): "featured_rss_file",
    ("feeds", "tags"): "tag_feeds",
    ("feeds", "categories"): "category_feeds",
    ("feeds", "tag_pattern"): "tag_feed_pattern",
    ("feeds", "category_pattern"): "category_feed_pattern",
    ("feeds", "hub"): "hubs",
    ("feeds", "archives"): "archives",
    ("feeds", "archive_pattern"): "archive_pattern",
    ("feeds", "json"): "json_file",
    ("feeds", "featured_json"): "featured_json_file",
    ("feeds", "tag_json_pattern"): "tag_json_pattern",
    ("feeds", "category_json_pattern"): "category_json_pattern",
    ("feeds", "index"): "feeds_index_file",
    ("feeds", "entry_id"): "entry_id",
}
# What each key does, for people: docs/configuration.md is generated from this table, the Config
# defaults and KEYS (python docs/generate.py), and a test fails when a key has no description.
# "Unset" means the Config default of None or "", whose meaning the text says.
DESCRIPTIONS: Mapping[tuple[str, str], str] = {
    ("", "title"): "The site's name: feed title, digest sender name, feeds page heading. Required.",
    ("", "url"): "The site's public address (http or https); article URLs are this plus `permalink`. Required.",
    ("", "description"): "Feed subtitle and RSS description; unset: the title.",
    ("", "language"): "Feed language (RFC 5646), e.g. `en`, `de-AT`.",
    ("", "author"): "Feed author; an article's own author wins for its entry. Unset: the site title.",
    ("", "author_email"): "The author's address; also gives RSS `managingEditor`.",
    ("", "timezone"): "Zone of dates written without an offset, and of archive years (an IANA name, "
    "e.g. `Europe/Berlin`).",
    ("", "permalink"): "Article path after `url`: `{slug}`, `{year}`, `{month}`, `{day}`, `{category}`, `{path}` (the "
    "file's path under `content`, without extension; a bundle's folder) and `{filename}` are filled in; an empty "
    "one drops its segment.",
    ("", "static"): "Folder of local files: a cover `/images/a.png` is `static/images/a.png` (gives enclosure "
    "lengths and e-mail-sized copies).",
    ("", "icon"): "Atom `icon`, JSON Feed `icon` and `favicon`.",
    ("", "logo"): "Atom `logo` and RSS `image`.",
    ("", "content"): "Folder of Markdown articles, searched recursively for `*.md` and `*.markdown`; "
    "`--content` wins.",
    ("", "output"): "Output folder for feeds, the feeds page and the digest; `--out` wins. When both the build and "
    "the digest run, set it here so that both use one folder.",
    ("", "state_dir"): "The state folder: one SQLite database that lets a build redo only what changed, and the "
    "digest history. Never inside `output`; always safe to delete.",
    ("", "templates"): "Folder of your own Jinja2 templates: a file there replaces the bundled one of the same name "
    "(`digest.html.j2`, `digest.txt.j2`, `feeds-index.html.j2`).",
    ("", "fallback_encoding"): "Encoding to read a file that is not UTF-8 with (e.g. `cp1252`); unset: such a file "
    "is reported with its byte offset and skipped.",
    ("", "max_article_bytes"): "An article file larger than this many bytes is reported and skipped without "
    "being read (at most 64 MiB); default 2 MiB.",
    ("", "preset"): "`astro`, `hugo`, `jekyll`, `eleventy` or `pelican`: read the folder as that generator does "
    "(field names, drafts, tag lists, excluded files, file names); see [Migrating](migrating.md).",
    ("", "exclude"): "Files and folders under `content` that are not articles, as .gitignore patterns; unset: the "
    "preset's, else `[\"README*\", \"_*\", \".*\"]`.",
    ("", "body_filters"): "Site markup (shortcodes) as functions text → text run on the Markdown: "
    "`\"module:function\"`, `\"file.py:function\"` (next to publisher.toml) or a `publisher.filters` entry point name.",
    ("", "html_filters"): "The same, run on the HTML before it is sanitised.",
    ("html", "allow"): "HTML tag names added to the allow-list for article bodies (`script` and `style` never pass).",
    ("html", "deny"): "HTML tag names removed from the allow-list for article bodies.",
    ("markdown", "engine"): "How bodies become HTML: `gfm` (CommonMark with GitHub's extensions, pyromark) or "
    "`python-markdown`; see [Markdown engines](articles.md#markdown-engines).",
    ("markdown", "extensions"): "Python-Markdown's extensions, with `engine = \"python-markdown\"` only.",
    ("digest", "subject"): "The subject line: a Jinja2 template with `site`, `articles`, `lead` (the first featured "
    "article, or none) and `count`.",
    ("digest", "limit"): "Most articles in a digest; featured ones are kept first.",
    ("digest", "full_bodies"): "Whole articles instead of descriptions.",
    ("digest", "url"): "Where the digest is on the web, for the \"View this e-mail in your browser\" link; "
    "unset: the issue's page in the web archive.",
    ("digest", "from"): "The From header; unset: the site title with `author_email`, else `newsletter@` the "
    "site's host.",
    ("digest", "to"): "The To header; unset: `undisclosed-recipients:;` for your ESP to fill.",
    ("digest", "reply_to"): "The Reply-To header.",
    ("digest", "unsubscribe_url"): "Footer link and `List-Unsubscribe`; an https URL also gives one-click "
    "`List-Unsubscribe-Post` (RFC 8058). With `send --subscribers`, `{token}`, `{email}`, `{name}` and merge "
    "fields are filled in per subscriber.",
    ("digest", "unsubscribe_mailto"): "An address for `List-Unsubscribe` by mail.",
    ("digest", "postal_address"): "The footer's postal address line (anti-spam laws ask for one).",
    ("digest", "utm_source"): "`utm_source` added to links to the site's own host.",
    ("digest", "utm_medium"): "`utm_medium` added to links to the site's own host.",
    ("digest", "utm_campaign"): "`utm_campaign` added to links to the site's own host.",
    ("digest", "cover_size"): "Shape assumed for remote covers and unsized images (`WIDTHxHEIGHT`): sets their "
    "height in the e-mail.",
    ("digest", "budget"): "Bytes of HTML after inlining; over it, whole bodies and then the oldest items give way "
    "(Gmail clips messages over 102 KB).",
    ("digest", "list_id"): "The `List-Id` header (RFC 2919), e.g. `Site news <news.example.org>`.",
    ("digest", "feedback_id"): "The `Feedback-ID` header (Gmail's feedback loop), e.g. `issue:news:example`.",
    ("digest", "video_poster"): "Frontmatter field holding a video's poster image, for videos without their own "
    "`poster`.",
    ("digest", "archive"): "Write each issue as a web page in `newsletter/` of the output folder, with an index and "
    "an Atom feed of past issues.",
    ("smtp", "host"): "The SMTP server `send` delivers to (for a real list, your ESP's relay); `--smtp-host` wins.",
    ("smtp", "port"): "Its port; unset: 465 with `ssl`, else 587. `--smtp-port` wins.",
    ("smtp", "starttls"): "Upgrade the connection to TLS; a server that does not offer it is an error, never a "
    "plain-text send.",
    ("smtp", "ssl"): "TLS from the first byte (implicit TLS, usually port 465).",
    ("smtp", "user"): "User to log in as (`--smtp-user` or `PUBLISHER_SMTP_USER` also work); the password only "
    "ever comes from `PUBLISHER_SMTP_PASSWORD`, never from this file.",
    ("feeds", "url"): "Where the feeds are served (self links and feed ids); unset: `url` + `feeds/`.",
    ("feeds", "limit"): "Entries per feed: the newest published articles.",
    ("feeds", "entry_id"): "Entry ids: a template with the permalink's placeholders and `{url}`, e.g. "
    "`tag:example.org,2019:{slug}`; a frontmatter `id` wins. Feed readers know entries by id: **changing it makes "
    "every reader show every article again as new**, so keep the old feed's pattern when moving a site.",
    ("feeds", "atom"): "File name of the main Atom feed; `\"\"` turns it off everywhere (not written, linked, "
    "announced or pinged), as for every file name and pattern here.",
    ("feeds", "rss"): "File name of the main RSS feed.",
    ("feeds", "featured_atom"): "File name of the Atom feed of featured articles. Featured feeds left unset are made "
    "only while some article is featured; named, always.",
    ("feeds", "featured_rss"): "File name of the RSS feed of featured articles.",
    ("feeds", "tags"): "One Atom, RSS and JSON feed per tag.",
    ("feeds", "categories"): "One Atom, RSS and JSON feed per category.",
    ("feeds", "tag_pattern"): "File names of tag feeds; `{format}` is `atom` or `rss`.",
    ("feeds", "category_pattern"): "File names of category feeds; `{format}` is `atom` or `rss`.",
    ("feeds", "hub"): "WebSub hub address, or a list of them: announced in every feed, notified by "
    "`publisher build --ping`.",
    ("feeds", "archives"): "RFC 5005 archives: every published article in its year's Atom archive, chained from "
    "the main feed.",
    ("feeds", "archive_pattern"): "File names of the archives; must contain `{year}`.",
    ("feeds", "json"): "File name of the main JSON Feed.",
    ("feeds", "featured_json"): "File name of the JSON Feed of featured articles.",
    ("feeds", "tag_json_pattern"): "File names of tag JSON Feeds.",
    ("feeds", "category_json_pattern"): "File names of category JSON Feeds.",
    ("feeds", "index"): "File name of the feeds page (for people who open a feed in a browser); `\"\"` for none.",
}
# Secrets come from the environment, never from publisher.toml (which is often committed). Named
# here rather than in send.py so the command line can mention them without importing smtplib.
PASSWORD_ENV = "PUBLISHER_SMTP_PASSWORD"
USER_ENV = "PUBLISHER_SMTP_USER"
PATH_KEYS = {"static_dir", "content_dir", "output_dir", "templates_dir", "state_dir"}
TABLES = {"feeds", "fields", "html", "markdown", "digest", "smtp"}
DEFAULT_FOLDERS = {"content_dir": "content", "output_dir": "feeds", "state_dir": ".publisher"}


def load_config(path: str | Path, **overrides: Any) -> Config:
    """Read a publisher.toml file. ``overrides`` (Config attribute names) win over the file."""
    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not path.is_file():  # a FIFO would block the run
            raise ConfigError(f"{path}: is not a regular file")
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:  # tomllib decodes the whole file as UTF-8 first
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 (byte 0x{exc.object[exc.start]:02x}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from_mapping(data, base=path.parent, source=str(path), config_file=str(path), **overrides)


def config_from_mapping(
    data: Mapping[str, Any], base: Path | None = None, source: str = "config", **overrides: Any
) -> Config:
    """Build a Config from parsed TOML; relative paths in it are taken relative to ``base``.

    Paths in ``overrides`` (the command line's --content and --out) stay as given: relative to the
    current folder, as a shell user means them.
    """
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: [{key}] must be a table")
            if key == "fields":
                values["fields"] = _fields(value, source)
                continue
            for sub, subvalue in value.items():
                values[_attribute(key, sub, source)] = subvalue
        else:
            values[_attribute("", key, source)] = value
    if base is not None:
        # The default folders too sit beside the configuration, wherever cron or a script runs from.
        for name in ("content_dir", "output_dir", "state_dir"):
            values.setdefault(name, DEFAULT_FOLDERS[name])
        for name in PATH_KEYS & values.keys():
            if isinstance(values[name], str):
                values[name] = str(base / values[name])
        for name in ("body_filters", "html_filters"):  # "filters.py:expand" is next to publisher.toml
            if isinstance(values.get(name), list):
                values[name] = [str(base / f) if isinstance(f, str) and f.split(":")[0].endswith(".py") else f
                                for f in values[name]]
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values.get("templates_dir"), str) and not Path(values["templates_dir"]).is_dir():
        raise ConfigError(f"{source}: templates: {values['templates_dir']}: no such folder")
    for required in ("title", "url"):
        if required not in values:
            raise ConfigError(f"{source}: {required}: missing (every site needs a title and a url)")
    _check_types(values, source)
    try:
        return Config(**values)
    except ConfigError as exc:  # a value Config itself refuses (time zone, url, ...): say which file
        raise ConfigError(f"{source}: {exc}") from None


def _attribute(table: str, key: str, source: str) -> str:
    if table == "smtp" and key == "password":
        raise ConfigError(
            f"{source}: [smtp] password: not read from the configuration file (it is often shared or committed); "
            "set the PUBLISHER_SMTP_PASSWORD environment variable instead"
        )
    try:
        return KEYS[(table, key)]
    except KeyError:
        where = f"[{table}] " if table else ""
        known = sorted(k for t, k in KEYS if t == table)
        if not table:
            known += sorted(f"[{t}]" for t in TABLES)
        raise ConfigError(f"{source}: {where}{key}: unknown setting (known: {', '.join(known)})") from None


def _fields(table: Mapping[str, Any], source: str) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    for name, names in table.items():
        if name not in DEFAULT_FIELDS:
            raise ConfigError(
                f"{source}: [fields] {name}: unknown article field (known: {', '.join(DEFAULT_FIELDS)})"
            )
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{source}: [fields] {name}: expected a frontmatter name or a list of names")
        fields[name] = tuple(names)
    return fields


def _check_types(values: Mapping[str, Any], source: str) -> None:
    hints = {f.name: f.type for f in dataclasses.fields(Config)}
    for name, value in values.items():
        hint = str(hints.get(name, ""))
        expected: type
        if hint == "bool":
            expected = bool
        elif hint == "int":
            expected = int
        elif hint.startswith("str"):
            expected = str
        else:
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            key = next(f"{t + '.' if t else ''}{k}" for (t, k), attr in KEYS.items() if attr == name)
            wanted = {bool: "true or false", int: "a whole number", str: "text in quotes"}[expected]
            raise ConfigError(f"{source}: {key}: {value!r} is not valid (expected {wanted})")
