"""`publisher bounces`: bounces and complaints read from a Maildir or an IMAP folder (from cron), and
applied to the newsletter's subscribers."""

from __future__ import annotations

import argparse
import os

from ..errors import ConfigError
from .common import add_config_flag, config_from_args, port_number

IMAP_PASSWORD_ENV = "PUBLISHER_IMAP_PASSWORD"


def add_bounces_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bounces = commands.add_parser(
        "bounces",
        help="read bounces (DSNs) and complaints (ARF) from a Maildir or an IMAP folder",
        description="Read the unread messages of the mailbox where bounces and complaints arrive (the "
        "envelope sender's: [digest] bounce_address): a hard bounce or a complaint suppresses its subscriber at "
        "once, a soft bounce counts toward [digest] soft_bounce_limit. Each message is marked read, so cron "
        f"can run this every few minutes. The IMAP password comes from {IMAP_PASSWORD_ENV} only.",
    )
    where = bounces.add_mutually_exclusive_group(required=True)
    where.add_argument("--maildir", metavar="DIR", help="a Maildir folder (with new/ and cur/ in it)")
    where.add_argument("--imap-host", metavar="HOST", help="an IMAP server (TLS on port 993 unless told otherwise)")
    bounces.add_argument("--imap-user", metavar="USER", help="the IMAP user to log in as")
    bounces.add_argument("--imap-folder", metavar="NAME", default="INBOX", help="the folder to read (default: INBOX)")
    bounces.add_argument("--imap-port", type=port_number(1), metavar="PORT", help="default: 993, 143 with STARTTLS")
    bounces.add_argument("--imap-starttls", action="store_true", help="connect on 143 and upgrade with STARTTLS")
    bounces.add_argument(
        "--imap-insecure-plain", action="store_true", help="no TLS at all (only for a server on this machine)"
    )
    add_config_flag(bounces)
    bounces.add_argument("-q", "--quiet", action="count", default=0, help="print only fatal errors")
    bounces.add_argument("-v", "--verbose", action="count", default=0, help="say what each report did")
    bounces.set_defaults(run=run_bounces, content=None, out=None)


def run_bounces(args: argparse.Namespace) -> int:
    from ..email.mailboxes import ImapSettings, read_bounces
    from ..email.smtp import is_loopback

    config = config_from_args(args)
    imap = None
    if args.imap_host:
        password = os.environ.get(IMAP_PASSWORD_ENV)
        if not args.imap_user or password is None:
            raise ConfigError(f"--imap-host: give --imap-user and set the {IMAP_PASSWORD_ENV} environment variable")
        if args.imap_insecure_plain and not is_loopback(args.imap_host):
            raise ConfigError(
                "--imap-insecure-plain: only for a server on this machine (the password would cross the network)"
            )
        imap = ImapSettings(
            args.imap_host,
            args.imap_user,
            password,
            folder=args.imap_folder,
            port=args.imap_port,
            starttls=args.imap_starttls,
            plain=args.imap_insecure_plain,
        )
    report = read_bounces(config, maildir=args.maildir, imap=imap)
    if not args.quiet:
        print(report.summary())
    return 0
