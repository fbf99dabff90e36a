"""Dates as generators write them -> timezone-aware datetimes: ``publisher.parse_date``.

YAML and TOML dates and datetimes, ISO 8601, and what datetime.fromisoformat does not read: unpadded
(2024-4-9), Jekyll's "2025-01-29 18:15:32 +0530", an offset without colon, YAML's own
"2001-12-14 21:59:43.10 -5", a leap second (23:59:60Z, read as the last instant of its minute). A
preset with lenient dates (Pelican's) also takes the first date in text such as "2024-03-01 10:00
(updated later)".
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from ..errors import ContentError

if TYPE_CHECKING:
    from ..config import Config

# Dates as generators write them beyond what datetime.fromisoformat reads: unpadded (2024-4-9),
# Jekyll's "2025-01-29 18:15:32 +0530", an offset without colon, and YAML 1.1's timestamp
# (https://yaml.org/type/timestamp.html): "2001-12-14 21:59:43.10 -5" has spaces before the time
# and the offset, and an offset of hours only.
_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:T|[ \t]+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


def parse_date(value: date | datetime | str, config: Config | None = None) -> datetime:
    """``value`` as a timezone-aware datetime: naive values are in ``config``'s time zone (``[site]
    timezone``; UTC without a config), and ``config``'s preset decides how lenient text is read.

    ContentError (its ``reason`` "bad date") for anything else (words, impossible dates), and for a
    moment outside years 1 to 9999 in UTC or in the site's zone (feeds write it in UTC, URLs and
    archives in the site's zone).
    """
    tz = config.tz if config is not None else timezone.utc
    parsed = _parse(value, tz, config is not None and config.preset_rules.lenient_dates)
    shown = value.isoformat() if isinstance(value, (datetime, date)) else value
    if parsed is None:
        raise ContentError(None, None, f"{shown!r} is not a date (expected YYYY-MM-DD or ISO 8601)", reason="bad date")
    try:
        parsed.astimezone(timezone.utc)
        parsed.astimezone(tz)
    except (OverflowError, ValueError):
        zone = config.site.timezone if config is not None else "UTC"
        raise ContentError(
            None,
            None,
            f"{shown!r} is outside years 1 to 9999 in UTC or in the site's time zone ({zone}); "
            'Hugo writes 0001-01-01 for "no date": give the real one',
            reason="bad date",
        ) from None
    return parsed


def read_date(value: Any, config: Config | None = None) -> datetime | None:
    """parse_date, with None for what is not a date."""
    try:
        return parse_date(value, config)
    except ContentError:
        return None


def _parse(value: Any, tz: tzinfo, lenient: bool) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                parsed = datetime.combine(date.fromisoformat(text), time())
            else:
                parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            found = _loose_date(text)
            if found is None and lenient:
                found = _lenient_date(text)
            if found is None:
                return None
            parsed = found
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _loose_date(text: str) -> datetime | None:
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if second == "60":  # a leap second (23:59:60Z): Python has no 60th second, so the last instant before it
        second, micro = "59", 999_999
    try:
        zone = _zone(offset) if offset else None
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tzinfo=zone
        )
    except ValueError:
        return None


def _zone(offset: str) -> timezone:
    """``Z``, ``-5``, ``+0530``, ``+05:30`` as a fixed zone; ValueError past a day."""
    if offset.upper() == "Z":
        return timezone.utc
    digits = offset[1:].replace(":", "")
    hours, minutes = (digits, "0") if len(digits) <= 2 else (digits[:-2], digits[-2:])
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if offset[0] == "-" else delta)


_OFFSET = re.compile(r"(?<![\d:])([+-]\d{2}:?\d{2}|Z|UTC|GMT)\b")


def _lenient_date(text: str) -> datetime | None:
    """The first date (and time) in the text, with the first offset after it; the rest is skipped."""
    match = _DATE.match(text)
    if match is None:
        return None
    date_and_time = text[: match.end()].strip()
    offset = _OFFSET.search(text, match.end())
    zone = "" if offset is None else "Z" if offset.group(1) in ("Z", "UTC", "GMT") else offset.group(1)
    return _loose_date(date_and_time if _DATE.fullmatch(date_and_time + zone) is None else date_and_time + zone)
