"""Damage to the state database, wherever SQLite finds it (opening it, or any page a build reads or
writes later), as one exception: every named method of the StateStore raises StateDamaged, and the
public stage that finds it (engine/store.py) moves the database aside (``StateStore.start_afresh``)
and does its work again against a fresh one, as a full build."""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from ..errors import OutputError

log = logging.getLogger("publisher")
P = ParamSpec("P")
R = TypeVar("R")


class StateDamaged(Exception):
    """The state database turned out to be damaged while in use (``Store`` stages recover from it)."""


# SQLite's result codes for a file that is not a sound database (damaged pages, not a database).
_DAMAGE = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_FORMAT}


def _is_damage(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised by Python's module itself: a text column that is not UTF-8
        return isinstance(exc, sqlite3.DatabaseError) and "decode" in str(exc)
    return code & 0xFF in _DAMAGE


def named(method: Callable[P, R]) -> Callable[P, R]:
    """Every named method of the store: damage found anywhere is one exception, StateDamaged."""

    @functools.wraps(method)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            if not _is_damage(exc):
                raise
            raise StateDamaged(f"it is damaged ({exc})") from exc

    return checked


def set_aside(path: Path, why: str) -> None:  # the one warning, whoever found the damage
    aside = move_aside(path)
    # never_fatal: a host whose warnings are errors (mkdocs build --strict) says it at INFO (integrations/mkdocs.py).
    log.warning(
        "%s: %s; moved it to %s and starting afresh (this build is a full one)",
        path,
        why,
        aside.name,
        extra={"never_fatal": True},
    )


def move_aside(path: Path) -> Path:
    """Rename a damaged database (and its WAL files) out of the way, keeping it for inspection."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while aside.exists():  # a second damage within the same second: never over the copy kept of the first
        number += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(path) + suffix)
        try:
            if suffix:
                source.unlink()
            else:
                os.replace(source, aside)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OutputError(f"{source}: cannot move the damaged state database aside ({exc.strerror})") from None
    return aside
