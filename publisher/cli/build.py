"""`publisher build` and `publisher links`: the feeds, and the tags that announce them."""

from __future__ import annotations

import argparse
import logging
import sys

from ..engine.pipeline import build
from ..errors import ConfigError, ContentError, PublisherError
from ..feeds.websub import TIMEOUT
from .common import add_common_flags, add_config_flag, config_from_args, now_from_args, seconds

log = logging.getLogger("publisher")


def add_build_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    build = commands.add_parser(
        "build",
        help="write the feeds for a folder of articles",
        description="Read the articles under --content and write Atom and RSS feeds into --out. "
        "Silent on success (unless -v); problems go to stderr.",
    )
    add_common_flags(build)
    build.add_argument(
        "--ping", action="store_true", help="notify the configured WebSub hubs ([feeds] hub) of each feed that changed"
    )
    build.add_argument(
        "--ping-timeout",
        metavar="SECONDS",
        type=seconds(),
        default=TIMEOUT,
        help=f"wait this long for a hub to answer, then retry once (default: {TIMEOUT:g})",
    )
    build.set_defaults(run=run_build)


def add_links_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    links = commands.add_parser(
        "links",
        help="print the <link> tags that announce the feeds, for a page's <head>",
        description='Print one <link rel="alternate"> tag per feed (main and featured; Atom, RSS and JSON '
        "Feed) to paste into the <head> of the site's pages, so that browsers and feed readers find the feeds.",
    )
    add_config_flag(links)
    links.add_argument("--now", metavar="ISO", help="treat this moment as now (ISO 8601), as build does")
    links.set_defaults(run=run_links, content=None, out=None, quiet=0, verbose=0)


def run_build(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    now = now_from_args(args, config)
    if args.ping and not config.feeds.hub:
        raise ConfigError("--ping: no WebSub hub configured (set [feeds] hub in the configuration)")
    said = _Said()
    log.addHandler(said)
    try:
        result = build(
            config,
            now=now,
            strict=args.strict,
            lock_timeout=args.lock_timeout,
            ping=args.ping,
            ping_timeout=args.ping_timeout,
        )
    except ContentError as exc:
        raise PublisherError(f"{exc} (--strict)") from None
    finally:
        log.removeHandler(said)
    # A problem is reported by the build that first sees it; -v names the ones still there on every build.
    for problem in result.errors:
        if problem.is_problem and f"skipped {problem}" not in said.lines:
            log.info("still skipped %s", problem)
    out = config.output_folder
    for name in result.written:
        log.info("wrote %s", out / name)
    for name in result.removed:
        log.info("removed %s (no longer made)", out / name)
    if result.nothing_changed:
        log.info("nothing changed since the last build")
    if args.verbose or (sys.stderr.isatty() and not args.quiet):
        print(result.summary(), file=sys.stderr)
    return 0


class _Said(logging.Handler):
    """The lines this run has logged, to say each problem once."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.add(record.getMessage())


def run_links(args: argparse.Namespace) -> int:
    from ..content.load import load_silently
    from ..feeds import link_tags

    config = config_from_args(args)
    # The articles decide whether the default featured feeds exist, so whether to announce them.
    articles = load_silently(config)[0] if config.content_folder.is_dir() else None
    sys.stdout.write(link_tags(config, articles, now=now_from_args(args, config)))
    return 0
