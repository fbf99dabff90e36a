"""Subscribers, their unsubscribe tokens, and the delivery journal and suppression list (SQLite).

The journal is what makes a newsletter go out exactly once: each delivery the SMTP server accepted
is recorded (in its own transaction) before the next message is sent, so a send that is killed or
fails half-way and is run again sends only to those not yet recorded; at most the one message in
flight at the kill goes twice. The suppression list keeps everyone who unsubscribed out of every
later send. All of it lives in one SQLite database (the state store); every function here takes the
open ``sqlite3.Connection`` and changes it in a transaction.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import logging
import os
import re
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from ..addresses import address_list
from ..engine.state import NEWSLETTER_SCHEMA
from ..errors import ConfigError, PublisherError
from ..model import DigestState

log = logging.getLogger("publisher")

SECRET_ENV = "PUBLISHER_UNSUBSCRIBE_SECRET"
SCHEMA = NEWSLETTER_SCHEMA  # in state.py, with every other table of the state store
# Where each subscriber's own unsubscribe URL goes in the rendered issue: a plain https URL that survives
# inlining and escaping unchanged, replaced per message.
UNSUBSCRIBE_MARKER = "https://unsubscribe.invalid/publisher-subscriber-link"
_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")  # {token}, {email}, {name}; never {{ merge tags }}


@dataclass(frozen=True)
class Subscriber:
    """One reader on the list: their address, name, and the list's other columns as merge fields."""

    email: str
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)  # the other CSV columns, as merge fields

    @property
    def key(self) -> str:
        return self.email.lower()


def read_subscribers(path: str | Path, errors: list[str] | None = None) -> list[Subscriber]:
    """A CSV file with a header row: ``email``, optional ``name``, any other columns kept as merge fields.

    A row whose address is not one is reported (logged, appended to ``errors``) and skipped; an
    address listed twice is sent to once. A file without an ``email`` column, or a path that is not a
    regular file (a FIFO, a device, a folder), is a ConfigError.
    """
    path = Path(path)
    subscribers: dict[str, Subscriber] = {}
    with _open_list(path) as handle:
        try:
            reader = csv.DictReader(handle)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            if "email" not in columns:
                raise ConfigError(f"{path}:1: no 'email' column (the first row names the columns: email,name,...)")
            reader.fieldnames = columns
            for row in reader:
                problem = _row_problem(row)
                if problem:
                    message = f"{path}:{reader.line_num}: {problem}; skipped"
                    log.warning("%s", message)
                    if errors is not None:
                        errors.append(message)
                    continue
                email = row["email"].strip()
                extra = {k: (v or "").strip() for k, v in row.items() if k not in ("email", "name") and k}
                subscribers.setdefault(email.lower(), Subscriber(email, (row.get("name") or "").strip(), extra))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not a CSV file in UTF-8 ({exc})") from None
    return list(subscribers.values())


def _open_list(path: Path) -> TextIO:
    """The list opened as text, or ConfigError. Only a regular file is read: /dev/zero never ends and a
    FIFO waits for a writer, and either would hold the send forever. O_NONBLOCK makes opening a FIFO
    return at once, so that fstat can refuse it; on a regular file it changes nothing."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the subscriber list ({exc.strerror or exc})") from None
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if not regular:
        os.close(fd)
        raise ConfigError(f"{path}: is not a regular file")
    return open(fd, encoding="utf-8-sig", newline="")


def _row_problem(row: Mapping[str, str | None]) -> str | None:
    email = (row.get("email") or "").strip()
    try:
        boxes = address_list(email, "email")
    except ConfigError:
        boxes = []
    if len(boxes) != 1 or boxes[0].address != email:
        return f"email: {email!r} is not one e-mail address (expected name@example.org)"
    if any(c in (row.get("name") or "") for c in "\r\n"):
        return "name: holds a line break"
    return None


def unsubscribe_token(secret: str | bytes, email: str, issue: str) -> str:
    """HMAC-SHA256 of the issue and the address (lower case), 128 bits, URL-safe base64 (22 characters).

    Unguessable without the secret, different for every subscriber and issue, and checkable by the
    site's unsubscribe endpoint (verify_token) without a database."""
    key = secret.encode() if isinstance(secret, str) else secret
    mac = hmac.new(key, f"{issue}\n{email.lower()}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def verify_token(secret: str | bytes, token: str, email: str, issue: str) -> bool:
    return hmac.compare_digest(unsubscribe_token(secret, email, issue), token)


def unsubscribe_link(template: str, subscriber: Subscriber, token: str) -> str:
    """``template`` with {token}, {email}, {name} and the subscriber's merge fields filled in (URL-encoded).
    ESP merge tags ({{ ... }}) are left alone; an unknown {name} is a ConfigError."""
    values = {**subscriber.fields, "name": subscriber.name, "email": subscriber.email, "token": token}

    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise ConfigError(
                f"[digest] unsubscribe_url: {{{match.group(1)}}} is neither token, email, name nor "
                f"a column of the subscriber list ({', '.join(sorted(subscriber.fields)) or 'none'})"
            )
        return quote(values[match.group(1)], safe="")

    return _PLACEHOLDER.sub(fill, template)


def needs_token(template: str | None) -> bool:
    return bool(template) and "token" in _PLACEHOLDER.findall(template or "")


def require_secret(unsubscribe_url: str | None, secret: str | None) -> None:
    """A ConfigError (exit 2, before anything is sent) when the URL has {token} and there is no secret."""
    if needs_token(unsubscribe_url) and not secret:
        raise ConfigError(
            f"[digest] unsubscribe_url has {{token}}: set the {SECRET_ENV} environment variable "
            "(a long random string, the same for every issue)"
        )


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All or nothing, on a connection in autocommit mode (the state store's, or open_journal's)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


def ensure_schema(db: sqlite3.Connection) -> None:
    """The journal's tables, in the state database (``StateStore.db``) or any other."""
    db.executescript(SCHEMA)


def open_journal(path: str | Path) -> sqlite3.Connection:
    """The SQLite database at ``path`` (created with its folder), WAL mode, with the journal's tables: for a
    library caller without the state store (the CLI uses the state store's database)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)  # transactions are explicit (transaction())
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed delivery survives a killed process
    ensure_schema(db)
    return db


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
            "INSERT OR IGNORE INTO newsletter_issues (issue, subject, html, text, state, started) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (issue, subject, html, text, json.dumps(state) if state is not None else None, _now()),
        )
    stored = stored_issue(db, issue)
    assert stored is not None
    return stored


def stored_issue(db: sqlite3.Connection, issue: str) -> StoredIssue | None:
    row = db.execute(
        "SELECT issue, subject, html, text, state FROM newsletter_issues WHERE issue = ?", (issue,)
    ).fetchone()
    return StoredIssue(row[0], row[1], row[2], row[3], json.loads(row[4]) if row[4] else None) if row else None


def unfinished_issue(db: sqlite3.Connection) -> StoredIssue | None:
    """The newest issue some subscriber is still to be tried for (a send that was killed or deferred)."""
    row = db.execute(
        "SELECT issue FROM newsletter_issues WHERE finished IS NULL ORDER BY started DESC, issue DESC"
    ).fetchone()
    return stored_issue(db, row[0]) if row else None


def finish_issue(db: sqlite3.Connection, issue: str) -> None:
    with transaction(db):
        db.execute("UPDATE newsletter_issues SET finished = ? WHERE issue = ?", (_now(), issue))


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
            (issue, email.lower(), status, token, reply, message_id, _now()),
        )


def state_to_json(state: DigestState) -> dict[str, Any]:
    """A --since-last state as the issue row keeps it until the issue is done."""
    return {
        "until": state.until.isoformat(),
        "message_id": state.message_id,
        "sent": {slug: when.isoformat() for slug, when in sorted(state.sent.items())},
    }


def state_from_json(data: Mapping[str, Any]) -> DigestState:
    return DigestState(
        until=datetime.fromisoformat(data["until"]),
        message_id=data.get("message_id"),
        sent={slug: datetime.fromisoformat(when) for slug, when in data["sent"].items()},
    )


def suppressed(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT email FROM suppressions")}


def suppress(db: sqlite3.Connection, emails: Iterable[str], reason: str) -> None:
    with transaction(db):
        db.executemany(
            "INSERT OR IGNORE INTO suppressions (email, reason, at) VALUES (?, ?, ?)",
            [(e.lower(), reason, _now()) for e in emails],
        )


def unsubscribe(db: sqlite3.Connection, address_or_token: str) -> str:
    """Put an address on the suppression list: given itself, or a token from an unsubscribe link (found in
    the journal). Returns the address; an unknown token is a PublisherError."""
    value = address_or_token.strip()
    if "@" in value:
        address = address_list(value, "unsubscribe")
        if len(address) != 1:
            raise ConfigError(f"unsubscribe: {value!r} is not one e-mail address")
        email, reason = address[0].address, "unsubscribed by address"
    else:
        row = db.execute("SELECT email, issue FROM deliveries WHERE token = ?", (value,)).fetchone()
        if row is None:
            raise PublisherError(f"unsubscribe: no delivery has the token {value!r}; check the link it came from")
        email, reason = row[0], f"unsubscribe link of {row[1]}"
    suppress(db, [email], reason)
    return email.lower()
