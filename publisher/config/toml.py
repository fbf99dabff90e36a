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
from ..model import DEFAULT_FIELDS
from .sections import Site
from .settings import SECTIONS, Config

# Secrets come from the environment, never from publisher.toml (which is often committed). Named
# here rather than in send.py so the command line can mention them without importing smtplib.
PASSWORD_ENV = "PUBLISHER_SMTP_PASSWORD"
USER_ENV = "PUBLISHER_SMTP_USER"
TABLES = {"feeds", "fields", "html", "markdown", "digest", "smtp"}


def settings_of(table: str) -> dict[str, dataclasses.Field[Any]]:
    """A table's keys in publisher.toml ("" for the top level) -> the section fields they set."""
    kind = SECTIONS[table or "site"]
    return {f.metadata["key"] or f.name: f for f in dataclasses.fields(kind)}


SETTINGS: Mapping[str, Mapping[str, dataclasses.Field[Any]]] = {
    table: settings_of(table) for table in ("", *SECTIONS) if table != "site"
}


def load_config(path: str | Path, **overrides: Any) -> Config:
    """Read a publisher.toml file. ``overrides`` win over the file: top-level keys by their name
    (``output="public"``), tables as mappings (``feeds={"limit": 10}``); a None value is ignored.
    Paths among them stay relative to the current folder."""
    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not path.is_file():  # a FIFO would block the run
            raise ConfigError(f"{path}: is not a regular file")
        with path.open("rb") as fh:
            raw = fh.read()
        # Windows editors (Notepad) save UTF-8 with a byte-order mark, which TOML does not allow.
        data = tomllib.loads(raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:  # the whole file is decoded as UTF-8 first
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 (byte 0x{exc.object[exc.start]:02x}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays and inline tables
        raise ConfigError(
            f"{path}: arrays or tables nested too deeply to read (a setting is a few levels deep)"
        ) from None
    return config_from_mapping(data, base=path.parent, source=str(path), config_file=str(path), **overrides)


def config_from_mapping(
    data: Mapping[str, Any],
    base: Path | None = None,
    source: str = "config",
    config_file: str | None = None,
    **overrides: Any,
) -> Config:
    """A Config from a mapping shaped as publisher.toml is (``{"title": ..., "url": ..., "feeds": {...}}``),
    checked as the file is: unknown keys and wrong types are errors naming ``source``. With ``base`` (the
    file's folder), relative paths in it are taken relative to it, and the folders it does not name are
    the file's defaults beside it (content, feeds, .publisher); without, they stay unset, as rendering
    needs none.

    ``overrides`` (the command line's --content and --out) have the same shape and win; their paths
    stay as given: relative to the current folder, as a shell user means them.
    """
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    fields: dict[str, tuple[str, ...]] | None = None
    for key, value in data.items():
        if key in TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: [{key}] must be a table")
            if key == "fields":
                fields = _fields(value, source)
                continue
            for sub, subvalue in value.items():
                values[key][_attribute(key, sub, source)] = subvalue
        else:
            values["site"][_attribute("", key, source)] = value
    if base is not None:
        site = values["site"]
        for f in dataclasses.fields(Site):
            if f.metadata["file_default"] is not None:  # a file's default folders sit beside it
                site.setdefault(f.name, f.metadata["file_default"])
            if f.metadata["path"] and isinstance(site.get(f.name), str):
                site[f.name] = str(base / site[f.name])
        for name in ("body_filters", "html_filters"):  # "filters.py:expand" is next to publisher.toml
            if isinstance(site.get(name), list):
                site[name] = [
                    str(base / f) if isinstance(f, str) and f.split(":")[0].endswith(".py") else f for f in site[name]
                ]
    fields = _override(values, fields, overrides, source)
    templates = values["site"].get("templates")
    if isinstance(templates, str) and not Path(templates).is_dir():
        raise ConfigError(f"{source}: templates: {templates}: no such folder")
    for required in ("title", "url"):
        if required not in values["site"]:
            raise ConfigError(f"{source}: {required}: missing (every site needs a title and a url)")
    try:
        sections = {name: kind(**values[name]) for name, kind in SECTIONS.items()}
        return Config(**sections, fields=fields, config_file=config_file)
    except ConfigError as exc:  # a value Config itself refuses (time zone, url, ...): say which file
        raise ConfigError(f"{source}: {exc}") from None


def _override(
    values: dict[str, dict[str, Any]],
    fields: dict[str, tuple[str, ...]] | None,
    overrides: Mapping[str, Any],
    source: str,
) -> dict[str, tuple[str, ...]] | None:
    """Apply load_config's overrides to ``values``; returns [fields], which they may replace."""
    for key, value in overrides.items():
        if value is None:
            continue
        if key in TABLES and not isinstance(value, Mapping):
            raise ConfigError(f"{source}: [{key}] must be a table")
        if key == "fields":
            fields = {**(fields or {}), **_fields(value, source)}
        elif key in TABLES:
            for sub, subvalue in value.items():
                values[key][_attribute(key, sub, source)] = subvalue
        else:
            values["site"][_attribute("", key, source)] = value
    return fields


def _attribute(table: str, key: str, source: str) -> str:
    if table == "smtp" and key == "password":
        raise ConfigError(
            f"{source}: [smtp] password: not read from the configuration file (it is often shared or committed); "
            "set the PUBLISHER_SMTP_PASSWORD environment variable instead"
        )
    try:
        return SETTINGS[table][key].name
    except KeyError:
        where = f"[{table}] " if table else ""
        known = sorted(SETTINGS[table])
        if not table:
            known += sorted(f"[{t}]" for t in TABLES)
        raise ConfigError(f"{source}: {where}{key}: unknown setting (known: {', '.join(known)})") from None


def _fields(table: Mapping[str, Any], source: str) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    for name, names in table.items():
        if name not in DEFAULT_FIELDS:
            raise ConfigError(f"{source}: [fields] {name}: unknown article field (known: {', '.join(DEFAULT_FIELDS)})")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{source}: [fields] {name}: expected a frontmatter name or a list of names")
        fields[name] = tuple(names)
    return fields
