"""Damage to the state database, wherever SQLite finds it (opening it, or any page a build reads or
writes later), as one exception: every named method of the StateStore raises StateDamaged, and the
build moves the database aside and starts again as a full one (``StateStore.start_afresh``)."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class StateDamaged(Exception):
    """The state database turned out to be damaged while in use (``StateStore.start_afresh`` recovers)."""


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
