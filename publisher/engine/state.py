"""The state store: the build's cache, one SQLite database (``state.sqlite3``) in the state folder
(default ``.publisher/`` beside the config).

It holds what one build leaves for the next, in tables a build reads row by row:

- ``sources``: every content file as last seen (path, size, mtime, SHA-256) with its parsed fields,
  or the load error it gave, and whether that error was already reported;
- ``html``: each article's rendered HTML, keyed by the file's SHA-256 and the render settings;
- ``outputs``: every file a build wrote (output folder, name, SHA-256, size, mtime) with the key of
  what it was made of (a scratch build into another folder keeps the main folder's rows);
- ``statics``: the local cover files the outputs depend on;
- ``meta``: the fingerprint of the last build (settings, listing, window), as JSON values.

The folder is never the served one, so nothing here is published. A run holds the folder's lock
(an flock on the folder itself, which the kernel releases however the run ends) from start to
end, so runs never interleave. Every change is a transaction: a run killed at any point leaves
the previous state whole. A database that is damaged or is not ours is moved aside with one
warning and the next build is a full one: it is only ever an optimisation. The newsletter's
records (subscribers, digest history, delivery journal) live beside it in a database of their own
with a lock of their own (publisher/email/store.py), so a send never blocks a build and damage
here never takes them.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import ConfigError, ContentError, LockError, OutputError
from ..output import database_unwritable

if TYPE_CHECKING:
    from ..guard import ArticleFailed

log = logging.getLogger("publisher")

DB_NAME = "state.sqlite3"
MAGIC = "publisher state"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
    rel TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('article', 'error')), record TEXT NOT NULL,
    reported INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE html (rel TEXT PRIMARY KEY, key TEXT NOT NULL, html TEXT NOT NULL);
CREATE TABLE outputs (
    folder TEXT NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, memo TEXT, PRIMARY KEY (folder, name)
);
CREATE TABLE statics (
    folder TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    PRIMARY KEY (folder, path)
);
"""


def state_folder(config: Config) -> Path:
    return config.state_folder


def output_key(config: Config) -> str:
    """The output folder as the state store names it (absolute, so that any working folder agrees)."""
    return str(config.output_folder.resolve())


class StateStore:
    """An open state database. Use ``open_state(config)``; it holds the folder's lock while open."""

    def __init__(self, folder: Path, db: sqlite3.Connection, fresh: bool) -> None:
        self.folder = folder
        self.db = db
        self.fresh = fresh  # created by this run (first run, or the old one was moved aside)

    @property
    def path(self) -> Path:
        return self.folder / DB_NAME

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: committed when the block ends, rolled back if it raises."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    # -- meta ------------------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except ValueError:
            return default

    def put(self, key: str, value: Any) -> None:
        """Set a meta value; call inside a transaction."""
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def close(self) -> None:
        self.db.close()


def prepare_folder(config: Config) -> Path:
    """The state folder, created on first use (git-ignored by itself), refused inside the output folder."""
    folder = state_folder(config)
    if folder.resolve().is_relative_to(config.output_folder.resolve()):
        raise ConfigError(
            f"state_dir: {folder} is inside the output folder {config.output_folder}, which is served; "
            "keep it beside the configuration (the default, .publisher)"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():  # git-ignorable by itself: a site's repository never picks it up
            ignore.write_text("# publisher's state (see README): not for version control\n*\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the state folder ({exc.strerror}); set state_dir") from None
    return folder


@contextmanager
def open_state(config: Config, *, lock_timeout: float = 60.0, lock: bool = True) -> Iterator[StateStore]:
    """Open (creating on first use) the state database of ``config``, holding the folder's lock.

    ``lock=False`` (the preview, which writes nothing) opens it without waiting for a build.
    Raises LockError (exit 75) when another run still holds the folder after ``lock_timeout`` seconds.
    """
    folder = prepare_folder(config)
    fd = _lock(folder, lock_timeout) if lock else None
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
            os.close(fd)  # releases the flock


@contextmanager
def peek_state(config: Config) -> Iterator[StateStore | None]:
    """The state database opened read-only, without the lock, or None when there is none to read.

    For the preview, which writes nothing and must not wait for a build; WAL lets it read while
    a build writes. A damaged database is left for the next build to move aside.
    """
    path = state_folder(config) / DB_NAME
    if not path.is_file():
        yield None
        return
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None or json.loads(row[0]) != [MAGIC, SCHEMA_VERSION]:
            db.close()
            yield None
            return
    except (sqlite3.DatabaseError, ValueError, TypeError):
        yield None
        return
    store = StateStore(state_folder(config), db, fresh=False)
    try:
        yield store
    finally:
        store.close()


def _lock(folder: Path, timeout: float) -> int:
    return hold_lock(folder, timeout, "another publisher run still holds this state folder")


def hold_lock(path: Path, timeout: float, busy: str) -> int:
    """An flock on ``path`` (a folder, or a file that exists), waited for up to ``timeout`` seconds: the
    open descriptor, whose closing releases it. After the wait, LockError ``path: busy after waiting...``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"{path}: cannot open it to lock it ({exc.strerror})") from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockError(f"{path}: {busy} after waiting {timeout:g} s; try again later") from None
            time.sleep(0.05)


def _connect(folder: Path) -> tuple[sqlite3.Connection, bool]:
    """The folder's database, checked to be ours; a damaged or foreign one is moved aside."""
    path = folder / DB_NAME
    existed = path.exists()
    if existed:
        try:
            db = _sqlite(path)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is not None and json.loads(row[0]) == [MAGIC, SCHEMA_VERSION]:
                return db, False
            db.close()
            why = "it is from another version of publisher or not publisher's"
        except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
            full = database_unwritable(path, exc) if isinstance(exc, sqlite3.Error) else None
            if full is not None:  # a full disk is not damage
                raise full from None
            why = f"it is damaged ({exc})"
        aside = move_aside(path)
        log.warning("%s: %s; moved it to %s and starting afresh (this build is a full one)", path, why, aside.name)
    db = _sqlite(path)
    db.executescript(
        "BEGIN IMMEDIATE;"
        + SCHEMA.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")
        + f"INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '{json.dumps([MAGIC, SCHEMA_VERSION])}');"
        + "COMMIT;"
    )
    return db, True


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


def move_aside(path: Path) -> Path:
    """Rename a damaged database (and its WAL files) out of the way, keeping it for inspection."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
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


def record_render_errors(store: StateStore, rels: dict[str, str], failures: list[ArticleFailed]) -> None:
    """A file whose article could not be rendered is recorded as that file's problem, as a load error
    is: reported once, listed on every build, not rendered again until the file or the settings change."""
    store.db.executemany(
        "UPDATE sources SET kind = 'error', record = ?, reported = 1 WHERE rel = ?",
        [
            (json.dumps([f.error.field, f.error.message, f.error.line, f.error.reason]), rels[f.article.path])
            for f in failures
            if f.article.path in rels
        ],
    )


def recorded_errors(store: StateStore, config: Config, outside: list[str]) -> list[ContentError]:
    """Every file's recorded problem (each a ContentError as the load gave it), and the links out of the
    content folder that were not followed."""
    root = str(config.content_folder)
    errors = []
    for rel, record in store.db.execute("SELECT rel, record FROM sources WHERE kind = 'error' ORDER BY rel"):
        try:
            field_name, message, line, reason = json.loads(record)
        except (ValueError, TypeError):
            continue
        path = rel if root == "." else f"{root.rstrip('/')}/{rel}"
        errors.append(ContentError(path, field_name, str(message), line=line, reason=str(reason)))
    errors.extend(
        ContentError(
            path,
            None,
            "symbolic link to a file outside the content folder; not followed",
            reason="link outside content",
        )
        for path in outside
    )
    return errors
