"""One error hierarchy for everything publisher raises on purpose.

Messages read like a compiler's: where, what, and what was expected, e.g.
``content/post.md:3: publishDate: '2025-13-45' is not a date (expected YYYY-MM-DD or ISO 8601)``.
"""

from __future__ import annotations

import re
from pathlib import Path

# What must never reach a terminal or a cron mail as itself: C0 and C1 controls (a newline in a file
# name would start a line of its own), lone surrogates (a file name that is not UTF-8), the line and
# paragraph separators, and the bidi embeddings, overrides and isolates that reorder what is shown.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with each character that could forge or reorder a line of output written as an escape
    (``\\n``, ``\\x1b``, ``\\u202e``); a byte of a file name that is not UTF-8 shows as ``\\xe9``."""
    return _UNPRINTABLE.sub(_escape, text) if _UNPRINTABLE.search(text) else text


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if "\udc80" <= char <= "\udcff":  # os.fsdecode's stand-in for a byte that is not UTF-8
        return f"\\x{ord(char) - 0xDC00:02x}"
    return char.encode("unicode_escape").decode("ascii")


def display_path(path: str | Path) -> str:
    """A path as text that can be written anywhere (JSON, a log line, a feed): every byte of a file
    name that is not UTF-8 becomes ``\\xNN``; control characters are escaped by ``printable`` when shown."""
    text = str(path)
    return _SURROGATE.sub(_escape, text) if _SURROGATE.search(text) else text


_SURROGATE = re.compile("[\ud800-\udfff]")


class PublisherError(Exception):
    """Base class of every error publisher raises on purpose."""

    exit_code = 1


# The reason of a file that is not an article at all (a redirect stub, a list page): counted in
# summaries, never reported as a problem, never fatal.
NOT_AN_ARTICLE = "not an article"


class ContentError(PublisherError):
    """An article that cannot be published: names the file, the field and what was expected."""

    def __init__(
        self, path: str | Path | None, field: str | None, message: str, line: int | None = None, reason: str = "invalid"
    ) -> None:
        # Encodable as UTF-8 whatever the file was called, so the error can be logged and stored.
        self.path = display_path(path) if path is not None else None
        self.field = field
        self.message = message
        self.line = line
        # A short, stable word used to group skipped articles in summaries.
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = printable(self.path) if self.path is not None else "<article>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"

    @property
    def is_problem(self) -> bool:
        """False for a file that is not an article at all: nothing to fix, nothing to report."""
        return self.reason != NOT_AN_ARTICLE

    def __reduce__(self) -> tuple[type[ContentError], tuple[object, ...]]:  # picklable for process pools
        return (type(self), (self.path, self.field, self.message, self.line, self.reason))


class ConfigError(PublisherError):
    """The configuration file or a setting given in code is wrong."""

    exit_code = 2


class OutputError(PublisherError):
    """An output could not be written; the previous outputs are left intact."""


class LockError(OutputError):
    """Another run holds the output folder's lock; try again later."""

    exit_code = 75  # EX_TEMPFAIL (sysexits.h): cron wrappers treat it as "try again later"


class SendError(PublisherError):
    """The SMTP server could not be reached or did not accept the message; names host:port and what to do.

    Nothing was delivered to the recipients named in ``refused`` (all of them when it is empty and the
    message never reached the server).
    """

    exit_code = 1

    def __init__(
        self, message: str, *, temporary: bool = False, refused: dict[str, tuple[int, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.refused = dict(refused or {})
        self.temporary = temporary
        if temporary:
            # Unreachable server, timeout or a 4xx reply: the same EX_TEMPFAIL as a held lock, so a
            # cron wrapper can retry later; anything else needs a person to change something.
            self.exit_code = 75


class EmptyDigest(PublisherError):
    """Nothing was published in the window: there is no digest to write or send."""

    exit_code = 3
