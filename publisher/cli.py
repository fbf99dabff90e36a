"""The command line: a thin layer that parses flags and calls the public library.

Exit codes: 0 success, 1 content errors under --strict, an output that could not be written, a
digest that failed --check, or a message the SMTP server refused; 2 usage or configuration errors
(send: also no recipient, a malformed address, a user without a password); 3 an empty digest under
--fail-if-empty; 75 try again later: another run holds the output folder, or the SMTP server could
not be reached (its name included) or answered with a temporary (4xx) error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .config import PASSWORD_ENV, USER_ENV, load_config
from .engine import build
from .errors import ConfigError, ContentError, EmptyDigest, PublisherError, SendError, printable
from .model import Config
from .newsletter import DigestRequest, send_digest, write_digest
from .websub import TIMEOUT

if TYPE_CHECKING:
    from .digest import Digest
    from .send import SmtpSettings

# The commands import what they render with (digest, feeds, preview, SMTP) when they run: a
# build that finds nothing changed must not pay for Markdown, feedgen, lxml, Jinja2 or premailer.

log = logging.getLogger("publisher")
DEFAULT_CONFIG = "publisher.toml"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose - args.quiet)
    try:
        return args.run(args)
    except PublisherError as exc:
        print(f"publisher: error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one clear line for cron mail, the traceback with -v
        log.debug("the traceback of the bug below", exc_info=True)
        print(f"publisher: error: this is a bug in publisher, please report it: {type(exc).__name__}: "
              f"{printable(str(exc))[:500]} (run again with -v to see where it happened)", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="publisher",
        description="Markdown articles in; Atom and RSS feeds and an e-mail digest out.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    build = commands.add_parser(
        "build", help="write the feeds for a folder of articles",
        description="Read the articles under --content and write Atom and RSS feeds into --out. "
        "Silent on success (unless -v); problems go to stderr.",
    )
    add_common_flags(build)
    build.add_argument("--ping", action="store_true",
                       help="notify the configured WebSub hubs ([feeds] hub) of each feed that changed")
    build.add_argument("--ping-timeout", metavar="SECONDS", type=float, default=TIMEOUT,
                       help=f"wait this long for a hub to answer, then retry once (default: {TIMEOUT:g})")
    build.set_defaults(run=run_build)

    digest = commands.add_parser(
        "digest", help="write the e-mail digest: digest.html, digest.txt and digest.eml",
        description="Render the newsletter digest of the articles published in a window (default: the last "
        "7 days) and write digest.html, digest.txt and digest.eml into --out.",
    )
    add_common_flags(digest)
    add_window_flags(digest)
    digest.add_argument("--dry-run", action="store_true",
                        help="render and report, write nothing, leave the --since-last state alone")
    digest.set_defaults(run=run_digest)

    preview = commands.add_parser(
        "preview", help="serve the digest on http://127.0.0.1:8000 and open it in the browser",
        description="Serve the digest locally: the page shows it at 600 px and 375 px, its headers and its "
        "text part, and renders it again on every reload, so edits to articles, config and templates show "
        "at once. Ctrl-C stops.",
    )
    add_common_flags(preview, lock=False)  # it writes nothing, so it never takes the output folder's lock
    add_window_flags(preview, checks=False)
    preview.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default: 127.0.0.1; anything else exposes the preview)")
    preview.add_argument("--port", type=port_number(0), default=8000, help="port (default: 8000; 0 picks a free one)")
    preview.add_argument("--no-open", "--no-browser", dest="open_browser", action="store_false",
                         help="do not open the browser")
    preview.set_defaults(run=run_preview)

    send = commands.add_parser(
        "send", help="render the digest and deliver it through an SMTP server",
        description="Render the digest with the same window flags as `publisher digest` and hand it to an SMTP "
        "server (for a real list: your ESP's relay). The password comes from the "
        f"{PASSWORD_ENV} environment variable only. With --since-last the cut-off moves only after the "
        "server accepted the message.",
    )
    add_common_flags(send)
    add_window_flags(send)
    add_smtp_flags(send)
    send.add_argument("--dry-run", action="store_true",
                      help="print the envelope and headers; connect to nothing, leave the --since-last state alone")
    add_subscriber_flags(send)
    send.set_defaults(run=run_send)
    add_unsubscribe_command(commands)

    links = commands.add_parser(
        "links", help="print the <link> tags that announce the feeds, for a page's <head>",
        description="Print one <link rel=\"alternate\"> tag per feed (main and featured; Atom, RSS and JSON "
        "Feed) to paste into the <head> of the site's pages, so that browsers and feed readers find the feeds.",
    )
    links.add_argument("--config", metavar="FILE", help=f"configuration file (default: ./{DEFAULT_CONFIG})")
    links.set_defaults(run=run_links, content=None, out=None, quiet=0, verbose=0)

    add_site_commands(commands)
    return parser


class _Version(argparse.Action):
    """--version, reading the version (package metadata, slow to import) only when asked."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        from . import __version__

        parser.exit(message=f"{parser.prog} {__version__}\n")


def add_common_flags(parser: argparse.ArgumentParser, *, lock: bool = True) -> None:
    """--content, --out, --config, --now, --strict, -q, -v; and --lock-timeout unless ``lock`` is False."""
    parser.add_argument("--content", metavar="DIR",
                        help="folder of Markdown articles, relative to the current folder (default: from the config)")
    parser.add_argument("--out", metavar="DIR",
                        help="output folder, relative to the current folder (default: from config, else feeds/)")
    parser.add_argument("--config", metavar="FILE", help=f"configuration file (default: ./{DEFAULT_CONFIG})")
    parser.add_argument("--now", metavar="ISO", help="treat this moment as now (ISO 8601), for tests and back-fills")
    parser.add_argument("--strict", action="store_true", help="a bad article is fatal (exit 1) instead of skipped")
    if lock:
        parser.add_argument("--lock-timeout", metavar="SECONDS", type=_seconds, default=60.0,
                            help="wait this long for another run to finish with the output folder (default: 60)")
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
    window.add_argument("--since-last", action="store_true",
                        help="after the previous digest's cut-off, kept in the state folder")
    window.add_argument("--force", action="store_true", help="with --since-last: ignore the previous cut-off")
    window.add_argument("--featured-only", action="store_true", help="featured articles only")
    window.add_argument("--limit", type=int, metavar="N", help="at most N articles (default: [digest] limit, 20)")
    if checks:
        window.add_argument("--fail-if-empty", action="store_true", help="exit 3 when nothing is in the window")
        window.add_argument("--check", action="store_true",
                            help="exit 1 without writing or sending when the send-readiness check finds a problem")


def add_smtp_flags(parser: argparse.ArgumentParser) -> None:
    smtp = parser.add_argument_group(
        "delivery (defaults from [smtp] in the config; password from the environment)")
    smtp.add_argument("--to", action="append", metavar="ADDRESS",
                      help="envelope recipient, repeatable (default: the To header, [digest] to)")
    smtp.add_argument("--from", dest="sender", metavar="ADDRESS",
                      help="envelope sender, where bounces go (default: the From header, [digest] from)")
    smtp.add_argument("--smtp-host", metavar="HOST", help="SMTP server ([smtp] host)")
    smtp.add_argument("--smtp-port", type=port_number(1), metavar="PORT",
                      help="its port ([smtp] port; default: 465 with --ssl, else 587)")
    smtp.add_argument("--starttls", action=argparse.BooleanOptionalAction, default=None,
                      help="upgrade to TLS after connecting, and refuse to send without it ([smtp] starttls)")
    smtp.add_argument("--ssl", action=argparse.BooleanOptionalAction, default=None,
                      help="TLS from the first byte, usually port 465 ([smtp] ssl)")
    smtp.add_argument("--smtp-user", metavar="USER",
                      help=f"log in as USER ([smtp] user, or {USER_ENV}); the password is read from {PASSWORD_ENV}")
    smtp.add_argument("--smtp-timeout", type=float, default=30.0, metavar="SECONDS",
                      help="give up on a server that does not answer within this long (default: 30)")
    smtp.add_argument("--insecure-plain-auth", action="store_true",
                      help="log in even without TLS to a server that is not on this machine (the password "
                      "crosses the network readable by anyone on the way)")


def add_subscriber_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("a newsletter to each subscriber (instead of --to)")
    group.add_argument("--subscribers", metavar="FILE.csv",
                       help="send one message to each subscriber (CSV: email, name, other columns as merge fields), "
                       "each with their own unsubscribe link; a run again after a failure sends only to those "
                       "not yet recorded")
    group.add_argument("--rate", type=float, metavar="N", help="at most N messages a second (default: no limit)")


def add_site_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from .site_cli import add_commands

    add_commands(commands)


def add_unsubscribe_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from .newsletter_cli import run_unsubscribe

    unsubscribe = commands.add_parser(
        "unsubscribe", help="keep an address out of every later newsletter (by address or unsubscribe token)",
        description="Put an address on the suppression list in the state database: give the address, or the "
        "token of an unsubscribe link (what the site's unsubscribe page receives).",
    )
    unsubscribe.add_argument("who", metavar="ADDRESS|TOKEN", help="an e-mail address or an unsubscribe token")
    unsubscribe.add_argument("--config", metavar="FILE", help=f"configuration file (default: ./{DEFAULT_CONFIG})")
    unsubscribe.add_argument("--lock-timeout", metavar="SECONDS", type=_seconds, default=60.0,
                             help="wait this long for another run to finish with the state folder (default: 60)")
    unsubscribe.set_defaults(run=run_unsubscribe, content=None, out=None, quiet=0, verbose=0)


def _seconds(value: str) -> float:
    seconds = float(value)
    if not seconds >= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds (0 or more)")
    return seconds


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


def _setup_logging(level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("publisher: %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.ERROR if level < 0 else logging.INFO if level > 0 else logging.WARNING)


class _OneLine(logging.Formatter):
    """Each message stays one line: a newline in a file name cannot forge a line of cron mail."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.exc_info or record.stack_info:  # a traceback (-v only) keeps its lines
            return text
        return printable(text)


def config_from_args(args: argparse.Namespace) -> Config:
    overrides = {"content_dir": args.content, "output_dir": args.out}
    if args.config:
        return load_config(args.config, **overrides)
    if Path(DEFAULT_CONFIG).is_file():
        return load_config(DEFAULT_CONFIG, **overrides)
    raise ConfigError(
        f"no {DEFAULT_CONFIG} in {Path.cwd()}; pass --config FILE (a site needs at least title and url)"
    )


def now_from_args(args: argparse.Namespace, config: Config) -> datetime:
    return date_from_args(args.now, "--now", config) or datetime.now(UTC)


def date_from_args(value: str | None, flag: str, config: Config) -> datetime | None:
    if value is None:
        return None
    from .load import parse_date

    parsed = parse_date(value, config)
    if parsed is None:
        raise ConfigError(f"{flag}: {value!r} is not a date (expected YYYY-MM-DD or ISO 8601)")
    return parsed


def request_from_args(args: argparse.Namespace, config: Config) -> DigestRequest:
    return DigestRequest(since=date_from_args(args.since, "--since", config),
                         until=date_from_args(args.until, "--until", config), days=args.days,
                         since_last=args.since_last, force=args.force, featured_only=args.featured_only,
                         limit=args.limit)


def run_build(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    now = now_from_args(args, config)
    if args.ping and not config.hubs:
        raise ConfigError("--ping: no WebSub hub configured (set [feeds] hub in the configuration)")
    try:
        result = build(config, now=now, strict=args.strict, lock_timeout=args.lock_timeout, ping=args.ping,
                       ping_timeout=args.ping_timeout)
    except ContentError as exc:
        raise PublisherError(f"{exc} (--strict)") from None
    out = Path(config.output_dir)
    for name in result.written:
        log.info("wrote %s", out / name)
    for name in result.removed:
        log.info("removed %s (no longer made)", out / name)
    if result.nothing_changed:
        log.info("nothing changed since the last build")
    if args.verbose or (sys.stderr.isatty() and not args.quiet):
        print(result.summary(), file=sys.stderr)
    return 0


def run_digest(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    now = now_from_args(args, config)
    request = request_from_args(args, config)
    try:
        run = write_digest(config, request, now=now, check=args.check, dry_run=args.dry_run, strict=args.strict,
                           lock_timeout=args.lock_timeout)
    except EmptyDigest as exc:
        return _empty(args, exc, "no digest written")
    if not args.quiet:
        print(digest_report(run.digest))
        if run.written:
            digest_files = [n for n in run.written if n.startswith("digest.")]
            print(f"wrote {', '.join(str(Path(config.output_dir) / n) for n in digest_files)}")
            _report_web_page(config, run.digest)
    return 0


def _report_web_page(config: Config, digest: Digest) -> None:
    page = next((name for name in digest.files if name.endswith(".html")), None)
    if page:
        out = Path(config.output_dir)
        print(f"web page {out / page} (index: {out / 'newsletter' / 'index.html'})")


def _empty(args: argparse.Namespace, exc: PublisherError, what_now: str) -> int:
    log.warning("%s: %s", exc, what_now)
    return exc.exit_code if args.fail_if_empty else 0


def digest_report(digest: Digest) -> str:
    featured = sum(a.featured for a in digest.articles)
    more = f", {digest.left_out} more linked" if digest.left_out else ""
    count = len(digest.articles)
    return (f"digest: {count} article{'' if count == 1 else 's'} ({featured} featured{more}), "
            f"{digest.size / 1024:.1f} KB of HTML; subject: {digest.subject}")


PREVIEW_EMPTY = "the preview keeps serving and its page says so; widen the window with --days or --since and reload"


def run_preview(args: argparse.Namespace) -> int:
    from .preview import serve_preview

    config_from_args(args)  # a broken config is a usage error now, not a page later
    serve_preview(preview_renderer(args), host=args.host, port=args.port, open_browser=args.open_browser)
    return 0


def preview_renderer(args: argparse.Namespace) -> Callable[[], Digest]:
    """The preview's render(): everything is read again on each call, so edits show on reload."""
    from .newsletter import preview_digest

    def render() -> Digest:
        config = config_from_args(args)
        return preview_digest(config, request_from_args(args, config), now=now_from_args(args, config),
                              strict=args.strict, if_empty=PREVIEW_EMPTY)

    return render


def smtp_settings_from_args(args: argparse.Namespace, config: Config) -> SmtpSettings:
    """Flags first, then [smtp] in the config; the user may also come from the environment."""
    from .send import SmtpSettings

    host = args.smtp_host or config.smtp_host
    if not host:
        raise ConfigError("no SMTP server: pass --smtp-host HOST or set [smtp] host in the config")
    starttls, ssl = args.starttls, args.ssl
    if starttls is None and ssl is None:
        starttls, ssl = config.smtp_starttls, config.smtp_ssl
    elif starttls is None:  # a flag for one choice replaces the config's choice of the other
        starttls = False
    elif ssl is None:
        ssl = False
    return SmtpSettings(
        host=host,
        port=args.smtp_port or config.smtp_port,
        starttls=bool(starttls),
        ssl=bool(ssl),
        username=args.smtp_user or config.smtp_user or os.environ.get(USER_ENV) or None,
        password=os.environ.get(PASSWORD_ENV),
        timeout=args.smtp_timeout,
        plain_auth=args.insecure_plain_auth,
    )


def check_envelope_and_login(args: argparse.Namespace, config: Config, settings: SmtpSettings | None) -> None:
    """What a send needs besides the digest: recipients, a sender, a password for a user name.

    These depend on the flags, the config and the environment only, so they are checked before any
    article is read or rendered, and a mistake is a usage error (exit 2), not a failed send.
    """
    from .mail import addressed_message
    from .send import envelope

    try:
        envelope(addressed_message(config), to=args.to, sender=args.sender)
        if settings is not None and not args.dry_run:  # a dry run logs in nowhere
            settings.check_login()
    except SendError as exc:
        raise ConfigError(str(exc)) from None


def run_send(args: argparse.Namespace) -> int:
    if args.subscribers:
        from .newsletter_cli import run_send_subscribers

        return run_send_subscribers(args)
    config = config_from_args(args)
    now = now_from_args(args, config)
    # --dry-run shows what would be sent even before a server is configured.
    has_server = bool(args.smtp_host or config.smtp_host)
    settings = smtp_settings_from_args(args, config) if has_server or not args.dry_run else None
    check_envelope_and_login(args, config, settings)
    try:
        run = send_digest(config, None if args.dry_run else settings, request_from_args(args, config), to=args.to,
                          sender=args.sender, now=now, check=args.check, strict=args.strict,
                          lock_timeout=args.lock_timeout)
    except EmptyDigest as exc:
        return _empty(args, exc, "no digest sent")
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


def run_links(args: argparse.Namespace) -> int:
    from .feeds import link_tags
    from .load import load_silently

    config = config_from_args(args)
    # The articles decide whether the default featured feeds exist, so whether to announce them.
    articles = load_silently(config)[0] if Path(config.content_dir).is_dir() else None
    sys.stdout.write(link_tags(config, articles))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
