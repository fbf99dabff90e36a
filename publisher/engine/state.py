"""The state store: the build's cache, one SQLite database (``state.sqlite3``) in the state folder
(default ``.publisher/`` beside the config).

It holds what one build leaves for the next, in tables a build reads row by row:

- ``sources``: every content file as last seen (path, size, mtime, SHA-256) with its parsed fields,
  or the load error it gave, and whether that error was already reported;
- ``html``: each article's rendered HTML, keyed by the file's SHA-256 and the render settings, with
  its own SHA-256 (HTML that is not what was stored is rendered again);
- ``outputs``: every file a build wrote (output folder, name, SHA-256, size, mtime) with the key of
  what it was made of (a scratch build into another folder keeps the main folder's rows), and in
  ``output_bytes`` its bytes once its file was found gone (MkDocs empties its site folder before
  each build), so that such an output, unchanged, is written again as it was, not made again;
- ``statics``: the local cover files the outputs depend on;
- ``snapshot``: the articles of the content listing last loaded, as one blob (engine/snapshot.py),
  under the digest of that listing and every setting; it goes whenever a file or its HTML does,
  and with it the ``rendered`` meta value (what each output of a render of them was made of);
- ``meta``: the fingerprint of the last build (settings, listing, window), as JSON values.

The folder is never the served one, so nothing here is published. A run holds the folder's lock
(lock.py) from start to end. Every change is a transaction: a run killed at any point leaves the
previous state whole. A database that is not ours (its tables too), or is found damaged anywhere, is
moved aside with one warning and the build is a full one: it is only ever an optimisation. The
newsletter's records (subscribers, digest history, delivery journal) live in a database of their own
with a lock of their own (publisher/email/store/): a send never blocks a build, damage here never
takes them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import ContentError
from ..output import database_unwritable
from .damage import StateDamaged, named, set_aside
from .lock import lock_folder, made_folder, prepare_folder, unlock_folder
from .records import dumps, error_record

log = logging.getLogger("publisher")

DB_NAME = "state.sqlite3"
MAGIC = "publisher state"
SCHEMA_VERSION = 5
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
    rel TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('article', 'error')), record TEXT NOT NULL,
    reported INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sources_problems ON sources (rel) WHERE kind = 'error';  -- the fast path lists only these
CREATE TABLE html (rel TEXT PRIMARY KEY, key TEXT NOT NULL, html TEXT NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE entries (
    rel TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, text INTEGER NOT NULL,
    sha256 TEXT NOT NULL, PRIMARY KEY (rel, name)
);
CREATE TABLE outputs (
    folder TEXT NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, memo TEXT, PRIMARY KEY (folder, name)
);
CREATE TABLE output_bytes (
    folder TEXT NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (folder, name)
);
CREATE TABLE statics (
    folder TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    PRIMARY KEY (folder, path)
);
CREATE TABLE snapshot (
    one INTEGER PRIMARY KEY CHECK (one = 1), key TEXT NOT NULL, crc32 INTEGER NOT NULL, data BLOB NOT NULL
);
"""
_TABLES = "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"


def output_key(config: Config) -> str:
    """The output folder as the state store names it (absolute, so that any working folder agrees)."""
    return str(config.output_folder.resolve())


class StateStore:
    """An open state database. Use ``open_state(config)``; it holds the folder's lock while open.
    The build reads and writes it only through the named methods below, so the SQL is here alone.
    Each of them raises StateDamaged when the database is found damaged, wherever that is found;
    ``start_afresh`` then moves it aside and the stage that found it runs again (engine/store.py).
    """

    def __init__(self, folder: Path, db: sqlite3.Connection, fresh: bool) -> None:
        self.folder = folder
        self.db = db
        self.fresh = fresh  # created by this run (first run, or the old one was moved aside)

    @property
    def path(self) -> Path:
        return self.folder / DB_NAME

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: committed when the block ends, rolled back if it raises. Inside another
        transaction it is part of that one (a build's stages are one transaction)."""
        if self.db.in_transaction:
            yield self.db
            return
        named(self.db.execute)("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            with suppress(sqlite3.Error):  # a damaged database may refuse even that; it goes aside next
                self.db.rollback()
            raise
        named(self.db.commit)()

    def start_afresh(self, damage: StateDamaged) -> None:
        """Move the damaged database aside (one warning) and go on with an empty one. The names of the
        files it says a build wrote are kept where they can be read: the full build removes those it
        no longer makes, as any build does. A transaction open on it (a build's stages are one) goes
        on in the fresh one, so what follows is still committed, or rolled back, as one."""
        within = self.db.in_transaction
        with suppress(sqlite3.Error):
            self.db.rollback()
        try:
            written = self.db.execute("SELECT folder, name FROM outputs").fetchall()
        except sqlite3.Error:
            written = []
        self.db.close()
        set_aside(self.path, str(damage))
        self.db, self.fresh = _connect(self.folder)
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO outputs VALUES (?, ?, '', -1, -1, NULL)", written)
        if within:
            named(self.db.execute)("BEGIN IMMEDIATE")

    @named
    def check(self) -> None:
        """StateDamaged when a table a build reads row by row is damaged (1 ms a thousand articles)."""
        for table in ("meta", "sources", "outputs", "statics"):
            row = self.db.execute(f"PRAGMA quick_check({table})").fetchone()
            if row != ("ok",):
                raise StateDamaged(f"it is damaged ({row[0] if row else 'no answer'})")

    # -- meta: JSON values by name -----------------------------------------------------------------

    @named
    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except ValueError:
            return default

    @named
    def put(self, key: str, value: Any) -> None:
        """Set a meta value; call inside a transaction."""
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    # -- sources: each content file as last seen -------------------------------------------------

    @named
    def sources(self) -> list[tuple[str, int, int, str, str, str, int]]:
        """(rel, size, mtime_ns, sha256, kind, record, reported) of every file recorded."""
        return self.db.execute("SELECT rel, size, mtime_ns, sha256, kind, record, reported FROM sources").fetchall()

    @named
    def update_sources(self, rows: list[tuple[Any, ...]], gone: list[str], *, forget_all: bool = False) -> None:
        """Record ``rows`` (as ``sources`` returns them) and forget the files ``gone`` with their HTML;
        ``forget_all`` first forgets every file and its HTML (the settings changed). The snapshot goes too."""
        self._forget_snapshot()
        for table in ("sources", "html", "entries"):
            if forget_all:
                self.db.execute(f"DELETE FROM {table}")
            self.db.executemany(f"DELETE FROM {table} WHERE rel = ?", [(rel,) for rel in gone])
        self.db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    @named
    def record_errors(self, errors: dict[str, ContentError]) -> None:
        """Record each file's (rel -> its error) problem, as reported: a file whose article could not be
        rendered is listed on every build and not rendered again until it or the settings change."""
        self._forget_snapshot()  # it holds those articles
        self.db.executemany(
            "UPDATE sources SET kind = 'error', record = ?, reported = 1 WHERE rel = ?",
            [(dumps(error_record(error)).decode(), rel) for rel, error in errors.items()],
        )

    @named
    def recorded_errors(self) -> list[tuple[str, str]]:
        """(rel, record) of every file recorded with a problem, in path order."""
        return self.db.execute("SELECT rel, record FROM sources WHERE kind = 'error' ORDER BY rel").fetchall()

    # -- html: each article's HTML, with the digest of what made it and of itself -----------------

    @named
    def html_keys(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT rel, key FROM html").fetchall())

    @named
    def html(self, rel: str) -> str | None:
        """The HTML stored for ``rel``, None when there is none; StateDamaged when it is not what was stored."""
        row = self.db.execute("SELECT html, sha256 FROM html WHERE rel = ?", (rel,)).fetchone()
        if row is None:
            return None
        if hashlib.sha256(str(row[0]).encode()).hexdigest() != row[1]:
            raise StateDamaged(f"it is damaged (the HTML kept for {rel} is not what was stored)")
        return str(row[0])

    @named
    def store_html(self, rel: str, key: str, html: str) -> None:
        sha = hashlib.sha256(html.encode()).hexdigest()
        self.db.execute("INSERT OR REPLACE INTO html VALUES (?, ?, ?, ?)", (rel, key, html, sha))

    @named
    def entry(self, rel: str, name: str, key: str) -> bytes | str | None:
        """An article's entry in one format (Atom, RSS, JSON) as kept under ``key``; None when not kept."""
        row = self.db.execute("SELECT key, data, text, sha256 FROM entries WHERE rel = ? AND name = ?", (rel, name))
        found = row.fetchone()
        if found is None or found[0] != key:
            return None
        if hashlib.sha256(found[1]).hexdigest() != found[3]:
            raise StateDamaged(f"it is damaged (the {name} entry kept for {rel} is not what was stored)")
        return bytes(found[1]).decode() if found[2] else bytes(found[1])

    @named
    def store_entry(self, rel: str, name: str, key: str, value: bytes | str) -> None:
        data = value.encode() if isinstance(value, str) else value
        self.db.execute(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)",
            (rel, name, key, data, isinstance(value, str), hashlib.sha256(data).hexdigest()),
        )

    # -- snapshot: the last load's articles as one blob, under the key of what made them -------------

    @named
    def snapshot(self, key: str | None) -> bytes | None:
        """The snapshot stored under ``key`` (None: whichever is stored); None when the one stored is
        another's (or none is); StateDamaged when it is not what was stored (its CRC-32: a third of
        SHA-256's time on 5 MB)."""
        found = "SELECT crc32 FROM snapshot WHERE one = 1 AND (?1 IS NULL OR key = ?1)"
        row = self.db.execute(found, (key,)).fetchone()
        if row is None:
            return None
        # One copy of 4 MB, not two, through a small page cache: read once, it would only fill one.
        size = self.db.execute("PRAGMA cache_size").fetchone()[0]
        self.db.execute("PRAGMA cache_size = -64")
        try:
            with self.db.blobopen("snapshot", "data", 1, readonly=True) as blob:
                data = blob.read()
        finally:
            self.db.execute(f"PRAGMA cache_size = {int(size)}")
        if zlib.crc32(data) != row[0]:
            raise StateDamaged("it is damaged (the articles' snapshot is not what was stored)")
        return data

    @named
    def store_snapshot(self, key: str, data: bytes) -> None:
        """Replace the snapshot; call inside a transaction (with what the load recorded)."""
        self._forget_snapshot()
        self.db.execute("INSERT INTO snapshot VALUES (1, ?, ?, ?)", (key, zlib.crc32(data), data))

    def _forget_snapshot(self) -> None:
        self.db.execute("DELETE FROM snapshot")
        self.db.execute("DELETE FROM meta WHERE key = 'rendered'")  # what the outputs of its articles were made of

    # -- outputs and statics: what a build wrote into a folder, and the files it read besides -----

    @named
    def outputs(self, folder: str) -> dict[str, tuple[str, int, int, str | None]]:
        """name -> (sha256, size, mtime_ns, memo) of every file a build recorded in ``folder``."""
        rows = self.db.execute("SELECT name, sha256, size, mtime_ns, memo FROM outputs WHERE folder = ?", (folder,))
        return {name: (sha, size, mtime_ns, memo) for name, sha, size, mtime_ns, memo in rows.fetchall()}

    @named
    def record_output(
        self, folder: str, name: str, sha: str, size: int, mtime_ns: int, memo: str | None, data: bytes | None = None
    ) -> None:
        """Record a file written into ``folder``, keeping its bytes when ``data`` is given (else
        keeping those of SHA-256 ``sha``, if any: the file was found as it was written)."""
        self.db.execute(
            "INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)", (folder, name, sha, size, mtime_ns, memo)
        )
        if data is not None:
            self.db.execute("INSERT OR REPLACE INTO output_bytes VALUES (?, ?, ?, ?)", (folder, name, sha, data))
        else:
            drop = "DELETE FROM output_bytes WHERE folder = ? AND name = ? AND sha256 != ?"
            self.db.execute(drop, (folder, name, sha))

    @named
    def output_bytes(self, folder: str, name: str, sha: str) -> bytes | None:
        """The bytes kept of ``name`` in ``folder`` when they are those of SHA-256 ``sha``, else None;
        StateDamaged when they are not what was stored."""
        row = self.db.execute("SELECT sha256, data FROM output_bytes WHERE folder = ? AND name = ?", (folder, name))
        found = row.fetchone()
        if found is None or found[0] != sha:
            return None
        data = bytes(found[1])
        if hashlib.sha256(data).hexdigest() != sha:
            raise StateDamaged(f"it is damaged (the bytes kept of {name} are not what was stored)")
        return data

    @named
    def forget_outputs(self, folder: str, names: list[str]) -> None:
        rows = [(folder, name) for name in names]
        for table in ("outputs", "output_bytes"):
            self.db.executemany(f"DELETE FROM {table} WHERE folder = ? AND name = ?", rows)

    @named
    def statics(self, folder: str) -> list[tuple[str, int, int]]:
        """(path, size, mtime_ns) of each local file the outputs of ``folder`` were made from."""
        return self.db.execute("SELECT path, size, mtime_ns FROM statics WHERE folder = ?", (folder,)).fetchall()

    @named
    def replace_statics(self, folder: str, rows: list[tuple[str, int, int]]) -> None:
        self.db.execute("DELETE FROM statics WHERE folder = ?", (folder,))
        self.db.executemany("INSERT INTO statics VALUES (?, ?, ?, ?)", [(folder, *row) for row in rows])

    def close(self) -> None:
        self.db.close()


@contextmanager
def open_state(config: Config, *, lock_timeout: float = 60.0, lock: bool = True) -> Iterator[StateStore]:
    """Open (creating on first use) the state database of ``config``, holding the folder's lock.
    ``lock=False`` (the preview, which writes nothing) opens it without waiting for a build.
    Raises LockError (exit 75) when another run still holds the folder after ``lock_timeout`` seconds.
    """
    with open_folder(prepare_folder(config), lock_timeout=lock_timeout, lock=lock) as store:
        yield store


@contextmanager
def open_folder(folder: Path, *, lock_timeout: float = 60.0, lock: bool = True) -> Iterator[StateStore]:
    """The state database of ``folder`` (made on first use), holding the folder's lock while open."""
    fd = lock_folder(made_folder(folder), lock_timeout) if lock else None
    try:
        db, fresh = _connect(folder)
        store = StateStore(folder, db, fresh)
        try:
            yield store
        finally:
            store.close()
    except sqlite3.OperationalError as exc:  # a full disk is the user's to fix, not a bug: say it as a write does
        raise database_unwritable(folder / DB_NAME, exc) or exc from None
    finally:
        if fd is not None:
            unlock_folder(fd)


def _connect(folder: Path) -> tuple[sqlite3.Connection, bool]:
    """The folder's database, checked to be ours; a damaged or foreign one is moved aside."""
    path = folder / DB_NAME
    if path.exists():
        try:
            db = _sqlite(path)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            ours = row is not None and json.loads(row[0]) == [MAGIC, SCHEMA_VERSION]
            if ours and db.execute(_TABLES).fetchall() == _tables():  # one gone or altered: not ours either
                return db, False
            db.close()
            why = "it is from another version of publisher or not publisher's"
        except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
            full = database_unwritable(path, exc) if isinstance(exc, sqlite3.Error) else None
            if full is not None:  # a full disk is not damage
                raise full from None
            why = f"it is damaged ({exc})"
        set_aside(path, why)
    db = _sqlite(path)
    db.executescript(
        "BEGIN IMMEDIATE;"
        + SCHEMA.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS").replace(
            "CREATE INDEX", "CREATE INDEX IF NOT EXISTS"
        )
        + f"INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '{json.dumps([MAGIC, SCHEMA_VERSION])}');"
        + "COMMIT;"
    )
    return db, True


# What SCHEMA makes (0.3 ms, once): a table of the file gone or altered gave the caller 'no such table'.
_tables = functools.cache(lambda: sqlite3.connect(":memory:").executescript(SCHEMA).execute(_TABLES).fetchall())


def _sqlite(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are begun explicitly (StateStore.transaction), never implicitly.
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("PRAGMA foreign_keys = ON")
    # WAL: the preview (and a digest) read while a build writes. synchronous=NORMAL in WAL mode keeps
    # the database consistent through a crash; the last commit may be lost on power failure, which
    # costs one full build, never wrong output.
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    return db
