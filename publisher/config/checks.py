"""What every section checks the same way: the types of its settings, patterns that must fill in, output
file names that stay in the output folder, addresses written as URIs. A check of one setting lives with
its section (config/sections.py, articles.py, feeds.py, mail.py); each raises ConfigError naming the
setting as publisher.toml spells it.
"""

from __future__ import annotations

import dataclasses
import math
import string
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ConfigError
from ..urls import PLACEHOLDERS, uri

_WANTED = {"bool": "true or false", "int": "a whole number", "str": "text in quotes"}


def check_types(section: Any, table: str) -> None:
    """Every setting of ``section`` has the type its field declares, whether it came from publisher.toml or
    from code: a wrong type is a ConfigError here, never a TypeError deep in a build. A list setting may be
    given as any iterable (kept as a tuple); a single text for one is left to its own check, which says
    what it wants. ``table``: the section's table in publisher.toml ("" for the top level)."""
    for field in dataclasses.fields(section):
        value = getattr(section, field.name)
        hint = str(field.type)
        optional = hint.endswith(" | None")
        kind = hint.removesuffix(" | None")
        label = (
            f"{table}.{field.metadata.get('key') or field.name}" if table else (field.metadata.get("key") or field.name)
        )
        if value is None:
            if optional:
                continue
            raise ConfigError(f"{label}: None is not valid (expected {_WANTED.get(kind, 'a list')})")
        if kind.startswith("tuple["):
            if isinstance(value, str):
                continue
            if not isinstance(value, Iterable) or isinstance(value, (bytes, Mapping)):
                raise ConfigError(f"{label}: {value!r} is not valid (expected a list)")
            value = tuple(value)  # a generator is read once, here
            if kind == "tuple[str, ...]" and not all(isinstance(item, str) for item in value):
                raise ConfigError(f"{label}: {value!r} is not valid (expected a list of texts in quotes)")
            object.__setattr__(section, field.name, value)
        elif kind == "bool" and not isinstance(value, bool):
            raise ConfigError(f"{label}: {value!r} is not valid (expected {_WANTED[kind]})")
        elif kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{label}: {value!r} is not valid (expected {_WANTED[kind]})")
        elif kind == "str" and not isinstance(value, str):
            raise ConfigError(f"{label}: {value!r} is not valid (expected {_WANTED[kind]})")
        elif kind == "float" and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
        ):
            raise ConfigError(f"{label}: {value!r} is not valid (expected a number)")


def addresses_as_uris(section: object, names: Mapping[str, str]) -> None:
    """The site's own addresses, written as IRIs in the config ("https://bücher.example/über/"), as URIs.
    Not the digest's url and unsubscribe_url: their {token} and {{ merge tags }} are filled in later,
    by publisher or the ESP, and must reach it as written. ``names``: attribute -> name in messages."""
    for name, key in names.items():
        value = getattr(section, name)
        if isinstance(value, str):
            try:
                object.__setattr__(section, name, uri(value))
            except ValueError:
                raise ConfigError(f"{key}: {value!r} is not an address") from None


def check_placeholders(label: str, pattern: str, allowed: Iterable[str] | None) -> None:
    """Only ``{name}`` placeholders of ``allowed``: no format spec, conversion or attribute ("{slug:>99999999}"
    would fill memory, "{slug.__class__}" reach into Python), so that filling a pattern in is always cheap.
    ``allowed`` None: any plain name (the caller says which are missing or unknown)."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(pattern)]
    except ValueError as exc:
        raise ConfigError(f"{label}: {pattern!r} is not a pattern ({exc})") from None
    for name, spec, conversion in fields:
        plain = name is None or name.isidentifier()
        if name is not None and ((allowed is not None and name not in allowed) or not plain or spec or conversion):
            known = ", ".join("{" + p + "}" for p in sorted(allowed or ())) or "plain {name} placeholders"
            shown = "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
            raise ConfigError(f"{label}: {pattern!r}: {shown} is not a placeholder (expected only {known})")


def check_pattern(name: str, pattern: str, **extra: str) -> None:
    """The permalink and entry id templates must be ones publisher can fill in."""
    check_placeholders(name, pattern, None)  # names are checked below, where the message lists them
    values = dict.fromkeys(PLACEHOLDERS, "x")
    try:
        pattern.format(**values, **extra)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        known = ", ".join("{" + p + "}" for p in (*PLACEHOLDERS, *extra))
        raise ConfigError(
            f"{name}: {pattern!r} is not a pattern publisher can fill ({type(exc).__name__}: {exc}; "
            f"expected placeholders {known})"
        ) from None


def check_output_name(label: str, name: str) -> None:
    """A feed's file name, or a pattern filled in, names a file inside the output folder: relative, without
    ".." or a backslash. The build checks every path again when it writes (output.write_inside)."""
    parts = name.split("/")
    if name.startswith(("/", "~")) or "\\" in name or ".." in parts or (len(parts[0]) > 1 and parts[0][1] == ":"):
        raise ConfigError(
            f"{label}: {name!r} would be written outside the output folder (expected a relative file name such as "
            '"atom.xml" or "tags/{slug}.atom.xml", without ".." or a leading "/")'
        )
