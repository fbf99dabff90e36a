"""`publisher send`: the digest through an SMTP server, to the configured recipients or (--subscribers)
to each subscriber of a list."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from ..config import Config
from ..config.mail import MOST_CONNECTIONS
from ..config.toml import PASSWORD_ENV, USER_ENV
from ..email.newsletter import send_digest
from ..errors import ConfigError, EmptyDigest, SendError
from .common import (
    STORE,
    add_common_flags,
    add_window_flags,
    config_from_args,
    empty,
    now_from_args,
    port_number,
    request_from_args,
    seconds,
    smtp_settings_from_args,
)
from .digest import digest_report

if TYPE_CHECKING:
    from ..email.smtp import SmtpSettings


def add_send_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    send = commands.add_parser(
        "send",
        help="render the digest and deliver it through an SMTP server",
        description="Render the digest with the same window flags as `publisher digest` and hand it to an SMTP "
        "server (for a real list: your ESP's relay). The password comes from the "
        f"{PASSWORD_ENV} environment variable only. With --since-last the cut-off moves only after the "
        "server accepted the message.",
    )
    add_common_flags(send)
    add_window_flags(send)
    add_smtp_flags(send)
    send.add_argument(
        "--dry-run",
        action="store_true",
        help="print the envelope and headers; connect to nothing, leave the --since-last state alone",
    )
    add_subscriber_flags(send)
    send.add_argument(
        "--message",
        metavar="FILE.eml",
        help="deliver this digest as written (digest.eml of `publisher digest` or of the MkDocs and Pelican "
        "plugins) instead of rendering one: no window, no --since-last history",
    )
    send.set_defaults(run=run_send)


def add_smtp_flags(parser: argparse.ArgumentParser) -> None:
    smtp = parser.add_argument_group("delivery (defaults from [smtp] in the config; password from the environment)")
    smtp.add_argument(
        "--to",
        action="append",
        metavar="ADDRESS",
        help="envelope recipient, repeatable (default: the To header, [digest] to)",
    )
    smtp.add_argument(
        "--from",
        dest="sender",
        metavar="ADDRESS",
        help="envelope sender, where bounces go (default: the From header, [digest] from)",
    )
    smtp.add_argument("--smtp-host", metavar="HOST", help="SMTP server ([smtp] host)")
    smtp.add_argument(
        "--smtp-port",
        type=port_number(1),
        metavar="PORT",
        help="its port ([smtp] port; default: 465 with --ssl, else 587)",
    )
    smtp.add_argument(
        "--starttls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="upgrade to TLS after connecting, and refuse to send without it ([smtp] starttls)",
    )
    smtp.add_argument(
        "--ssl",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="TLS from the first byte, usually port 465 ([smtp] ssl)",
    )
    smtp.add_argument(
        "--smtp-user",
        metavar="USER",
        help=f"log in as USER ([smtp] user, or {USER_ENV}); the password is read from {PASSWORD_ENV}",
    )
    smtp.add_argument(
        "--smtp-timeout",
        type=seconds(),
        default=30.0,
        metavar="SECONDS",
        help="give up on a server that does not answer within this long (default: 30)",
    )
    smtp.add_argument(
        "--insecure-plain-auth",
        action="store_true",
        help="log in even without TLS to a server that is not on this machine (the password "
        "crosses the network readable by anyone on the way)",
    )


def add_subscriber_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("a newsletter to each subscriber (instead of --to)")
    group.add_argument(
        "--subscribers",
        metavar="FILE.csv",
        nargs="?",
        const=STORE,
        help="send one message to each subscriber, each with their own unsubscribe link: the active "
        "subscribers in the newsletter's database, or those of FILE.csv (email, name, other columns as "
        "merge fields); a run again after a failure sends only to those not yet recorded",
    )
    group.add_argument(
        "--rate",
        type=messages_a_second,
        metavar="N",
        help=f"at most N messages a second, from {SLOWEST_RATE:.6f} (1 an hour) up (default: no limit)",
    )
    group.add_argument(
        "--connections",
        type=connection_count,
        default=1,
        metavar="N",
        help=f"send over N SMTP connections at once, 1 to {MOST_CONNECTIONS} (default: 1); a send that is killed "
        "and run again repeats at most one message, however many connections",
    )


# A slower pace is a mistake (1e-9 would wait 31 years before the second message), not a wish.
SLOWEST_RATE = 1 / 3600


def messages_a_second(value: str) -> float:
    """The argparse type of --rate: a finite number of messages a second, at least one an hour."""
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate >= SLOWEST_RATE):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a rate of at least 1 message an hour ({SLOWEST_RATE:.6f} a second)"
        )
    return rate


def connection_count(value: str) -> int:
    """The argparse type of --connections: a whole number from 1 to MOST_CONNECTIONS."""
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= MOST_CONNECTIONS:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of connections (1 to {MOST_CONNECTIONS})")
    return count


def check_envelope_and_login(args: argparse.Namespace, config: Config, settings: SmtpSettings | None) -> None:
    """What a send needs besides the digest: recipients, a sender, a password for a user name.

    These depend on the flags, the config and the environment only, so they are checked before any
    article is read or rendered, and a mistake is a usage error (exit 2), not a failed send.
    """
    from ..email.message import addressed_message
    from ..email.smtp import envelope

    try:
        envelope(addressed_message(config), to=args.to, sender=args.sender)
        if settings is not None and not args.dry_run:  # a dry run logs in nowhere
            settings.check_login()
    except SendError as exc:
        raise ConfigError(str(exc)) from None


def run_send(args: argparse.Namespace) -> int:
    if args.message:
        return run_send_message(args)
    if args.subscribers:
        from .newsletter import run_send_subscribers  # its own imports: subscribers, delivery

        return run_send_subscribers(args)
    config = config_from_args(args)
    now = now_from_args(args, config)
    # --dry-run shows what would be sent even before a server is configured.
    has_server = bool(args.smtp_host or config.smtp.host)
    settings = smtp_settings_from_args(args, config) if has_server or not args.dry_run else None
    check_envelope_and_login(args, config, settings)
    try:
        run = send_digest(
            config,
            None if args.dry_run else settings,
            request_from_args(args, config),
            to=args.to,
            sender=args.sender,
            now=now,
            check=args.check,
            strict=args.strict,
            lock_timeout=args.lock_timeout,
        )
    except EmptyDigest as exc:
        return empty(args, exc, "no digest sent")
    if not args.quiet:
        print(digest_report(run.digest))
    if args.dry_run:
        print(f"MAIL FROM:<{run.sender}>")
        print("\n".join(f"RCPT TO:<{r}>" for r in run.recipients))
        print(f"via {settings.describe() if settings else '(no SMTP server set)'}\n")
        print("\n".join(f"{name}: {value}" for name, value in (run.message or run.digest.message).items()))
        return 0
    if not args.quiet and settings is not None:
        print(f"sent to {', '.join(run.recipients)} via {settings.address}")
    return 0


def run_send_message(args: argparse.Namespace) -> int:
    """`send --message FILE`: a digest written earlier (by a host's plugin, with the host's pages) goes out
    as it is, with the Date of sending and a Message-ID of its own, as a rendered one does."""
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    from ..email.message import stamped
    from ..email.smtp import envelope, send_message

    if args.subscribers:
        raise ConfigError("--message sends one written message; --subscribers renders one for each subscriber")
    config = config_from_args(args)
    try:
        with open(args.message, "rb") as fh:
            written = message_from_bytes(fh.read(), _class=EmailMessage, policy=policy.default)
    except OSError as exc:
        raise ConfigError(f"--message {args.message}: cannot be read ({exc.strerror or exc})") from None
    if not isinstance(written, EmailMessage) or not written.get("From"):
        raise ConfigError(f"--message {args.message}: not a digest message (no From header)")
    settings = smtp_settings_from_args(args, config) if not args.dry_run else None
    outgoing = stamped(written, config, now_from_args(args, config))
    try:
        mail_from, recipients = envelope(outgoing, to=args.to, sender=args.sender)
        if settings is not None:
            settings.check_login()
    except SendError as exc:
        raise ConfigError(str(exc)) from None
    if args.dry_run:
        print(f"MAIL FROM:<{mail_from}>")
        print("\n".join(f"RCPT TO:<{r}>" for r in recipients))
        print("\n".join(f"{name}: {value}" for name, value in outgoing.items()))
        return 0
    assert settings is not None
    send_message(outgoing, settings, to=args.to, sender=args.sender)
    if not args.quiet:
        print(f"sent {args.message} to {', '.join(recipients)} via {settings.address}")
    return 0
