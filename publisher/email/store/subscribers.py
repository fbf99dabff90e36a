"""The subscribers in the newsletter's database: each address's status and its changes, and the
signup attempts the web app's rate limits count."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...addresses import one_line
from .database import now as _now
from .database import transaction

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
SUPPRESSED = ("unsubscribed", "bounced", "complained")  # never sent to again


@dataclass(frozen=True)
class Subscriber:
    """One reader on the list: their address, name, and the list's other columns as merge fields."""

    email: str
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)  # the other CSV columns, as merge fields

    def __post_init__(self) -> None:
        # The name goes into each message's To header: one line, whatever the form or the list held.
        object.__setattr__(self, "name", one_line(self.name))

    @property
    def key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True)
class SubscriberRecord:
    """A subscriber as the store knows them."""

    subscriber: Subscriber
    status: str
    reason: str
    soft_bounces: int
    created: str  # ISO 8601, UTC
    changed: str


def set_status(
    db: sqlite3.Connection, address: str, status: str, reason: str, *, name: str | None = None, asked: str | None = None
) -> bool:
    """Give ``address`` the ``status`` (one of STATUSES) for ``reason``, adding it when new, and record the
    change with its time. Returns False when it had that status already, or a stronger one (an
    unsubscribe of a bounced or complained address), and then nothing is recorded.

    ``asked`` (ISO 8601, UTC) is when the reader asked for the change, for a request that can arrive
    late (a confirmation link is good for days): a bounce or a complaint, or an unsubscribe at or
    after ``asked``, outranks it, and it changes nothing (False)."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    key, now = address.strip().lower(), _now()
    name = None if name is None else one_line(name)
    with transaction(db):
        row = db.execute("SELECT status, changed FROM subscribers WHERE email = ?", (key,)).fetchone()
        if row is not None and row[0] == status:
            return False
        # An unsubscribe (a one-click link in an old issue) never turns a complaint or a bounce into a
        # plain unsubscribe: a signup would then mail a confirmation again to an address that marked the
        # newsletter as spam, or that does not exist.
        if row is not None and status == "unsubscribed" and row[0] in ("bounced", "complained"):
            return False
        if row is not None and asked is not None and row[0] in SUPPRESSED:
            if row[0] != "unsubscribed" or row[1] >= asked:  # the same second: the unsubscribe came later
                return False
        if row is None:
            db.execute(
                "INSERT INTO subscribers (email, address, name, status, reason, created, changed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, address.strip(), name or "", status, reason, now, now),
            )
        else:
            db.execute(
                "UPDATE subscribers SET status = ?, reason = ?, changed = ?, name = coalesce(?, name), "
                "soft_bounces = CASE WHEN ? = 'active' THEN 0 ELSE soft_bounces END WHERE email = ?",
                (status, reason, now, name, status, key),
            )
        db.execute("INSERT INTO subscriber_changes VALUES (?, ?, ?, ?)", (key, status, reason, now))
    return True


def add_soft_bounce(db: sqlite3.Connection, address: str) -> int:
    """Count one soft bounce of ``address`` (a known subscriber); returns its count (0: not a subscriber)."""
    key = address.strip().lower()
    with transaction(db):
        db.execute("UPDATE subscribers SET soft_bounces = soft_bounces + 1 WHERE email = ?", (key,))
        row = db.execute("SELECT soft_bounces FROM subscribers WHERE email = ?", (key,)).fetchone()
    return int(row[0]) if row else 0


def subscriber(db: sqlite3.Connection, address: str) -> SubscriberRecord | None:
    rows = _records(db, "WHERE email = ?", (address.strip().lower(),))
    return rows[0] if rows else None


def subscribers(db: sqlite3.Connection, status: str | None = "active") -> list[SubscriberRecord]:
    """Every subscriber with ``status`` (None: all), in the order they were added."""
    return _records(db, "WHERE status = ?", (status,)) if status else _records(db, "", ())


def _records(db: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[SubscriberRecord]:
    query = "SELECT address, name, fields, status, reason, soft_bounces, created, changed FROM subscribers "
    return [
        SubscriberRecord(Subscriber(address, name, json.loads(fields)), *rest)
        for address, name, fields, *rest in db.execute(query + where + " ORDER BY rowid", args)
    ]


def changes(db: sqlite3.Connection, address: str) -> list[tuple[str, str, str]]:
    """Every change of ``address``'s status, oldest first: (status, reason, time)."""
    query = "SELECT status, reason, at FROM subscriber_changes WHERE email = ? ORDER BY rowid"
    return db.execute(query, (address.strip().lower(),)).fetchall()


def counts(db: sqlite3.Connection) -> dict[str, int]:
    """Subscribers per status (every status, 0 included), and their soft bounces as ``soft_bounces``."""
    found = dict(db.execute("SELECT status, count(*) FROM subscribers GROUP BY status").fetchall())
    soft = db.execute("SELECT coalesce(sum(soft_bounces), 0) FROM subscribers").fetchone()[0]
    return {**{status: int(found.get(status, 0)) for status in STATUSES}, "soft_bounces": int(soft)}


def import_subscribers(
    db: sqlite3.Connection, people: Iterable[Subscriber], reason: str, statuses: Mapping[str, str] | None = None
) -> tuple[int, int, int]:
    """Add ``people`` in one transaction, each active or with the status ``statuses`` gives their address
    (lower case); returns (added, updated, kept as they were).

    A known address gets the new name and fields. One that unsubscribed, bounced or complained stays
    so: an old list imported again must never sign anyone up again. A pending one becomes active,
    and an active or pending one takes a status that keeps it out (a list moved from elsewhere)."""
    added = updated = kept = 0
    now = _now()
    with transaction(db):
        for person in people:
            key, fields = person.key, json.dumps(dict(person.fields), ensure_ascii=False)
            wanted = (statuses or {}).get(key, "active")
            row = db.execute("SELECT status FROM subscribers WHERE email = ?", (key,)).fetchone()
            if row is not None and row[0] in SUPPRESSED:
                kept += 1
                continue
            if row is None:
                db.execute(
                    "INSERT INTO subscribers (email, address, name, fields, status, reason, created, changed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, person.email, person.name, fields, wanted, reason, now, now),
                )
                added += 1
            else:
                db.execute(
                    "UPDATE subscribers SET address = ?, name = ?, fields = ? WHERE email = ?",
                    (person.email, person.name, fields, key),
                )
                updated += 1
                if wanted == "pending" or wanted == row[0]:
                    continue
                db.execute(
                    "UPDATE subscribers SET status = ?, reason = ?, changed = ? WHERE email = ?",
                    (wanted, reason, now, key),
                )
            db.execute("INSERT INTO subscriber_changes VALUES (?, ?, ?, ?)", (key, wanted, reason, now))
    return added, updated, kept


def suppressed(db: sqlite3.Connection) -> set[str]:
    """Every address (lower case) that unsubscribed, bounced or complained: no message goes to it."""
    return {row[0] for row in db.execute("SELECT email FROM subscribers WHERE status IN (?, ?, ?)", SUPPRESSED)}


def allow_attempt(db: sqlite3.Connection, limits: Mapping[str, tuple[str, int]], window: float) -> bool:
    """Record an attempt (a signup) under each scope's key, unless some key already had its limit of
    attempts in the last ``window`` seconds: ``limits`` is scope -> (key, limit), e.g.
    ``{"address": ("a@example.org", 3), "client": ("192.0.2.1", 20)}``."""
    now = time.time()
    with transaction(db):
        db.execute("DELETE FROM attempts WHERE at < ?", (now - window,))
        for scope, (key, limit) in limits.items():
            seen = db.execute("SELECT count(*) FROM attempts WHERE scope = ? AND key = ?", (scope, key)).fetchone()[0]
            if seen >= limit:
                return False
        db.executemany("INSERT INTO attempts VALUES (?, ?, ?)", [(s, k, now) for s, (k, _) in limits.items()])
    return True
