"""`publisher digest` and `publisher preview`: the newsletter written to files, or served to a browser."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..config import Config
from ..email.newsletter import write_digest
from ..errors import EmptyDigest
from ..text import counted
from .common import (
    add_common_flags,
    add_window_flags,
    config_from_args,
    empty,
    now_from_args,
    port_number,
    request_from_args,
)

if TYPE_CHECKING:
    from ..email.digest import Digest

log = logging.getLogger("publisher")


def add_digest_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    digest = commands.add_parser(
        "digest",
        help="write the e-mail digest: digest.html, digest.txt and digest.eml",
        description="Render the newsletter digest of the articles published in a window (default: the last "
        "7 days) and write digest.html, digest.txt and digest.eml into --out.",
    )
    add_common_flags(digest)
    add_window_flags(digest)
    digest.add_argument(
        "--dry-run", action="store_true", help="render and report, write nothing, leave the --since-last state alone"
    )
    digest.set_defaults(run=run_digest)

    preview = commands.add_parser(
        "preview",
        help="serve the digest on http://127.0.0.1:8000 and open it in the browser",
        description="Serve the digest locally: the page shows it at 600 px and 375 px, its headers and its "
        "text part, and renders it again on every reload, so edits to articles, config and templates show "
        "at once. Ctrl-C stops.",
    )
    add_common_flags(preview, lock=False)  # it writes nothing, so it never takes the output folder's lock
    add_window_flags(preview, checks=False)
    preview.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; anything else exposes the preview)",
    )
    preview.add_argument("--port", type=port_number(0), default=8000, help="port (default: 8000; 0 picks a free one)")
    preview.add_argument(
        "--no-open", "--no-browser", dest="open_browser", action="store_false", help="do not open the browser"
    )
    preview.set_defaults(run=run_preview)


def run_digest(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    now = now_from_args(args, config)
    request = request_from_args(args, config)
    try:
        run = write_digest(
            config,
            request,
            now=now,
            check=args.check,
            dry_run=args.dry_run,
            strict=args.strict,
            lock_timeout=args.lock_timeout,
        )
    except EmptyDigest as exc:
        return empty(args, exc, "no digest written")
    if not args.quiet:
        print(digest_report(run.digest))
        if args.check:  # a check that passed says so: silence would not tell the reader it ran
            print("check: no problems found, ready to send")
        if run.written:
            digest_files = [n for n in run.written if n.startswith("digest.")]
            print(f"wrote {', '.join(str(config.output_folder / n) for n in digest_files)}")
            _report_web_page(config, run.digest)
    return 0


def _report_web_page(config: Config, digest: Digest) -> None:
    page = next((name for name in digest.files if name.endswith(".html")), None)
    if page:
        out = config.output_folder
        print(f"web page {out / page} (index: {out / 'newsletter' / 'index.html'})")


def digest_report(digest: Digest) -> str:
    featured = sum(a.featured for a in digest.articles)
    more = f", {digest.left_out} more linked" if digest.left_out else ""
    count = len(digest.articles)
    return (
        f"digest: {counted(count, 'article')} ({featured} featured{more}), "
        f"{digest.size / 1024:.1f} KB of HTML; subject: {digest.subject}"
    )


PREVIEW_EMPTY = "the preview keeps serving and its page says so; widen the window with --days or --since and reload"


def run_preview(args: argparse.Namespace) -> int:
    from ..email.preview import serve_preview

    config_from_args(args)  # a broken config is a usage error now, not a page later
    serve_preview(preview_renderer(args), host=args.host, port=args.port, open_browser=args.open_browser)
    return 0


def preview_renderer(args: argparse.Namespace) -> Callable[[], Digest]:
    """The preview's render(): everything is read again on each call, so edits show on reload; what it
    logs (a skipped article, the check's findings) is said once, by the first render that finds it."""
    from ..email.newsletter import preview_digest

    said = _Once()

    def render() -> Digest:
        config = config_from_args(args)
        log.addFilter(said)
        try:
            return preview_digest(
                config,
                request_from_args(args, config),
                now=now_from_args(args, config),
                strict=args.strict,
                if_empty=PREVIEW_EMPTY,
            )
        finally:
            log.removeFilter(said)

    return render


class _Once(logging.Filter):
    """Lets each message through once (the preview renders again on every request)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self.seen:
            return False
        self.seen.add(message)
        return True
