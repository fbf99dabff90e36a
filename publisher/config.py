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

from .errors import ConfigError
from .model import DEFAULT_FIELDS, Config

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
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from_mapping(data, base=path.parent, source=str(path), **overrides)


def config_from_mapping(
    data: Mapping[str, Any], base: Path | None = None, source: str = "config", **overrides: Any
) -> Config:
    """Build a Config from parsed TOML; relative paths are taken relative to ``base``."""
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
    values.update({k: v for k, v in overrides.items() if v is not None})
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
