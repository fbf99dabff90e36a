"""A newsletter to each subscriber: one message per subscriber over one reused SMTP connection, each
with its own unsubscribe link, exactly once thanks to the delivery journal (see subscribers.py).

For a real list the SMTP server is an ESP's relay (Amazon SES, Postmark, Mailgun, SendGrid...): they
take thousands of messages an hour over one connection and handle bounces and reputation.
"""

from __future__ import annotations

import logging
import smtplib
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import ConfigError
from ..output import write_feeds
from .addresses import Mailbox
from .message import addressed_message, build_message, stamped
from .smtp import (
    SmtpSettings,
    close_connection,
    decoded_refusals,
    envelope,
    explain,
    open_connection,
    reply_text,
    wire_bytes,
)
from .subscribers import (
    UNSUBSCRIBE_MARKER,
    StoredIssue,
    Subscriber,
    finish_issue,
    record_delivery,
    recorded,
    require_secret,
    start_issue,
    suppressed,
    unsubscribe_link,
    unsubscribe_token,
)

if TYPE_CHECKING:
    from .digest import Digest
    from .newsletter import DigestRequest

log = logging.getLogger("publisher")

# A 4xx reply (greylisting, a rate limit, a full mailbox) is tried again after these pauses, within the run.
RETRY_DELAYS = (10.0, 60.0, 240.0)


class SmtpSession:
    """One connection for many messages (a newsletter to each subscriber): connected, secured and logged
    in once, and again after the server drops it. ``deliver`` gives the server's answer for one message
    and one recipient instead of raising, so a refusal of one subscriber never stops the others."""

    def __init__(self, settings: SmtpSettings) -> None:
        settings.check_login()
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.smtp is not None:
            close_connection(self.smtp)
            self.smtp = None

    def deliver(self, message: EmailMessage, sender: str, recipient: str) -> tuple[int, str]:
        """(code, reply): 250 when the server accepted the message for ``recipient``, else its refusal
        (4xx: try again later; 5xx: it will not take it). A lost connection is opened again once; a
        server that cannot be reached or refuses the sender raises SendError (it would refuse them all)."""
        data, utf8 = wire_bytes(message, [sender, recipient])
        options = ["SMTPUTF8"] if utf8 else []
        for attempt in (1, 2):
            if self.smtp is None:
                self.smtp = open_connection(self.settings)
            try:
                self.smtp.sendmail(sender, [recipient], data, mail_options=options)
                return 250, "accepted"
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = decoded_refusals(exc.recipients).get(recipient, (550, "refused"))
                return code, text
            except smtplib.SMTPDataError as exc:
                return exc.smtp_code, reply_text(exc).split(" ", 1)[-1]
            except smtplib.SMTPSenderRefused as exc:
                raise explain(exc, self.settings) from None
            except (OSError, smtplib.SMTPException) as exc:
                self.smtp.close()
                self.smtp = None
                if attempt == 2:
                    raise explain(exc, self.settings) from None
        raise AssertionError("unreachable")


@dataclass
class DeliveryReport:
    """What one run of send_to_subscribers did for an issue."""

    issue: str
    listed: int  # subscribers in the list
    sent: int = 0  # accepted by the server in this run
    earlier: int = 0  # recorded as sent (or failed) by an earlier run: not sent again
    suppressed: int = 0  # unsubscribed: not sent
    failed: dict[str, str] = field(default_factory=dict)  # address -> the server's 5xx reply (recorded)
    deferred: dict[str, str] = field(default_factory=dict)  # address -> 4xx reply after every retry (not recorded)

    def summary(self, server: str) -> str:
        parts = [f"{self.sent:,} sent"]
        parts += [
            f"{n:,} {what}"
            for n, what in (
                (self.earlier, "already sent earlier"),
                (self.suppressed, "unsubscribed"),
                (len(self.failed), "failed"),
                (len(self.deferred), "deferred (4xx; run again later)"),
            )
            if n
        ]
        return f"issue {self.issue}: {', '.join(parts)} of {self.listed:,} subscribers via {server}"


class _Pace:
    """At most ``rate`` messages a second (None: as fast as the server takes them)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1 / rate if rate else 0.0
        self.next = time.monotonic()

    def wait(self) -> None:
        if self.interval:
            delay = self.next - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.next = max(self.next, time.monotonic() - self.interval) + self.interval


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


def deliver_issue(
    issue: StoredIssue,
    subscribers: Sequence[Subscriber],
    config: Config,
    settings: SmtpSettings,
    db: sqlite3.Connection,
    *,
    secret: str | None = None,
    sender: str | None = None,
    rate: float | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    progress: bool = False,
) -> DeliveryReport:
    """Send ``issue`` to every subscriber the journal has no delivery for and who did not unsubscribe."""
    require_secret(config.digest.unsubscribe_url, secret)
    done, left = recorded(db, issue.issue), suppressed(db)
    report = DeliveryReport(issue.issue, len(subscribers))
    todo = []
    for subscriber in subscribers:
        if subscriber.key in done:
            report.earlier += 1
        elif subscriber.key in left:
            report.suppressed += 1
        else:
            todo.append(subscriber)
    envelope_from = envelope(addressed_message(config), to=["subscriber@example.org"], sender=sender)[0]
    pace = _Pace(rate)
    bar = _progress(len(todo), progress)
    try:
        with SmtpSession(settings) as session:
            for delay in (0.0, *retry_delays):
                if not todo:
                    break
                time.sleep(delay)
                todo = _round(todo, issue, config, session, db, secret, envelope_from, pace, report, bar)
    finally:
        bar.close()
    for subscriber in todo:
        log.warning(
            "%s: not delivered yet (%s); run the send again later", subscriber.email, report.deferred[subscriber.key]
        )
    for address, reply in report.failed.items():
        log.warning("%s: refused (%s); recorded as failed, not tried again", address, reply)
    return report


def _round(
    todo: list[Subscriber],
    issue: StoredIssue,
    config: Config,
    session: SmtpSession,
    db: sqlite3.Connection,
    secret: str | None,
    sender: str,
    pace: _Pace,
    report: DeliveryReport,
    bar: object,
) -> list[Subscriber]:
    """One pass over ``todo``; returns those who got a 4xx reply, to try again after a pause."""
    again = []
    for subscriber in todo:
        token = unsubscribe_token(secret, subscriber.email, issue.issue) if secret else ""
        message = personal_message(issue, config, subscriber, token)
        pace.wait()
        code, reply = session.deliver(message, sender, subscriber.email)
        if code < 400:
            # Recorded before the next message goes: a kill from here on never sends this one again.
            record_delivery(db, issue.issue, subscriber.email, "sent", token, message_id=message["Message-ID"])
            report.sent += 1
            report.deferred.pop(subscriber.key, None)
            bar.update(1)  # type: ignore[attr-defined]
        elif code < 500:
            report.deferred[subscriber.key] = f"{code} {reply}"
            again.append(subscriber)
        else:
            record_delivery(db, issue.issue, subscriber.email, "failed", token, reply=f"{code} {reply}")
            report.failed[subscriber.email] = f"{code} {reply}"
            report.deferred.pop(subscriber.key, None)
            bar.update(1)  # type: ignore[attr-defined]
    return again


def _progress(total: int, show: bool):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    # Only on a terminal: under cron the one summary line is the whole report.
    return tqdm(
        total=total,
        unit="msg",
        file=sys.stderr,
        disable=not (show and sys.stderr.isatty()),
        dynamic_ncols=True,
        leave=False,
    )


def send_to_subscribers(
    digest: Digest,
    subscribers: Sequence[Subscriber],
    config: Config,
    settings: SmtpSettings,
    db: sqlite3.Connection,
    *,
    secret: str | None = None,
    sender: str | None = None,
    rate: float | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    progress: bool = False,
) -> DeliveryReport:
    """Send a digest rendered with ``render_digest(..., for_subscribers=True)`` to each subscriber, once.

    The issue is stored in the journal (``db``, from open_journal) first; running this again for the
    same digest, after a kill or a failure, sends only to those without a recorded delivery. ``secret``
    signs the {token} of [digest] unsubscribe_url; ``rate`` is messages a second; a 4xx reply is tried
    again after each of ``retry_delays`` seconds."""
    stored = start_issue(db, digest.issue, digest.subject, digest.html, digest.text)
    report = deliver_issue(
        stored,
        subscribers,
        config,
        settings,
        db,
        secret=secret,
        sender=sender,
        rate=rate,
        retry_delays=retry_delays,
        progress=progress,
    )
    finish_issue(db, stored.issue)
    return report


def send_newsletter(
    config: Config,
    smtp: SmtpSettings | None,
    subscribers: Sequence[Subscriber],
    request: DigestRequest | None = None,
    *,
    secret: str | None = None,
    sender: str | None = None,
    rate: float | None = None,
    now: datetime | None = None,
    check: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    lock_timeout: float = 60.0,
    progress: bool = False,
) -> DeliveryReport | EmailMessage:
    """What `publisher send --subscribers` runs: the issue the window asks for, to each subscriber once.

    Holds the state folder's lock throughout and keeps the journal in the state database. An issue an
    earlier run did not finish (killed, or a failure half-way) is resumed as it was rendered, whatever
    the window; otherwise the digest is rendered, its web page written, and the issue stored before
    the first message. With ``request.since_last`` the cut-off moves once every subscriber was tried.
    ``dry_run`` returns the first subscriber's message instead of sending anything.
    """
    from ..engine.state import open_state
    from .history import last_digest, record_digest
    from .newsletter import DigestRequest, _checked, _forget_if_forced
    from .subscribers import ensure_schema, state_from_json, state_to_json, unfinished_issue
    from .webarchive import web_outputs

    require_secret(config.digest.unsubscribe_url, secret)
    request = request or DigestRequest()
    with open_state(config, lock_timeout=lock_timeout) as store:
        ensure_schema(store.db)
        stored = unfinished_issue(store.db)
        if stored is not None:
            log.warning("resuming issue %s, which an earlier run did not finish", stored.issue)
        else:
            _forget_if_forced(store, request)
            digest = _checked(
                config, request, now or datetime.now(UTC), store, check, strict, "sent", for_subscribers=True
            )
            if dry_run:
                sample = StoredIssue(digest.issue, digest.subject, digest.html, digest.text, None)
                return personal_message(sample, config, subscribers[0], "TOKEN")
            previous = None if request.force or not request.since_last else last_digest(store)
            state = (
                {**state_to_json(digest.state(previous)), "since": digest.since and digest.since.isoformat()}
                if request.since_last
                else None
            )
            write_feeds(web_outputs(digest, config), config.output_folder)  # before sending: every message links it
            stored = start_issue(store.db, digest.issue, digest.subject, digest.html, digest.text, state)
        if dry_run:
            return personal_message(stored, config, subscribers[0], "TOKEN")
        if smtp is None:
            raise ConfigError("no SMTP server: pass --smtp-host HOST or set [smtp] host in the config")
        report = deliver_issue(
            stored, subscribers, config, smtp, store.db, secret=secret, sender=sender, rate=rate, progress=progress
        )
        if stored.state:  # the cut-off moves once every subscriber was tried
            since = stored.state.get("since")
            record_digest(
                store,
                state_from_json(stored.state),
                since=datetime.fromisoformat(str(since)) if since else None,
                subject=stored.subject,
            )
        finish_issue(store.db, stored.issue)
    return report
