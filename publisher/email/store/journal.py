"""The digest history and the delivery journal in the newsletter's database.

The next --since-last digest starts where the last one ended (see digest.LATE_ARRIVALS for articles
that arrive late). A history that was lost or cannot be read is an error that names --force, never
silently a digest of everything: sending a list last month's articles again is worse than not
sending. The journal is what makes a newsletter go out exactly once: each delivery is recorded (in
its own transaction) as soon as the end of its data was handed to the SMTP server, before any other
message's end is, and the server's reply is added when it is read (record_reply). A send that is
killed or fails half-way and is run again sends only to those not yet recorded; at most the one
message whose end was on the wire without its row goes twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ...errors import OutputError
from ...model import DigestState
from .database import LOST, database_path, now, transaction

FIX = "pass --since DATE to say where the next digest starts, or --force to start afresh"
NAMED = "named_problems"  # meta key: the skipped articles the last digest or send named


def last_digest(db: sqlite3.Connection) -> DigestState | None:
    """The previous --since-last digest's state, or None if there was none."""
    lost = db.execute("SELECT value FROM meta WHERE key = ?", (LOST,)).fetchone()
    if lost:
        raise OutputError(f"{database_path(db)}: the digest history was lost ({json.loads(lost[0])}); {FIX}")
    row = db.execute("SELECT id, until, message_id FROM digests ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    digest_id, until, message_id = row
    try:
        query = "SELECT slug, published FROM digest_articles WHERE digest_id = ?"
        sent = {str(slug): _aware(published) for slug, published in db.execute(query, (digest_id,))}
        return DigestState(until=_aware(until), sent=sent, message_id=message_id)
    except (ValueError, TypeError) as exc:
        raise OutputError(f"{database_path(db)}: the digest history cannot be read ({exc}); {FIX}") from None


def record_digest(db: sqlite3.Connection, state: DigestState, *, since: datetime | None, subject: str) -> None:
    """Add a digest to the history (one transaction); clears a lost-history mark."""
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO digests (since, until, message_id, subject, recorded_at) VALUES (?, ?, ?, ?, ?)",
            (since.isoformat() if since else None, state.until.isoformat(), state.message_id, subject, now()),
        )
        db.executemany(
            "INSERT INTO digest_articles (digest_id, slug, published) VALUES (?, ?, ?)",
            [(cursor.lastrowid, slug, when.isoformat()) for slug, when in sorted(state.sent.items())],
        )
        db.execute("DELETE FROM meta WHERE key = ?", (LOST,))


def forget_lost_history(db: sqlite3.Connection) -> None:
    """--force: start afresh after a lost history (the next record clears the mark for good)."""
    with transaction(db):
        db.execute("DELETE FROM meta WHERE key = ?", (LOST,))


def named_problems(db: sqlite3.Connection) -> set[str]:
    """The skipped articles the last digest or send named (each is named once, as by the build)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (NAMED,)).fetchone()
    try:
        return {str(problem) for problem in json.loads(row[0])} if row else set()
    except (ValueError, TypeError):
        return set()


def record_named_problems(db: sqlite3.Connection, problems: list[str]) -> None:
    with transaction(db):
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (NAMED, json.dumps(problems)))


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return moment


@dataclass(frozen=True)
class StoredIssue:
    issue: str
    subject: str
    html: str
    text: str
    state: Mapping[str, object] | None


def start_issue(
    db: sqlite3.Connection, issue: str, subject: str, html: str, text: str, state: Mapping[str, object] | None = None
) -> StoredIssue:
    """Record the issue about to go out (kept as rendered: a run that resumes sends the same bytes);
    an issue already recorded is returned as it was stored."""
    with transaction(db):
        db.execute(
            "INSERT OR IGNORE INTO issues (issue, subject, html, text, state, started) VALUES (?, ?, ?, ?, ?, ?)",
            (issue, subject, html, text, json.dumps(state) if state is not None else None, now()),
        )
    stored = stored_issue(db, issue)
    assert stored is not None
    return stored


def stored_issue(db: sqlite3.Connection, issue: str) -> StoredIssue | None:
    row = db.execute("SELECT issue, subject, html, text, state FROM issues WHERE issue = ?", (issue,)).fetchone()
    return StoredIssue(row[0], row[1], row[2], row[3], json.loads(row[4]) if row[4] else None) if row else None


def unfinished_issue(db: sqlite3.Connection) -> StoredIssue | None:
    """The newest issue some subscriber is still to be tried for (a send that was killed or deferred)."""
    query = "SELECT issue FROM issues WHERE finished IS NULL ORDER BY started DESC, issue DESC"
    row = db.execute(query).fetchone()
    return stored_issue(db, row[0]) if row else None


def issue_started(db: sqlite3.Connection, issue: str) -> datetime | None:
    """When the first run of ``issue`` stored it (UTC), or None when it is not stored."""
    row = db.execute("SELECT started FROM issues WHERE issue = ?", (issue,)).fetchone()
    return _aware(row[0]) if row else None


def finish_issue(db: sqlite3.Connection, issue: str) -> None:
    with transaction(db):
        db.execute("UPDATE issues SET finished = ? WHERE issue = ?", (now(), issue))


def recorded(db: sqlite3.Connection, issue: str) -> dict[str, str]:
    """address (lower case) -> 'sent' or 'failed', for the issue."""
    return dict(db.execute("SELECT email, status FROM deliveries WHERE issue = ?", (issue,)).fetchall())


def record_delivery(
    db: sqlite3.Connection,
    issue: str,
    email: str,
    status: str,
    token: str,
    message_id: str | None = None,
    reply: str | None = None,
) -> None:
    with transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO deliveries (issue, email, status, token, reply, message_id, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (issue, email.lower(), status, token, reply, message_id, now()),
        )


NOT_READ = "not read: the send was stopped after the end of data was handed over"


def record_reply(db: sqlite3.Connection, issue: str, email: str, reply: str) -> None:
    """The server's reply to the end of data of a delivery recorded when it was handed over."""
    with transaction(db):
        db.execute("UPDATE deliveries SET reply = ? WHERE issue = ? AND email = ?", (reply, issue, email.lower()))


def forget_delivery(db: sqlite3.Connection, issue: str, email: str) -> None:
    """No delivery after all: the server deferred (4xx) a message recorded when it was handed over."""
    with transaction(db):
        db.execute("DELETE FROM deliveries WHERE issue = ? AND email = ?", (issue, email.lower()))


def unread_replies(db: sqlite3.Connection, issue: str) -> int:
    """How many deliveries of ``issue`` were handed to the server by a send that was stopped before it read
    their replies (counted as sent); each is marked NOT_READ, so that it is counted once."""
    with transaction(db):
        query = "UPDATE deliveries SET reply = ? WHERE issue = ? AND status = 'sent' AND reply IS NULL"
        return db.execute(query, (NOT_READ, issue)).rowcount


def delivery_of_token(db: sqlite3.Connection, token: str) -> tuple[str, str] | None:
    """(address, issue) of the delivery whose unsubscribe link carries ``token``, or None."""
    row = db.execute("SELECT email, issue FROM deliveries WHERE token = ? AND token != ''", (token,)).fetchone()
    return (row[0], row[1]) if row else None


def delivery_of_address(db: sqlite3.Connection, address: str) -> str | None:
    """The newest issue a delivery to ``address`` was recorded for, or None: was it ever sent to?"""
    query = "SELECT issue FROM deliveries WHERE email = ? ORDER BY at DESC LIMIT 1"
    row = db.execute(query, (address.strip().lower(),)).fetchone()
    return str(row[0]) if row else None
