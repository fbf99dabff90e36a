"""The command-line shells of `send --subscribers` and `unsubscribe`: flags in, library calls out."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, OutputError, SendError
from .model import Config, DigestState

if TYPE_CHECKING:
    from .digest import Digest
    from .subscribers import Subscriber

EX_TEMPFAIL = 75  # sysexits.h: some subscribers' servers said "try again later"

log = logging.getLogger("publisher")


def state_path(args: argparse.Namespace) -> Path:
    """The state database beside the configuration file: .publisher/state.sqlite3."""
    from .cli import DEFAULT_CONFIG

    return Path(args.config or DEFAULT_CONFIG).resolve().parent / ".publisher" / "state.sqlite3"


def run_send_subscribers(args: argparse.Namespace) -> int:
    from .cli import _write_web_page, checked_digest, config_from_args, now_from_args, smtp_settings_from_args
    from .delivery import deliver_issue
    from .output import output_lock, read_digest_state, write_digest_state
    from .subscribers import SECRET_ENV, finish_issue, needs_token, read_subscribers, start_issue, unfinished_issue

    if args.to:
        raise ConfigError("--subscribers and --to: each subscriber is a recipient; leave out --to")
    if args.rate is not None and not args.rate > 0:
        raise ConfigError(f"--rate: {args.rate:g} must be more than 0 messages a second")
    config = config_from_args(args)
    now = now_from_args(args, config)
    settings = smtp_settings_from_args(args, config) if not args.dry_run or args.smtp_host or config.smtp_host \
        else None
    if settings is not None and not args.dry_run:
        try:
            settings.check_login()
        except SendError as exc:
            raise ConfigError(str(exc)) from None
    subscribers = read_subscribers(args.subscribers)
    if not subscribers:
        raise ConfigError(f"{args.subscribers}: no subscribers in the list")
    secret = os.environ.get(SECRET_ENV)
    if needs_token(config.unsubscribe_url) and not secret:
        raise ConfigError(f"[digest] unsubscribe_url has {{token}}: set the {SECRET_ENV} environment variable "
                          "(a long random string, the same for every issue)")
    journal = state_path(args)
    # One send at a time per state database (two would both find the same subscribers unrecorded); the
    # output folder is locked only while the issue is rendered and its page written, so builds go on
    # while a long list is sent.
    with output_lock(journal.parent, timeout=args.lock_timeout), _journal(journal) as db:
        stored = unfinished_issue(db)
        if stored is not None:
            log.warning("resuming issue %s, which an earlier run did not finish", stored.issue)
        else:
            with output_lock(config.output_dir, timeout=args.lock_timeout):
                digest = checked_digest(args, config, now, "sent")
                if isinstance(digest, int):
                    return digest
                if args.dry_run:
                    return _dry_run(digest, config, subscribers)
                _write_web_page(config, digest)  # before sending: every message links it
                previous = None if args.force else read_digest_state(config.output_dir)
                state = _state_json(digest.state(previous)) if args.since_last else None
            stored = start_issue(db, digest.issue, digest.subject, digest.html, digest.text, state)
        if args.dry_run:
            print(f"would resume issue {stored.issue} for {len(subscribers):,} subscribers")
            return 0
        assert settings is not None
        report = deliver_issue(stored, subscribers, config, settings, db, secret=secret, sender=args.sender,
                               rate=args.rate, progress=not args.quiet)
        finish_issue(db, stored.issue)
        if stored.state:
            with output_lock(config.output_dir, timeout=args.lock_timeout):
                write_digest_state(config.output_dir, _state_from_json(stored.state))
    if not args.quiet or report.deferred or report.failed:
        print(report.summary(settings.address))
    return EX_TEMPFAIL if report.deferred else 0


def _dry_run(digest: Digest, config: Config, subscribers: list[Subscriber]) -> int:
    from .delivery import personal_message
    from .subscribers import StoredIssue

    sample = StoredIssue(digest.issue, digest.subject, digest.html, digest.text, None)
    message = personal_message(sample, config, subscribers[0], "TOKEN")
    print(f"{len(subscribers):,} subscribers; the first one's message:")
    print("\n".join(f"{name}: {value}" for name, value in message.items()))
    return 0


@contextmanager
def _journal(path: Path) -> Iterator[sqlite3.Connection]:
    """The state database, its errors (disk full, a damaged file) reported as an OutputError naming it."""
    from .subscribers import open_journal

    db = None
    try:
        db = open_journal(path)
        yield db
    except sqlite3.Error as exc:
        raise OutputError(f"{path}: the state database failed ({exc}); deliveries recorded so far are kept") from None
    finally:
        if db is not None:
            db.close()


def run_unsubscribe(args: argparse.Namespace) -> int:
    from .subscribers import unsubscribe

    with _journal(state_path(args)) as db:
        email = unsubscribe(db, args.who)
    print(f"unsubscribed {email}: no later newsletter goes to it")
    return 0


def _state_json(state: DigestState) -> dict[str, Any]:
    return {"until": state.until.isoformat(), "message_id": state.message_id,
            "sent": {slug: when.isoformat() for slug, when in sorted(state.sent.items())}}


def _state_from_json(data: Any) -> DigestState:
    return DigestState(until=datetime.fromisoformat(data["until"]), message_id=data.get("message_id"),
                       sent={slug: datetime.fromisoformat(when) for slug, when in data["sent"].items()})
