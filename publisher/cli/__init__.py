"""The command line: a thin layer that parses flags and calls the public library.

Exit codes: 0 success, 1 content errors under --strict, an output that could not be written, a
digest that failed --check, or a message the SMTP server refused; 2 usage or configuration errors
(send: also no recipient, a malformed address, a user without a password); 3 an empty digest under
--fail-if-empty; 75 try again later: another run holds the output folder, or the SMTP server could
not be reached (its name included) or answered with a temporary (4xx) error.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..errors import PublisherError, printable
from .bounces import add_bounces_command
from .build import add_build_command, add_links_command
from .digest import add_digest_commands
from .newsletter import add_unsubscribe_command
from .send import add_send_command
from .serve import add_serve_command
from .site import add_site_commands
from .subscribers import add_subscribers_command

# The commands import what they render with (digest, feeds, preview, SMTP) when they run: a
# build that finds nothing changed must not pay for Markdown, feedgen, lxml, Jinja2 or premailer.

log = logging.getLogger("publisher")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with _logging_to_stderr(args.verbose - args.quiet):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        code: int = args.run(args)
        return code
    except PublisherError as exc:
        print(f"publisher: error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `publisher links | head -1`: the reader went away, which is no bug of ours
        _quiet_stdout()
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one clear line for cron mail, the traceback with -v
        # At INFO, the level -v sets: the line below promises that -v shows where it happened.
        log.info("the traceback of the bug below", exc_info=True)
        print(
            f"publisher: error: this is a bug in publisher, please report it: {type(exc).__name__}: "
            f"{printable(str(exc))[:500]} (run again with -v to see where it happened)",
            file=sys.stderr,
        )
        return 1


def _quiet_stdout() -> None:
    # Python flushes stdout again at exit and would report the closed pipe there: point it at
    # /dev/null first (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # not a file (a test's StringIO)
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="publisher", description="Markdown articles in; Atom and RSS feeds and an e-mail digest out."
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add_build_command(commands)
    add_digest_commands(commands)
    add_send_command(commands)
    add_unsubscribe_command(commands)
    add_subscribers_command(commands)
    add_bounces_command(commands)
    add_serve_command(commands)
    add_links_command(commands)
    add_site_commands(commands)
    return parser


class _Version(argparse.Action):
    """--version, reading the version (package metadata, slow to import) only when asked."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        from .. import __version__

        parser.exit(message=f"{parser.prog} {__version__}\n")


@contextmanager
def _logging_to_stderr(level: int) -> Iterator[None]:
    """For the command's run, publisher's log lines go to stderr as "publisher: ..." lines; afterwards the
    logger is as it was, so a program (or a test) that calls main() in-process keeps its own logging."""
    before = (log.handlers[:], log.propagate, log.level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("publisher: %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.ERROR if level < 0 else logging.INFO if level > 0 else logging.WARNING)
    try:
        yield
    finally:
        log.handlers[:], log.propagate = before[0], before[1]
        log.setLevel(before[2])


class _OneLine(logging.Formatter):
    """Each message stays one line: a newline in a file name cannot forge a line of cron mail."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.exc_info or record.stack_info:  # a traceback (-v only) keeps its lines
            return text
        return printable(text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
