"""The digest as a job: choose the window, render, check, write or send, and keep the history.

``write_digest`` is what ``publisher digest`` runs and ``send_digest`` what ``publisher send``
runs; both hold the newsletter's lock (store/) from reading the history to recording the new
cut-off, so that two overlapping runs never send the same articles twice. They read articles
through the build's cache without its lock (files unchanged since the last build are not parsed
again) and never write it, so a build runs while a long send goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..config import Config
from ..engine.peek import peek_state
from ..engine.state import StateStore
from ..errors import ConfigError, ContentError, PublisherError
from ..model import Article
from ..output import write_files

if TYPE_CHECKING:
    import sqlite3
    from email.message import EmailMessage

    from .digest import Digest
    from .smtp import SmtpSettings

log = logging.getLogger("publisher")
DIGEST_FILES = ("digest.html", "digest.txt", "digest.eml")


class DigestCheckFailed(PublisherError):
    """``check=True`` and the send-readiness check found problems (listed in ``problems``)."""

    def __init__(self, message: str, problems: tuple[str, ...]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class DigestRequest:
    """Which articles a digest covers: a window (``since < published <= until``, or the last
    ``days``), or, with ``since_last``, everything since the previous --since-last digest.

    Without any of them the window is the last 7 days. ``force`` ignores the history (a lost or
    unreadable one included) and still records the new cut-off.
    """

    since: datetime | None = None
    until: datetime | None = None
    days: float | None = None
    since_last: bool = False
    force: bool = False
    featured_only: bool = False
    limit: int | None = None

    def check(self) -> None:
        if self.days is not None and not (0 < self.days < 1_000_000):  # nan and inf too: a window is finite
            raise ConfigError(f"--days: {self.days:g} must be more than 0 and less than a million")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ConfigError(
                f"--since {self.since.isoformat()} is not before --until {self.until.isoformat()}: the window is empty"
            )
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit: {self.limit} must be 1 or more")


@dataclass(frozen=True)
class DigestRun:
    """What write_digest or send_digest did."""

    digest: Digest
    written: tuple[str, ...] = ()  # file names under the output folder
    sender: str | None = None
    recipients: tuple[str, ...] = ()
    recorded: bool = False  # the --since-last cut-off moved
    message: EmailMessage | None = None  # as sent (send_digest): Date of sending, a Message-ID of its own


def load_current(
    config: Config, store: StateStore | None, *, strict: bool = False
) -> tuple[list[Article], list[ContentError]]:
    """Every article of the content folder (through the state store when given), and the problems."""
    from ..content import listing
    from ..engine.damage import StateDamaged
    from ..engine.fingerprint import settings_key
    from ..engine.incremental import load_changed

    root = config.existing_content_folder()
    files, outside = listing(root, config)
    usable = store
    try:
        if store is not None and store.get("settings") != settings_key(config):
            usable = None  # records made under other settings say nothing about these
        loaded = load_changed(usable, files, outside, config)
    except StateDamaged:  # read without the lock, it is not moved aside here: the next build that reads it does
        loaded = load_changed(None, files, outside, config)
    problems = [e for e in loaded.errors if e.is_problem]  # files that are not articles are not problems
    if strict and problems:
        raise PublisherError(f"{problems[0]} (--strict)")
    if problems and not loaded.articles:
        raise PublisherError(
            f"none of the {len(problems)} articles could be loaded (check [fields] and the messages above)"
        )
    return loaded.articles, problems


def prepare_digest(
    config: Config,
    request: DigestRequest,
    articles: list[Article],
    *,
    now: datetime,
    history: sqlite3.Connection | None,
    for_subscribers: bool = False,
    strict: bool = False,
) -> Digest:
    """Render the digest ``request`` asks for, after the last one in ``history`` (the newsletter's database);
    raises EmptyDigest (with what was empty) when nothing is new.

    An article that cannot be rendered is named and left out (``strict``: raised, see guard.py)."""
    from ..errors import EmptyDigest
    from .digest import render_digest
    from .store import last_digest

    request.check()
    last = last_digest(history) if request.since_last and not request.force and history is not None else None
    days = request.days
    if last is None and request.since is None and days is None:
        days = 7.0
    try:
        digest = render_digest(
            articles,
            config,
            now=now,
            since=request.since,
            until=request.until,
            days=days,
            featured_only=request.featured_only,
            limit=request.limit,
            after=last,
            for_subscribers=for_subscribers,
            strict=strict,
        )
    except EmptyDigest:
        start = f"since the previous digest ({last.until:%Y-%m-%d %H:%M %Z})" if last else "in the window"
        raise EmptyDigest(f"nothing new {start}{'' if last else _newest(articles, now)}") from None
    for note in digest.notes:
        log.warning("digest: %s", note)
    for problem in digest.problems:
        log.warning("digest check: %s", problem)
    return digest


def _newest(articles: list[Article], now: datetime) -> str:
    """Where a window with nothing in it could start: the newest published article's day, said so."""
    newest = max((a.published for a in articles if not a.draft and a.published <= now), default=None)
    if newest is None:
        return ""
    day = f"{newest:%Y-%m-%d}"
    return f" (the newest article is from {day}; --since {day} takes it)"


def write_digest(
    config: Config,
    request: DigestRequest | None = None,
    *,
    now: datetime | None = None,
    check: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    lock_timeout: float = 60.0,
) -> DigestRun:
    """Write digest.html, digest.txt and digest.eml into the output folder (``dry_run``: render only),
    with the e-mail-sized images and the issue's web page, index and feed (see webarchive).

    With ``request.since_last`` the cut-off moves once the files are written. Raises EmptyDigest
    when nothing is new, DigestCheckFailed when ``check`` and the check found problems.
    """
    request = request or DigestRequest()
    now = now or datetime.now(UTC)
    with _job(config, request, now, check, strict, "written", lock_timeout) as (db, digest):
        if dry_run:
            return DigestRun(digest)
        from .webarchive import digest_outputs

        files = digest_outputs(digest, config)
        write_files(files, config.output_folder)
        recorded = _record(db, request, digest)
    return DigestRun(digest, written=tuple(files), recorded=recorded)


def send_digest(
    config: Config,
    smtp: SmtpSettings | None,
    request: DigestRequest | None = None,
    *,
    to: list[str] | None = None,
    sender: str | None = None,
    now: datetime | None = None,
    check: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    lock_timeout: float = 60.0,
) -> DigestRun:
    """Render the digest and hand it to ``smtp`` (``dry_run``: connect to nothing).

    The lock is held through delivery, and with ``request.since_last`` the cut-off moves only
    after the server accepted the message: an overlapping send waits, then finds nothing new. The
    message leaves with the Date of sending and a Message-ID of its own (``DigestRun.message``);
    the issue's web page, which it links, is written first.
    """
    from .message import stamped
    from .smtp import envelope, send_message
    from .webarchive import web_outputs

    request = request or DigestRequest()
    now = now or datetime.now(UTC)
    with _job(config, request, now, check, strict, "sent", lock_timeout) as (db, digest):
        outgoing = stamped(digest.message, config)
        mail_from, recipients = envelope(outgoing, to=to, sender=sender)
        if dry_run or smtp is None:
            return DigestRun(digest, sender=mail_from, recipients=tuple(recipients), message=outgoing)
        written = write_files(web_outputs(digest, config), config.output_folder)
        send_message(outgoing, smtp, to=to, sender=sender)
        recorded = _record(db, request, digest)
    return DigestRun(
        digest,
        written=tuple(written),
        sender=mail_from,
        recipients=tuple(recipients),
        recorded=recorded,
        message=outgoing,
    )


def preview_digest(
    config: Config,
    request: DigestRequest | None = None,
    *,
    now: datetime | None = None,
    strict: bool = False,
    if_empty: str = "nothing to show",
) -> Digest:
    """The digest as write_digest would render it, without the lock and writing nothing (the preview)."""
    from ..errors import EmptyDigest
    from .store import peek_newsletter

    request = request or DigestRequest()
    history = peek_newsletter(config)
    try:
        with peek_state(config) as store:
            articles, errors = load_current(config, store, strict=strict)
        for exc in errors:
            log.warning("skipped %s", exc)
        try:
            return prepare_digest(
                config, request, articles, now=now or datetime.now(UTC), history=history, strict=strict
            )
        except EmptyDigest as exc:
            log.warning("%s: %s", exc, if_empty)
            raise EmptyDigest("nothing was published in the window; widen it with --days or --since") from None
    finally:
        if history is not None:
            history.close()


def digest_files(digest: Digest) -> dict[str, bytes]:
    return {
        "digest.html": digest.html.encode("utf-8"),
        "digest.txt": digest.text.encode("utf-8"),
        "digest.eml": digest.as_bytes(),
    }


def _checked(
    config: Config,
    request: DigestRequest,
    now: datetime,
    history: sqlite3.Connection,
    check: bool,
    strict: bool,
    verb: str,
    for_subscribers: bool = False,
) -> Digest:
    """The digest ``request`` asks for, from the articles as they are now (read through the build's cache,
    without its lock: a build may be writing it), checked when ``check``."""
    with peek_state(config) as store:
        articles, errors = load_current(config, store, strict=strict)
    _name_once(history, errors)
    digest = prepare_digest(
        config, request, articles, now=now, history=history, for_subscribers=for_subscribers, strict=strict
    )
    if check and digest.problems:
        raise DigestCheckFailed(
            f"digest not {verb}: {len(digest.problems)} problem(s) found by --check", digest.problems
        )
    return digest


def _name_once(history: sqlite3.Connection, problems: list[ContentError]) -> None:
    """Name each skipped article once, as the build does: a weekly cron digest would otherwise mail the
    same warnings every week. What was named is kept in the newsletter's database until the problem is
    gone or changes; ``publisher check`` lists every current one."""
    from .store import named_problems, record_named_problems

    named = named_problems(history)
    current = [str(problem) for problem in problems]
    for problem in current:
        if problem not in named:
            log.warning("skipped %s", problem)
    if set(current) != named:
        record_named_problems(history, current)


@contextmanager
def _job(
    config: Config, request: DigestRequest, now: datetime, check: bool, strict: bool, verb: str, lock_timeout: float
) -> Iterator[tuple[sqlite3.Connection, Digest]]:
    """The newsletter's database, locked for the whole job (a forced start honoured), and the checked
    digest of ``request``."""
    from .store import open_newsletter

    with open_newsletter(config, lock_timeout=lock_timeout) as db:
        _forget_if_forced(db, request)
        yield db, _checked(config, request, now, db, check, strict, verb)


def _forget_if_forced(db: sqlite3.Connection, request: DigestRequest) -> None:
    if request.force and request.since_last:
        from .store import forget_lost_history

        forget_lost_history(db)


def _record(db: sqlite3.Connection, request: DigestRequest, digest: Digest) -> bool:
    """Move the --since-last cut-off. A one-off digest (--days, --since) leaves it alone, so that it
    does not use up the list's next issue."""
    from .store import last_digest, record_digest

    if not request.since_last:
        return False
    previous = None if request.force else last_digest(db)
    record_digest(db, digest.state(previous), since=digest.since, subject=digest.subject)
    return True
