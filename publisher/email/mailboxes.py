"""`publisher bounces`: bounces (RFC 3464 DSNs and the other formats mail servers send) and complaints
(ARF, RFC 5965) read from a Maildir or an IMAP folder, each message once, and applied to the
subscribers they name (see bounces.py for what each one does).

Detection is flufl.bounce's (the bounce detectors of GNU Mailman: RFC 3464 and a dozen servers'
own formats); an ARF report is a MIME structure the email package reads (its
``message/feedback-report`` part holds header fields). A Maildir is read with the standard library's
mailbox module, an IMAP folder with imap-tools. A message that was read is marked seen (Maildir: moved
to ``cur/`` with the ``S`` flag), so the next run, from cron, reads only new ones.
"""

from __future__ import annotations

import email
import glob
import logging
import mailbox
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.iterators import typed_subpart_iterator
from email.message import Message
from email.utils import getaddresses
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import ConfigError
from .bounces import Outcome, complaint, hard_bounce, soft_bounce, verp_delivery
from .store import delivery_of_address, subscriber

if TYPE_CHECKING:
    from imap_tools import BaseMailBox, MailMessage

log = logging.getLogger("publisher")

# Where a report was delivered to (the envelope recipient: our VERP address), as mail servers record it.
DELIVERED = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
COMPLAINTS = ("abuse", "fraud")  # ARF feedback types that are a reader's "this is spam"


@dataclass(frozen=True)
class Finding:
    """One address a report names, and what it says about it."""

    kind: str  # "hard", "soft" or "complaint"
    address: str
    detail: str


@dataclass
class BounceReport:
    """What one run of `publisher bounces` read and did."""

    read: int = 0  # messages read
    outcomes: list[Outcome] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # addresses named that no delivery went to
    not_reports: int = 0  # messages that were neither a bounce nor a complaint

    def summary(self) -> str:
        count = {kind: sum(o.kind == kind for o in self.outcomes) for kind in ("hard", "soft", "complaint")}
        suppressed = sum(o.status in ("bounced", "complained") for o in self.outcomes)
        parts = [
            f"{self.read:,} messages read",
            f"{count['hard']:,} hard bounces",
            f"{count['soft']:,} soft bounces",
            f"{count['complaint']:,} complaints",
            f"{suppressed:,} addresses suppressed",
        ]
        parts += [f"{n:,} {what}" for n, what in ((len(self.unknown), "not ours"), (self.not_reports, "other")) if n]
        return ", ".join(parts)


def findings(message: Message) -> list[Finding]:
    """What ``message`` reports: a complaint (ARF) for each address it names, else the bounces flufl.bounce
    finds (permanent: hard; temporary, e.g. ``Action: delayed``: soft)."""
    found = []
    for part in typed_subpart_iterator(message, "message", "feedback-report"):
        fields = _inner(part)
        if fields is None or (fields.get("Feedback-Type") or "").strip().lower() not in COMPLAINTS:
            continue
        named = [a for _, a in getaddresses(fields.get_all("Original-Rcpt-To") or []) if "@" in a]
        if not named:  # many feedback loops redact it; the reported message's own To is the next best
            named = [a for _, a in getaddresses(_original_headers(message).get_all("To") or []) if "@" in a]
        found += [Finding("complaint", a, f"complaint ({fields.get('User-Agent', 'ARF')})") for a in named]
    if (
        found
        or message.get_content_type() == "multipart/report"
        and message.get_param("report-type") == ("feedback-report")
    ):
        return found
    import flufl.bounce

    # flufl.bounce logs each of its detectors that trips on a hostile report with a traceback, and goes
    # on with the next: for us that is noise on cron's mail, not news.
    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
    temporary, permanent = flufl.bounce.all_failures(message)
    subject = " ".join((message.get("Subject") or "a bounce").split())
    found += [Finding("hard", a.decode(), f"bounce: {subject}") for a in sorted(permanent)]
    found += [Finding("soft", a.decode(), f"bounce: {subject}") for a in sorted(temporary - permanent)]
    return found


def _original_headers(message: Message) -> Message:
    """The reported message's headers (an ARF report's third part), or an empty Message."""
    for part in typed_subpart_iterator(message, "message", "rfc822"):
        inner = _inner(part)
        if inner is not None:
            return inner
    return Message()


def _inner(part: object) -> Message | None:
    """The one message a message/* part holds (the email package parses its body as one), or None.
    typeshed types typed_subpart_iterator's items as str; they are Message parts."""
    payload = part.get_payload() if isinstance(part, Message) else None
    return payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None


def apply(
    message: Message, db: sqlite3.Connection, report: BounceReport, *, bounce_address: str | None, soft_limit: int
) -> None:
    """Apply what ``message`` reports to the subscribers it names. With VERP (``bounce_address`` holds
    {token}) the address the report was delivered to names the subscriber, whatever the report says."""
    report.read += 1
    found = findings(message)
    if not found:
        report.not_reports += 1
        return
    if bounce_address and "{token}" in bounce_address:
        headers = [*(message.get_all(h) or [] for h in DELIVERED), _original_headers(message).get_all("Return-Path")]
        delivered = [a for values in headers for _, a in getaddresses(values or [])]
        by_verp = verp_delivery(bounce_address, delivered, db)
        if by_verp is not None:
            found = [Finding(f.kind, by_verp[0], f"{f.detail} (issue {by_verp[1]})") for f in found[:1]]
        else:
            # With VERP every real bounce comes back to its own delivery's address. One that did not (no
            # token, or a token no delivery has) is anyone's mail to the bounce address, and believing
            # the addresses it names would let anyone suppress any reader. A complaint is taken as it
            # is: feedback loops send it to the address registered with them, not to the sender.
            report.unknown += [f.address.lower() for f in found if f.kind != "complaint"]
            found = [f for f in found if f.kind == "complaint"]
    for finding in found:
        address = finding.address.lower()
        if subscriber(db, address) is None and delivery_of_address(db, address) is None:
            report.unknown.append(address)
            continue
        if finding.kind == "complaint":
            report.outcomes.append(complaint(db, address, finding.detail))
        elif finding.kind == "hard":
            report.outcomes.append(hard_bounce(db, address, finding.detail))
        else:
            report.outcomes.append(soft_bounce(db, address, finding.detail, soft_limit))
        log.info("%s: %s -> %s", address, finding.detail, report.outcomes[-1].status)


def read_maildir(folder: str | Path) -> Iterator[tuple[Message | None, Callable[[], None]]]:
    """Each unread message of the Maildir at ``folder`` (new/, and cur/ without the S flag), or None for one
    that cannot be read as mail, with what marks it read (moved to cur/ with the S flag, as mail clients
    do) once it was applied.

    The mailbox module finds the messages; a message is parsed here (report_of), and marked read by
    renaming its file, as the Maildir format defines: the module's own way parses it again and writes
    it back, and a message that defeats the parser (nested 3,000 deep) would stop every later run."""
    path = Path(folder)
    if not (path / "new").is_dir() or not (path / "cur").is_dir():
        raise ConfigError(f"{path}: is not a Maildir (no new/ and cur/ folders in it)")
    box = mailbox.Maildir(path, create=False)
    for key in list(box.iterkeys()):
        try:
            file = _maildir_file(path, key)
            raw = file.read_bytes() if "S" not in _flags(file) else None
        except OSError:  # taken by another reader meanwhile
            continue
        if raw is not None:
            yield report_of(raw), partial(_mark_read, path, key)


def _maildir_file(folder: Path, key: str) -> Path:
    """The file of message ``key``: named ``key`` in new/, ``key:2,FLAGS`` in cur/ (the Maildir format)."""
    for found in (folder / "new" / key, *(folder / "cur").glob(glob.escape(key) + ":*"), folder / "cur" / key):
        if found.is_file():
            return found
    raise FileNotFoundError(key)


def _flags(file: Path) -> str:
    return file.name.partition(":2,")[2] if file.parent.name == "cur" else ""


def _mark_read(folder: Path, key: str) -> None:
    try:
        file = _maildir_file(folder, key)
        file.rename(folder / "cur" / f"{key}:2,{''.join(sorted(set(_flags(file) + 'S')))}")
    except OSError:  # taken by another reader meanwhile
        pass


def report_of(raw: bytes) -> Message | None:
    """``raw`` parsed as a message, or None when the parser gives up on it (a message nested thousands deep
    exhausts its recursion): a report is written by whoever sent it."""
    try:
        return email.message_from_bytes(raw)
    except (RecursionError, MemoryError, ValueError, LookupError, TypeError) as exc:
        log.warning("a message of %s bytes could not be parsed (%s); skipped", f"{len(raw):,}", type(exc).__name__)
        return None


def _flag_seen(box: BaseMailBox, uid: str) -> None:
    from imap_tools import MailMessageFlags

    box.flag(uid, MailMessageFlags.SEEN, True)


@dataclass(frozen=True)
class ImapSettings:
    """An IMAP folder to read reports from. The password only ever comes from the environment."""

    host: str
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    port: int | None = None  # default: 993, or 143 with starttls or plain
    starttls: bool = False
    plain: bool = False  # no TLS at all: a server on this machine only


def read_imap(settings: ImapSettings) -> Iterator[tuple[Message | None, Callable[[], None]]]:
    """Each unseen message of the IMAP folder, with what flags it seen once it was applied; the connection
    stays open until the iteration ends. A refused login is a ConfigError; the network's errors are OSError."""
    from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted
    from imap_tools.errors import MailboxLoginError

    box: MailBox | MailBoxStartTls | MailBoxUnencrypted
    if settings.plain:
        box = MailBoxUnencrypted(settings.host, settings.port or 143)
    elif settings.starttls:
        box = MailBoxStartTls(settings.host, settings.port or 143)
    else:
        box = MailBox(settings.host, settings.port or 993)
    try:
        box.login(settings.user, settings.password, initial_folder=settings.folder)
    except MailboxLoginError as exc:
        raise ConfigError(f"{settings.host}: IMAP login as {settings.user!r} refused ({exc})") from None
    box.email_message_class = _imap_report()
    try:
        for mail in box.fetch(AND(seen=False), mark_seen=False, bulk=True):
            yield mail.obj, partial(_flag_seen, box, mail.uid or "")
    finally:
        box.logout()


def _imap_report() -> type[MailMessage]:
    """imap-tools' message, parsed by report_of: its own parse raises inside the fetch, ending the folder."""
    from imap_tools import MailMessage

    class ImapReport(MailMessage):
        def __init__(self, fetch_data: list[object]) -> None:
            raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)
            self.obj = report_of(raw)  # type: ignore[assignment]

    return ImapReport


def read_bounces(
    config: Config, *, maildir: str | Path | None = None, imap: ImapSettings | None = None
) -> BounceReport:
    """What `publisher bounces` runs: every unread report in the Maildir (or the IMAP folder) applied to
    the newsletter's subscribers, and marked read. No lock: each change is one short transaction, so a
    send going on meanwhile sees a suppression before its next message."""
    from .store import open_newsletter

    if (maildir is None) == (imap is None):
        raise ConfigError("bounces: give one mailbox to read: a Maildir folder or an IMAP server")
    messages = read_maildir(maildir) if maildir is not None else read_imap(imap)  # type: ignore[arg-type]
    report = BounceReport()
    digest = config.digest
    with open_newsletter(config, lock=False) as db:
        for message, mark_read in messages:
            if message is None:
                report.read += 1
                report.not_reports += 1
                mark_read()
                continue
            try:
                apply(message, db, report, bounce_address=digest.bounce_address, soft_limit=digest.soft_bounce_limit)
            except (ValueError, LookupError, TypeError, AttributeError, RecursionError) as exc:
                # A report is written by whoever sent it: one that trips the parsers is skipped, never fatal.
                log.warning("a message %r could not be read as a report (%s); skipped", message["Subject"], exc)
                report.not_reports += 1
            mark_read()
    return report
