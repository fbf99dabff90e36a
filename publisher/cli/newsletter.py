"""The command-line shells of `send --subscribers` and `unsubscribe`: flags in, library calls out."""

from __future__ import annotations

import argparse
import os
import sqlite3
from email.message import EmailMessage
from typing import TYPE_CHECKING

from ..errors import ConfigError, OutputError, SendError
from .common import (
    STORE,
    add_config_flag,
    config_from_args,
    empty,
    now_from_args,
    request_from_args,
    seconds,
    smtp_settings_from_args,
)

if TYPE_CHECKING:
    from ..config import Config
    from ..email.store.subscribers import Subscriber

EX_TEMPFAIL = 75  # sysexits.h: some subscribers' servers said "try again later"


def add_unsubscribe_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    unsubscribe = commands.add_parser(
        "unsubscribe",
        help="keep an address out of every later newsletter (by address or unsubscribe token)",
        description="Mark an address unsubscribed in the newsletter's database: give the address, or the "
        "token of an unsubscribe link (what the site's unsubscribe page receives).",
    )
    unsubscribe.add_argument("who", metavar="ADDRESS|TOKEN", help="an e-mail address or an unsubscribe token")
    add_config_flag(unsubscribe)
    unsubscribe.add_argument(
        "--lock-timeout",
        metavar="SECONDS",
        type=seconds(zero=True),
        default=60.0,
        help="wait this long for another run to finish with the state folder (default: 60)",
    )
    unsubscribe.set_defaults(run=run_unsubscribe, content=None, out=None, quiet=0, verbose=0)


def run_send_subscribers(args: argparse.Namespace) -> int:
    from ..email.delivery import send_newsletter
    from ..email.subscribers import SECRET_ENV, personal_url, read_subscribers, require_secret
    from ..errors import EmptyDigest

    if args.to:
        raise ConfigError("--subscribers and --to: each subscriber is a recipient; leave out --to")
    config = config_from_args(args)
    settings = smtp_settings_from_args(args, config) if not args.dry_run or args.smtp_host or config.smtp.host else None
    if settings is not None and not args.dry_run:
        try:
            settings.check_login()
        except SendError as exc:
            raise ConfigError(str(exc)) from None
    # What needs no article is checked before any is read: the list, the secret.
    subscribers = stored_subscribers(config) if args.subscribers == STORE else read_subscribers(args.subscribers)
    if not subscribers:
        raise ConfigError(f"{args.subscribers}: no subscribers in the list")
    secret = os.environ.get(SECRET_ENV)
    require_secret(personal_url(config.digest.unsubscribe_url), secret)  # send_newsletter adds a missing {token}
    require_secret(None if args.sender else config.digest.bounce_address, secret, "[digest] bounce_address")
    try:
        result = send_newsletter(
            config,
            settings,
            subscribers,
            request_from_args(args, config),
            secret=secret,
            sender=args.sender,
            rate=args.rate,
            connections=args.connections,
            now=now_from_args(args, config),
            check=args.check,
            dry_run=args.dry_run,
            strict=args.strict,
            lock_timeout=args.lock_timeout,
            progress=not args.quiet,
        )
    except EmptyDigest as exc:
        return empty(args, exc, "no newsletter sent")
    except sqlite3.Error as exc:
        raise OutputError(f"the state database failed ({exc}); deliveries recorded so far are kept") from None
    if isinstance(result, EmailMessage):
        print(f"{len(subscribers):,} subscribers; the first one's message:")
        print("\n".join(f"{name}: {value}" for name, value in result.items()))
        return 0
    assert settings is not None
    if not args.quiet or result.deferred or result.failed:
        print(result.summary(settings.address))
    return EX_TEMPFAIL if result.deferred else 0


def stored_subscribers(config: Config) -> list[Subscriber]:
    """The active subscribers in the newsletter's database."""
    from ..email.store import open_newsletter, subscribers

    with open_newsletter(config, lock=False) as db:
        return [record.subscriber for record in subscribers(db, "active")]


def run_unsubscribe(args: argparse.Namespace) -> int:
    from ..email.store import open_newsletter
    from ..email.subscribers import unsubscribe

    config = config_from_args(args)
    # No lock: one transaction, which a send that goes on meanwhile sees before its next message.
    with open_newsletter(config, lock=False) as db:
        email = unsubscribe(db, args.who)
    print(f"unsubscribed {email}: no later newsletter goes to it")
    return 0
