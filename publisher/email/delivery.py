"""A newsletter to each subscriber: one message per subscriber over one reused SMTP connection, each
with its own unsubscribe link, exactly once thanks to the delivery journal (see subscribers.py).

For a real list the SMTP server is an ESP's relay (Amazon SES, Postmark, Mailgun, SendGrid...): they
take thousands of messages an hour over one connection and handle bounces and reputation.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import ConfigError
from ..output import write_files
from .bounces import refused_at_send, soft_bounce, verp_address
from .connections import UNREAD, Pace, SmtpSession, deliver_each
from .message import addressed_message
from .smtp import NO_SERVER, SmtpSettings, envelope
from .store import (
    SUPPRESSED,
    StoredIssue,
    finish_issue,
    forget_delivery,
    record_delivery,
    record_reply,
    recorded,
    start_issue,
    unread_replies,
)
from .store import subscribers as stored_subscribers
from .store.subscribers import Subscriber
from .subscribers import personal_links, personal_message, require_secret, unsubscribe_token

if TYPE_CHECKING:
    from .digest import Digest
    from .newsletter import DigestRequest

log = logging.getLogger("publisher")

# A 4xx reply (greylisting, a rate limit, a full mailbox) is tried again after these pauses, within the run.
RETRY_DELAYS = (10.0, 60.0, 240.0)
# ... and by every later run of the send until the issue is this old; then it is given up (give_up).
GIVE_UP = timedelta(days=5)
VERP = "<verp>"  # _round's sender when each message's envelope sender is [digest] bounce_address with its token


# Why a subscriber was not sent to, as the report says it.
LEFT_OUT = {"unsubscribed": "unsubscribed", "bounced": "bounced earlier", "complained": "complained"}


@dataclass
class DeliveryReport:
    """What one run of send_to_subscribers did for an issue."""

    issue: str
    listed: int  # subscribers in the list
    sent: int = 0  # accepted by the server in this run
    earlier: int = 0  # recorded as sent (or failed) by an earlier run: not sent again
    suppressed: int = 0  # unsubscribed, bounced or complained: not sent
    failed: dict[str, str] = field(default_factory=dict)  # address -> the server's 5xx reply (recorded)
    deferred: dict[str, str] = field(default_factory=dict)  # address -> 4xx reply after every retry (not recorded)
    # Not sent, by why: "unsubscribed", "bounced", "complained" (each a count).
    left_out: dict[str, int] = field(default_factory=dict)
    bounced: int = 0  # suppressed in this run: a 5xx refusal, or the soft bounces that reached the limit
    soft_bounces: int = 0  # counted in this run (5.7.x refusals, 4xx given up on), not yet at the limit
    # Handed to the server, their replies never read (counted as sent): by this run, and by the run that was stopped.
    unread: int = 0
    unread_earlier: int = 0

    def summary(self, server: str) -> str:
        parts = [f"{self.sent:,} sent"]
        parts += [
            f"{n:,} {what}"
            for n, what in (
                (self.earlier, "already sent earlier"),
                *((self.left_out.get(why, 0), what) for why, what in LEFT_OUT.items()),
                (len(self.failed), "failed"),
                (self.bounced, "bounced now (never sent to again)"),
                (self.soft_bounces, "soft bounces counted"),
                (len(self.deferred), "deferred (4xx; run again later)"),
            )
            if n
        ]
        return f"issue {self.issue}: {', '.join(parts)} of {self.listed:,} subscribers via {server}"


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
    connections: int = 1,
    retry_delays: Sequence[float] | None = None,
    progress: bool = False,
) -> DeliveryReport:
    """Send ``issue`` to every subscriber the journal has no delivery for and who did not unsubscribe,
    over ``connections`` SMTP connections at once (see connections.py for what exactly-once means then)."""
    require_secret(config.digest.unsubscribe_url, secret)
    verp = None if sender else config.digest.bounce_address
    require_secret(verp, secret, "[digest] bounce_address")
    report = DeliveryReport(issue.issue, len(subscribers), unread_earlier=unread_replies(db, issue.issue))
    if report.unread_earlier:
        log.warning(
            "%d message(s) were handed to the server before the last send was stopped; their replies were not read; "
            "counted as delivered",
            report.unread_earlier,
        )
    done, left = recorded(db, issue.issue), _suppressed(db)
    todo = []
    for subscriber in subscribers:
        if subscriber.key in done:
            report.earlier += 1
        elif subscriber.key in left:
            report.suppressed += 1
            report.left_out[left[subscriber.key]] = report.left_out.get(left[subscriber.key], 0) + 1
        else:
            todo.append(subscriber)
    envelope_from = envelope(addressed_message(config), to=["subscriber@example.org"], sender=verp or sender)[0]
    pace = Pace(rate)
    bar = _progress(len(todo), progress)
    try:
        for delay in (0.0, *(RETRY_DELAYS if retry_delays is None else retry_delays)):
            if not todo:
                break
            time.sleep(delay)
            by = VERP if verp else envelope_from
            todo = _round(todo, issue, config, settings, connections, db, secret, by, pace, report, bar)
    finally:
        bar.close()
    for subscriber in todo:
        log.warning(
            "%s: not delivered yet (%s); run the send again later", subscriber.email, report.deferred[subscriber.key]
        )
    for address, reply in report.failed.items():
        log.warning("%s: refused (%s); recorded as failed, not tried again", address, reply)
    return report


def _suppressed(db: sqlite3.Connection) -> dict[str, str]:
    """address (lower case) -> why no message goes to it: unsubscribed, bounced or complained."""
    return {r.subscriber.key: r.status for status in SUPPRESSED for r in stored_subscribers(db, status)}


def give_up(
    db: sqlite3.Connection, issue: StoredIssue, report: DeliveryReport, config: Config, secret: str | None
) -> None:
    """Record the subscribers still deferred as failed, each a soft bounce: a server that said "later" for
    GIVE_UP since the issue started will not say yes (RFC 5321 section 4.5.4.1: give up after 4-5 days)."""
    for key, reply in sorted(report.deferred.items()):
        token = unsubscribe_token(secret, key, issue.issue) if secret else ""
        record_delivery(db, issue.issue, key, "failed", token, reply=f"{reply} (given up after {GIVE_UP.days} days)")
        outcome = soft_bounce(db, key, f"{reply} (issue {issue.issue})", config.digest.soft_bounce_limit)
        report.failed[key] = reply
        report.bounced += outcome.status == "bounced"
        report.soft_bounces += outcome.status == "active"
    report.deferred.clear()


def _round(
    todo: list[Subscriber],
    issue: StoredIssue,
    config: Config,
    settings: SmtpSettings,
    connections: int,
    db: sqlite3.Connection,
    secret: str | None,
    sender: str,
    pace: Pace,
    report: DeliveryReport,
    bar: object,
) -> list[Subscriber]:
    """One pass over ``todo``; returns those who got a 4xx reply, to try again after a pause."""
    again = []

    verp = config.digest.bounce_address if sender == VERP else None

    def send(session: SmtpSession, subscriber: Subscriber) -> tuple[str, str, int, str, bool]:
        token = unsubscribe_token(secret, subscriber.email, issue.issue) if secret else ""
        message = personal_message(issue, config, subscriber, token)
        pace.wait()
        envelope_from = verp_address(verp, token) if verp else sender
        handed = []

        def hand_over() -> None:  # by the thread that holds the journal, the end of data just written: now it is sent
            record_delivery(db, issue.issue, subscriber.email, "sent", token, message_id=message["Message-ID"])
            handed.append(True)

        code, reply = session.deliver(message, envelope_from, subscriber.email, hand_over)
        return token, message["Message-ID"], code, reply, bool(handed)

    def record(subscriber: Subscriber, outcome: tuple[str, str, int, str, bool]) -> None:
        token, message_id, code, reply, handed = outcome
        if code < 400:
            if code == UNREAD:  # as after a kill in the same window (connections.py): never sent again
                log.warning("%s: no reply to the end of data (%s); counted as sent", subscriber.email, reply)
                report.unread += 1
            record_reply(
                db, issue.issue, subscriber.email, f"not read ({reply})" if code == UNREAD else f"{code} {reply}"
            )
            report.sent += 1
            report.deferred.pop(subscriber.key, None)
            bar.update(1)  # type: ignore[attr-defined]
        elif code < 500:
            if handed:
                forget_delivery(db, issue.issue, subscriber.email)
            report.deferred[subscriber.key] = f"{code} {reply}"
            again.append(subscriber)
        else:
            record_delivery(db, issue.issue, subscriber.email, "failed", token, reply=f"{code} {reply}")
            report.failed[subscriber.email] = f"{code} {reply}"
            report.deferred.pop(subscriber.key, None)
            # Not tried again by any later issue either (a 5.7.x refusal counts as a soft bounce: bounces.py).
            refusal = refused_at_send(db, subscriber.email, code, reply, issue.issue, config.digest.soft_bounce_limit)
            report.bounced += refusal.status == "bounced"
            report.soft_bounces += refusal.status == "active"
            bar.update(1)  # type: ignore[attr-defined]

    deliver_each(todo, send, record, settings, connections)
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
    connections: int = 1,
    retry_delays: Sequence[float] | None = None,
    progress: bool = False,
) -> DeliveryReport:
    """Send a digest rendered with ``render_digest(..., for_subscribers=True)`` to each subscriber, once.

    The issue is stored in the journal (``db``, from open_journal or open_newsletter) first; running this again for the
    same digest, after a kill or a failure, sends only to those without a recorded delivery. ``secret``
    signs the {token} of [digest] unsubscribe_url; ``rate`` is messages a second over ``connections``
    SMTP connections at once; a 4xx reply is tried again after each of ``retry_delays`` seconds."""
    config = personal_links(config)
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
        connections=connections,
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
    connections: int = 1,
    now: datetime | None = None,
    check: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    lock_timeout: float = 60.0,
    progress: bool = False,
) -> DeliveryReport | EmailMessage:
    """What `publisher send --subscribers` runs: the issue the window asks for, to each subscriber once.

    Holds the newsletter's lock throughout (never the build's: builds go on) and keeps the journal in the
    newsletter's database, while articles are read through the build's cache without its lock. An issue an
    earlier run did not finish (killed, or a failure half-way) is resumed as it was rendered, whatever
    the window; otherwise the digest is rendered, its web page written, and the issue stored before
    the first message. With ``request.since_last`` the cut-off moves once every subscriber was tried.
    ``dry_run`` returns the first subscriber's message instead of sending anything.
    """
    from .newsletter import DigestRequest, _checked, _forget_if_forced
    from .store import issue_started, last_digest, open_newsletter, record_digest, unfinished_issue
    from .subscribers import state_from_json, state_to_json
    from .webarchive import web_outputs

    config = personal_links(config)
    require_secret(config.digest.unsubscribe_url, secret)
    request = request or DigestRequest()
    with open_newsletter(config, lock_timeout=lock_timeout) as db:
        stored = unfinished_issue(db)
        if stored is not None:
            log.warning("resuming issue %s, which an earlier run did not finish", stored.issue)
        else:
            _forget_if_forced(db, request)
            digest = _checked(
                config, request, now or datetime.now(UTC), db, check, strict, "sent", for_subscribers=True
            )
            if dry_run:
                sample = StoredIssue(digest.issue, digest.subject, digest.html, digest.text, None)
                return personal_message(sample, config, subscribers[0], "TOKEN")
            previous = None if request.force or not request.since_last else last_digest(db)
            state = (
                {**state_to_json(digest.state(previous)), "since": digest.since and digest.since.isoformat()}
                if request.since_last
                else None
            )
            write_files(web_outputs(digest, config), config.output_folder)  # before sending: every message links it
            stored = start_issue(db, digest.issue, digest.subject, digest.html, digest.text, state)
        if dry_run:
            return personal_message(stored, config, subscribers[0], "TOKEN")
        if smtp is None:
            raise ConfigError(NO_SERVER)
        report = deliver_issue(
            stored,
            subscribers,
            config,
            smtp,
            db,
            secret=secret,
            sender=sender,
            rate=rate,
            connections=connections,
            progress=progress,
        )
        if report.deferred:
            started = issue_started(db, stored.issue) or datetime.now(UTC)
            if datetime.now(UTC) - started < GIVE_UP:  # real time, as servers retry: not --now
                # Open until every subscriber got it: the next run of this command resumes it first.
                log.warning(
                    "issue %s stays open for %d deferred subscriber(s): run the same command again later",
                    stored.issue,
                    len(report.deferred),
                )
                return report
            give_up(db, stored, report, config, secret)
        if stored.state:  # the cut-off moves once every subscriber was tried
            since = stored.state.get("since")
            record_digest(
                db,
                state_from_json(stored.state),
                since=datetime.fromisoformat(str(since)) if since else None,
                subject=stored.subject,
            )
        finish_issue(db, stored.issue)
    return report
