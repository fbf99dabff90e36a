"""The command-line shells of `send --subscribers` and `unsubscribe`: flags in, library calls out."""

from __future__ import annotations

import argparse
import os
import sqlite3
from email.message import EmailMessage

from .errors import ConfigError, OutputError, SendError

EX_TEMPFAIL = 75  # sysexits.h: some subscribers' servers said "try again later"


def run_send_subscribers(args: argparse.Namespace) -> int:
    from .cli import config_from_args, now_from_args, request_from_args, smtp_settings_from_args
    from .delivery import send_newsletter
    from .errors import EmptyDigest
    from .subscribers import SECRET_ENV, read_subscribers, require_secret

    if args.to:
        raise ConfigError("--subscribers and --to: each subscriber is a recipient; leave out --to")
    if args.rate is not None and not args.rate > 0:
        raise ConfigError(f"--rate: {args.rate:g} must be more than 0 messages a second")
    config = config_from_args(args)
    settings = smtp_settings_from_args(args, config) if not args.dry_run or args.smtp_host or config.smtp_host \
        else None
    if settings is not None and not args.dry_run:
        try:
            settings.check_login()
        except SendError as exc:
            raise ConfigError(str(exc)) from None
    # What needs no article is checked before any is read: the list, the secret.
    subscribers = read_subscribers(args.subscribers)
    if not subscribers:
        raise ConfigError(f"{args.subscribers}: no subscribers in the list")
    secret = os.environ.get(SECRET_ENV)
    require_secret(config.unsubscribe_url, secret)
    try:
        result = send_newsletter(config, settings, subscribers, request_from_args(args, config), secret=secret,
                                 sender=args.sender, rate=args.rate, now=now_from_args(args, config),
                                 check=args.check, dry_run=args.dry_run, strict=args.strict,
                                 lock_timeout=args.lock_timeout, progress=not args.quiet)
    except EmptyDigest as exc:
        from .cli import _empty

        return _empty(args, exc, "no newsletter sent")
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


def run_unsubscribe(args: argparse.Namespace) -> int:
    from .cli import config_from_args
    from .state import open_state
    from .subscribers import ensure_schema, unsubscribe

    config = config_from_args(args)
    with open_state(config, lock_timeout=args.lock_timeout) as store:
        ensure_schema(store.db)
        email = unsubscribe(store.db, args.who)
    print(f"unsubscribed {email}: no later newsletter goes to it")
    return 0
