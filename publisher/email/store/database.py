"""Opening the newsletter's database: its lock, its schema, and a damaged one moved aside."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ...config import Config
from ...engine.damage import move_aside
from ...engine.lock import hold_lock, prepare_folder, unlock_folder
from ...errors import OutputError
from ...output import database_unwritable

log = logging.getLogger("publisher")

DB_NAME = "newsletter.sqlite3"
LOCK_NAME = "newsletter.lock"
MAGIC = ["publisher newsletter", 1]
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscribers (
    email TEXT PRIMARY KEY,        -- lower case
    address TEXT NOT NULL,         -- as given
    name TEXT NOT NULL DEFAULT '',
    fields TEXT NOT NULL DEFAULT '{}',  -- merge fields (JSON)
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
    reason TEXT NOT NULL DEFAULT '',
    soft_bounces INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriber_changes (
    email TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriber_changes_email ON subscriber_changes (email);
CREATE TABLE IF NOT EXISTS digests (
    id INTEGER PRIMARY KEY, since TEXT, until TEXT NOT NULL, message_id TEXT, subject TEXT,
    recorded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS digest_articles (
    digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE, slug TEXT NOT NULL,
    published TEXT NOT NULL, PRIMARY KEY (digest_id, slug)
);
CREATE TABLE IF NOT EXISTS issues (
    issue TEXT PRIMARY KEY,        -- "<date>-<slug>", the digest's name
    subject TEXT NOT NULL,
    html TEXT NOT NULL,            -- as rendered, with UNSUBSCRIBE_MARKER where each subscriber's link goes
    text TEXT NOT NULL,
    state TEXT,                    -- the --since-last state to record once every subscriber is done (JSON)
    started TEXT NOT NULL,
    finished TEXT                  -- NULL while some subscriber is still to be tried
);
CREATE TABLE IF NOT EXISTS deliveries (
    issue TEXT NOT NULL,
    email TEXT NOT NULL,           -- lower case
    status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    token TEXT NOT NULL,
    reply TEXT,                    -- the server's reply to the end of data; NULL until it is read
    message_id TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (issue, email)
);
CREATE INDEX IF NOT EXISTS deliveries_token ON deliveries (token);
CREATE TABLE IF NOT EXISTS attempts (scope TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_key ON attempts (scope, key, at);
"""
LOST = "lost"  # meta key: why the records were lost (a damaged database moved aside)


@contextmanager
def open_newsletter(config: Config, *, lock: bool = True, lock_timeout: float = 60.0) -> Iterator[sqlite3.Connection]:
    """The newsletter's database of ``config`` (created on first use), holding its lock unless ``lock=False``.

    A send and a digest hold the lock; a signup, an unsubscribe or an import is one transaction and
    does not. Raises LockError (exit 75) when another send still holds it after ``lock_timeout`` s.
    """
    folder = prepare_folder(config)
    fd = _lock(folder / LOCK_NAME, lock_timeout) if lock else None
    try:
        with closing(open_journal(folder / DB_NAME)) as db:
            yield db
    except sqlite3.OperationalError as exc:  # a full disk is the user's to fix, not a bug: say it as a write does
        raise database_unwritable(folder / DB_NAME, exc) or exc from None
    finally:
        if fd is not None:
            unlock_folder(fd)  # releases the flock (and tells a forked helper not to close it)


def open_journal(path: str | Path) -> sqlite3.Connection:
    """The newsletter database at ``path`` (created with its folder), without the lock: for a library
    caller without a state folder. A damaged or foreign one is moved aside, saying what was lost."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        db = None
        try:
            db = _sqlite(path)
            if _ours(db):
                return db
            why = "it is not publisher's newsletter database"
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
                db = None
            full = database_unwritable(path, exc)
            if full is not None:  # a full disk is not damage: moving the records aside would lose them
                raise full from None
            why = f"it is damaged ({exc})"
        if db is not None:
            db.close()
        if _move_damaged(path, why):
            db = _sqlite(path)
            _create(db, lost=f"{path.name} was damaged and moved aside")
            return db
    raise OutputError(f"{path}: cannot open the newsletter database (it keeps changing under this run)")


def peek_newsletter(config: Config) -> sqlite3.Connection | None:
    """The newsletter database opened read-only, or None when there is none (the preview reads the history)."""
    path = config.state_folder / DB_NAME
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)
        if _magic(db):
            return db
        db.close()
    except sqlite3.DatabaseError:
        pass
    return None


def _sqlite(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=30)  # transactions are explicit (transaction())
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA journal_mode = WAL")  # readers (the preview, the web app) never wait for a send
    db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a committed delivery survives a killed process
    return db


def _magic(db: sqlite3.Connection) -> bool:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        return row is not None and json.loads(row[0]) == MAGIC
    except (sqlite3.OperationalError, ValueError):
        return False


def _ours(db: sqlite3.Connection) -> bool:
    """True when ``db`` is (now) a newsletter database: ours already, or empty and given the schema."""
    if _magic(db):
        return True
    db.execute("BEGIN IMMEDIATE")  # two runs creating it at once: one after the other
    empty = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    db.rollback()
    if empty or _magic(db):
        _create(db)
        return True
    return False


def _create(db: sqlite3.Connection, lost: str | None = None) -> None:
    note = f"INSERT OR REPLACE INTO meta VALUES ('{LOST}', {_quote(json.dumps(lost))});" if lost else ""
    magic = _quote(json.dumps(MAGIC))
    db.executescript(f"BEGIN IMMEDIATE;{SCHEMA}INSERT OR REPLACE INTO meta VALUES ('schema', {magic});{note}COMMIT;")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _move_damaged(path: Path, why: str) -> bool:
    """Move the damaged database aside, once, however many runs found it at the same moment: under an
    flock of the file itself, and only if it is still the file at ``path``. True when this run moved it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                return False  # another run moved it aside already
        except FileNotFoundError:
            return False
        held = _what_it_held(path)
        aside = move_aside(path)
    finally:
        os.close(fd)
    log.warning(
        "%s: %s; moved it to %s and started a new one. Lost with it: %s the digest history, the issues and the "
        "delivery journal. Restore it from a backup, or import the subscriber list again (publisher subscribers "
        "import) and pass --since DATE or --force once to the next --since-last digest",
        path,
        why,
        aside.name,
        held,
    )
    return True


def _what_it_held(path: Path) -> str:
    """What a damaged database held, as far as it can still be read (a warning's figures)."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT status, count(*) FROM subscribers GROUP BY status ORDER BY status").fetchall()
        finally:
            db.close()
        held = ", ".join(f"{n:,} {status}" for status, n in rows) or "none"
        return f"the subscribers ({held}; unsubscribed, bounced and complained addresses are no longer known),"
    except sqlite3.Error:
        return "every subscriber and their status (unsubscribed, bounced and complained addresses included),"


def _lock(path: Path, timeout: float) -> int:
    try:
        path.touch(mode=0o600, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the newsletter's lock ({exc.strerror})") from None
    return hold_lock(path, timeout, "another send or digest still holds the newsletter")


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All or nothing: committed when the block ends, rolled back if it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def database_path(db: sqlite3.Connection) -> str:
    return str(db.execute("PRAGMA database_list").fetchone()[2])
