"""The command line: a thin layer that parses flags and calls the public library.

Exit codes: 0 success, 1 content errors under --strict or an output that could not be written,
2 usage or configuration errors, 75 another run holds the output folder (try again later).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .config import load_config
from .errors import ConfigError, ContentError, PublisherError
from .feeds import render_feeds
from .load import load_articles, parse_date
from .model import Article, Config
from .output import output_lock, remove_stale_temporaries, write_feeds
from .select import select
from .websub import TIMEOUT, ping_hubs

log = logging.getLogger("publisher")
DEFAULT_CONFIG = "publisher.toml"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose - args.quiet)
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"publisher: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except PublisherError as exc:
        print(f"publisher: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="publisher",
        description="Markdown articles in; Atom and RSS feeds out.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
    return parser


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", metavar="DIR", help="folder of Markdown articles (default: from the config)")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: from config, else feeds/)")
    parser.add_argument("--config", metavar="FILE", help=f"configuration file (default: ./{DEFAULT_CONFIG})")
    parser.add_argument("--now", metavar="ISO", help="treat this moment as now (ISO 8601), for tests and back-fills")
    parser.add_argument("--strict", action="store_true", help="a bad article is fatal (exit 1) instead of skipped")
    parser.add_argument("--lock-timeout", metavar="SECONDS", type=float, default=60.0,
                        help="wait this long for another run to finish with the output folder (default: 60)")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print only fatal errors")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="say what was read and written")


def _setup_logging(level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("publisher: %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.ERROR if level < 0 else logging.INFO if level > 0 else logging.WARNING)


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
    if not args.now:
        return datetime.now(UTC)
    parsed = parse_date(args.now, config)
    if parsed is None:
        raise ConfigError(f"--now: {args.now!r} is not a date (expected YYYY-MM-DD or ISO 8601)")
    return parsed


def load_with_summary(args: argparse.Namespace, config: Config, now: datetime) -> list[Article]:
    """Load articles; under --strict the first bad one is fatal. Logs one summary line when any were skipped."""
    errors: list[ContentError] = []
    try:
        articles = load_articles(config.content_dir, config, strict=args.strict, errors=errors)
    except ContentError as exc:
        if args.strict:
            raise PublisherError(f"{exc} (--strict)") from None
        raise
    if errors:
        reasons = Counter(e.reason for e in errors)
        grouped = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        published = len(select(articles, now=now))
        log.warning("%d articles published, %d skipped (%s)", published, len(errors), grouped)
    return articles


def run_build(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    now = now_from_args(args, config)
    if args.ping and not config.hubs:
        raise ConfigError("--ping: no WebSub hub configured (set [feeds] hub in the configuration)")
    with output_lock(config.output_dir, timeout=args.lock_timeout):
        remove_stale_temporaries(config.output_dir)
        articles = load_with_summary(args, config, now)
        feeds = render_feeds(articles, config, now=now)
        written = write_feeds(feeds, config.output_dir)
    for name in written:
        log.info("wrote %s", Path(config.output_dir) / name)
    log.info("%d feeds, %d rewritten, %d unchanged", len(feeds), len(written), len(feeds) - len(written))
    if args.ping:  # after the lock is released: a slow hub never holds up the next run
        ping_hubs(feeds, written, timeout=args.ping_timeout)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
