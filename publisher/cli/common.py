"""What every command shares: the flags of reading a site and of a digest window, and turning them into a
Config, a moment and a DigestRequest."""

from __future__ import annotations

import argparse
import logging
import math
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..config.toml import PASSWORD_ENV, USER_ENV, load_config
from ..email.newsletter import DigestRequest
from ..errors import ConfigError, ContentError, PublisherError

if TYPE_CHECKING:
    from ..email.smtp import SmtpSettings

log = logging.getLogger("publisher")
DEFAULT_CONFIG = "publisher.toml"
STORE = "(the newsletter's database)"  # --subscribers without a file


def add_config_flag(parser: argparse.ArgumentParser) -> None:
    """--config, as every command that reads a site takes it."""
    parser.add_argument("--config", metavar="FILE", help=f"configuration file (default: ./{DEFAULT_CONFIG})")


def add_common_flags(parser: argparse.ArgumentParser, *, lock: bool = True) -> None:
    """--content, --out, --config, --now, --strict, -q, -v; and --lock-timeout unless ``lock`` is False."""
    parser.add_argument(
        "--content",
        metavar="DIR",
        help="folder of Markdown articles, relative to the current folder (default: from the config)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="output folder, relative to the current folder (default: from config, else feeds/)"
    )
    add_config_flag(parser)
    parser.add_argument("--now", metavar="ISO", help="treat this moment as now (ISO 8601), for tests and back-fills")
    parser.add_argument("--strict", action="store_true", help="a bad article is fatal (exit 1) instead of skipped")
    if lock:
        parser.add_argument(
            "--lock-timeout",
            metavar="SECONDS",
            type=seconds(zero=True),
            default=60.0,
            help="wait this long for another run to finish with the output folder (default: 60)",
        )
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print only fatal errors")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="say what was read and written")


def add_window_flags(parser: argparse.ArgumentParser, *, checks: bool = True) -> None:
    """The digest window, shared by digest, preview and send.

    ``checks`` adds --fail-if-empty and --check, which decide whether a digest is written or sent
    and with what exit code; preview does neither, so it leaves them out.
    """
    window = parser.add_argument_group("window (an article is in it when since < published <= until)")
    window.add_argument("--days", type=float, metavar="N", help="the last N days (default: 7)")
    window.add_argument("--since", metavar="ISO", help="after this moment (ISO 8601; naive = site time zone)")
    window.add_argument("--until", metavar="ISO", help="up to and including this moment (default: now)")
    window.add_argument(
        "--since-last", action="store_true", help="after the previous digest's cut-off, kept in the state folder"
    )
    window.add_argument("--force", action="store_true", help="with --since-last: ignore the previous cut-off")
    window.add_argument("--featured-only", action="store_true", help="featured articles only")
    window.add_argument("--limit", type=int, metavar="N", help="at most N articles (default: [digest] limit, 20)")
    if checks:
        window.add_argument("--fail-if-empty", action="store_true", help="exit 3 when nothing is in the window")
        window.add_argument(
            "--check",
            action="store_true",
            help="exit 1 without writing or sending when the send-readiness check finds a problem",
        )


def seconds(*, zero: bool = False) -> Callable[[str], float]:
    """The argparse type of every timeout flag: a finite number of seconds, more than 0 (``zero``: 0 or more).

    nan and inf are refused here: the socket and lock calls that receive them fail with a ValueError
    or an OverflowError mid-run, and a timeout of 0 or less makes every connection fail at once.
    """
    expected = "0 or more" if zero else "more than 0"

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and (number >= 0 if zero else number > 0)):
            raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds ({expected})")
        return number

    return parse


def port_number(lowest: int) -> Callable[[str], int]:
    """An argparse type: a TCP port from ``lowest`` (0 where 0 means "pick a free one") to 65535."""

    def parse(value: str) -> int:
        try:
            port = int(value)
        except ValueError:
            port = -1
        if not lowest <= port <= 65535:
            raise argparse.ArgumentTypeError(f"{value!r} is not a port number ({lowest} to 65535)")
        return port

    return parse


def whole_number(what: str, lowest: int, highest: int) -> Callable[[str], int]:
    """An argparse type: a whole number of ``what`` from ``lowest`` to ``highest``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = lowest - 1
        if not lowest <= number <= highest:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number of {what} ({lowest} to {highest})")
        return number

    return parse


def config_from_args(args: argparse.Namespace) -> Config:
    overrides = {"content": args.content, "output": args.out}  # publisher.toml's keys
    if args.config:
        return load_config(args.config, **overrides)
    if Path(DEFAULT_CONFIG).is_file():
        return load_config(DEFAULT_CONFIG, **overrides)
    raise ConfigError(f"no {DEFAULT_CONFIG} in {Path.cwd()}; pass --config FILE (a site needs at least title and url)")


def now_from_args(args: argparse.Namespace, config: Config) -> datetime:
    return date_from_args(args.now, "--now", config) or datetime.now(UTC)


def date_from_args(value: str | None, flag: str, config: Config) -> datetime | None:
    if value is None:
        return None
    from ..content.dates import parse_date

    try:
        return parse_date(value, config)
    except ContentError as exc:
        raise ConfigError(f"{flag}: {exc.message}") from None


def request_from_args(args: argparse.Namespace, config: Config) -> DigestRequest:
    return DigestRequest(
        since=date_from_args(args.since, "--since", config),
        until=date_from_args(args.until, "--until", config),
        days=args.days,
        since_last=args.since_last,
        force=args.force,
        featured_only=args.featured_only,
        limit=args.limit,
    )


def empty(args: argparse.Namespace, exc: PublisherError, what_now: str) -> int:
    log.warning("%s: %s", exc, what_now)
    return exc.exit_code if args.fail_if_empty else 0


def smtp_settings_from_args(args: argparse.Namespace, config: Config) -> SmtpSettings:
    """Flags first, then [smtp] in the config; the user may also come from the environment."""
    from ..email.smtp import NO_SERVER, SmtpSettings

    host = args.smtp_host or config.smtp.host
    if not host:
        raise ConfigError(NO_SERVER)
    starttls, ssl = args.starttls, args.ssl
    if starttls is None and ssl is None:
        starttls, ssl = config.smtp.starttls, config.smtp.ssl
    elif starttls is None:  # a flag for one choice replaces the config's choice of the other
        starttls = False
    elif ssl is None:
        ssl = False
    server = replace(
        config.smtp,
        host=host,
        port=args.smtp_port or config.smtp.port,
        starttls=bool(starttls),
        ssl=bool(ssl),
        user=args.smtp_user or config.smtp.user or os.environ.get(USER_ENV) or None,
    )
    return SmtpSettings.of(
        server, password=os.environ.get(PASSWORD_ENV), timeout=args.smtp_timeout, plain_auth=args.insecure_plain_auth
    )
