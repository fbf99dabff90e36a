"""Articles as JSON records, exactly or not at all: what the state store keeps of a parsed file.

A record holds every Article field but the body (read from the file when needed) and the path.
Only values that JSON gives back equal, of the same types, are stored; an article with anything
else (a YAML date object in ``extra``, say) is not recorded and its file is parsed on every run.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from ..config import Config
from ..content import read_body
from ..errors import ContentError
from ..model import Article, DeferredBody

# Article fields kept in a record, in order, with how each is written: "d" a datetime (or None),
# "t" a tuple of plain values, "v" a plain JSON value (str, number, bool, None, list, dict).
FIELDS = [
    [f.name, "d" if "datetime" in str(f.type) else "t" if str(f.type).startswith("tuple") else "v"]
    for f in dataclasses.fields(Article)
    if f.name not in ("body", "path")
]
_NAMES = [name for name, _ in FIELDS]
_ORDER = [f.name for f in dataclasses.fields(Article)]
_BODY, _PATH = _ORDER.index("body"), _ORDER.index("path")
_DATETIMES = [i for i, (_, kind) in enumerate(FIELDS) if kind == "d"]
_TUPLES = [i for i, (_, kind) in enumerate(FIELDS) if kind == "t"]


class Unstorable(Exception):
    """A value a record cannot hold exactly."""


def error_record(error: ContentError) -> list[Any]:
    """A file's problem as the state store keeps it (``error_from_record`` gives it back)."""
    return [error.field, error.message, error.line, error.reason]


def error_from_record(path: str, values: Any) -> ContentError:
    """The ContentError of ``error_record``; ValueError when ``values`` is not one."""
    try:
        field, message, line, reason = values
    except (TypeError, ValueError):
        raise ValueError("not an error record") from None
    if not (field is None or isinstance(field, str)) or not (line is None or isinstance(line, int)):
        raise ValueError("not an error record")
    return ContentError(path, field, str(message), line=line, reason=str(reason))


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def encode(article: Article) -> list[Any] | None:
    """The article's fields (not body or path) as JSON values that decode to equal values, or None."""
    values = [getattr(article, name) for name in _NAMES]
    try:
        for i, value in enumerate(values):
            if value is None:
                continue
            kind = FIELDS[i][1]
            if kind == "d":
                values[i] = encode_datetime(value)
            elif kind == "t":
                if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                    raise Unstorable
                values[i] = list(value)
            elif not _is_json(value) or isinstance(value, tuple):
                raise Unstorable
    except Unstorable:
        return None
    return values


def encode_datetime(value: Any) -> str | list[Any]:
    """A datetime as JSON (``decode_datetime`` gives back an equal one, in the same zone); Unstorable
    when it is none or its zone cannot be named (a fixed offset, or a zoneinfo key)."""
    if not isinstance(value, datetime):
        raise Unstorable
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key:
        return [value.replace(tzinfo=None).isoformat(), zone.key, value.fold]
    if type(zone) is timezone:
        plain = timezone(zone.utcoffset(None))
        if zone == plain and zone.tzname(None) == plain.tzname(None):
            return value.isoformat()
    raise Unstorable


def decode_datetime(value: str | list[Any]) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    naive, key, fold = value
    return datetime.fromisoformat(naive).replace(tzinfo=ZoneInfo(key), fold=fold)


def _is_json(value: Any) -> bool:
    """True when json round-trips it to an equal value of the same types (no tuples, non-str keys, NaN)."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


def decode(values: list[Any], path: str, config: Config) -> Article:
    if len(values) != len(_NAMES):
        raise ValueError("record does not match the Article fields")
    values = list(values)
    for i in _DATETIMES:
        if values[i] is not None:
            values[i] = decode_datetime(values[i])
    for i in _TUPLES:
        if values[i] is not None:
            values[i] = tuple(values[i])
    # Positional arguments, in the dataclass's field order: the cheapest way to build 10,000 of them.
    values.insert(_BODY, DeferredBody(partial(read_body, path, config)))
    values.insert(_PATH, path)
    return Article(*values)
