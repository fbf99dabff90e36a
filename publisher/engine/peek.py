"""The state database read without its lock: the preview's and the digest's view of what the last
build recorded (engine/state.py holds its SQL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from ..config import Config
from .damage import StateDamaged
from .state import DB_NAME, MAGIC, SCHEMA_VERSION, StateStore


@contextmanager
def peek_state(config: Config) -> Iterator[StateStore | None]:
    """The state database opened read-only, without the lock, or None when there is none to read.

    For the preview, which writes nothing and must not wait for a build; WAL lets it read while
    a build writes. A damaged database is left for the next build to move aside.
    """
    path = config.state_folder / DB_NAME
    store = None
    with suppress(sqlite3.Error, StateDamaged):
        if path.is_file():
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)
            store = StateStore(path.parent, db, fresh=False)
            if store.get("schema") != [MAGIC, SCHEMA_VERSION]:
                db.close()
                store = None
    try:
        yield store
    finally:
        if store is not None:
            store.close()
