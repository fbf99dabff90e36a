"""The content folder: which files are articles, how a file's text is decoded, where its body starts.

Kept apart from load.py (YAML, fields) because a run that finds nothing changed needs only the
listing here, and a loaded article's body is read back through ``read_body`` when it reaches an
output; neither needs a YAML parser.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase, translate
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ContentError
from ..text import repair
from .frontmatter import split_text

if TYPE_CHECKING:  # model imports the presets from this package: no cycle at run time
    from ..model import Config

log = logging.getLogger("publisher")

SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One Markdown file of the content folder, as found by ``scan``."""

    path: str  # as articles and messages name it: the content folder joined with ``rel``
    rel: str  # relative to the content folder, "/"-separated
    size: int  # -1 when it cannot be stat()ed (loading it then reports why)
    mtime_ns: int


def scan(root: str | Path, exclude: Sequence[str] = ()) -> tuple[list[SourceFile], list[str]]:
    """Markdown files below ``root`` in path order, and the symbolic links that lead outside it.

    Hidden files and folders are always skipped (a .git folder is never read), and so is what
    ``exclude`` matches (see ``excluded``); linked folders are not entered (as os.walk without
    followlinks); a linked file is kept only when its target is a file inside ``root``.
    """
    is_excluded = matcher([p.lower() for p in exclude])
    root = Path(root)
    base = str(root)
    real_root = root.resolve()
    files: list[tuple[list[str], SourceFile]] = []
    outside: list[tuple[list[str], str]] = []
    stack = [(base, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listing = list(entries)
        except OSError:
            continue  # os.walk skips a folder it cannot list, too
        for entry in listing:
            name = entry.name
            rel = prefix + name
            if entry.is_dir():
                if not name.startswith(".") and not entry.is_symlink() and not is_excluded(rel):
                    stack.append((entry.path, rel + "/"))
                continue
            if name.startswith(".") or not name.lower().endswith(SUFFIXES) or is_excluded(rel):
                continue
            path = _join(base, rel)
            if entry.is_symlink():
                target = Path(path).resolve()
                if not target.is_relative_to(real_root) or not target.is_file():
                    outside.append((rel.split("/"), path))
                    continue
            try:
                stat = entry.stat()
                size, mtime_ns = stat.st_size, stat.st_mtime_ns
            except OSError:
                size = mtime_ns = -1
            files.append((rel.split("/"), SourceFile(path, rel, size, mtime_ns)))
    # Sorted by path components, as pathlib orders paths ("a/x.md" before "a-b/x.md").
    files.sort(key=lambda item: item[0])
    outside.sort(key=lambda item: item[0])
    return [f for _, f in files], [p for _, p in outside]


def matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """``excluded(rel, patterns)`` as one compiled test: a cron run lists every file of the folder,
    and a regular expression per pattern kind is several times faster than fnmatch per pattern."""
    names = [translate(p) for p in patterns if "/" not in p]
    paths = []
    for pattern in (p.lstrip("/") for p in patterns if "/" in p):
        paths.append(translate(pattern))
        if pattern.startswith("**/"):
            paths.append(translate(pattern[3:]))
    name_re = re.compile("|".join(names)) if names else None
    path_re = re.compile("|".join(paths)) if paths else None

    def is_excluded(rel: str) -> bool:
        path = rel.lower()
        if name_re is not None and name_re.match(path.rsplit("/", 1)[-1]):
            return True
        return path_re is not None and path_re.match(path) is not None

    return is_excluded


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    """Whether a file or folder (its "/"-separated path under the content folder) is excluded.

    As in .gitignore: a pattern without "/" is matched against the name alone ("README*", "_*":
    any file or folder so named, anywhere); one with "/" against the whole path from the content
    folder ("drafts/*", "/index.md": only the top one; "**/old/*": at any depth). Matching
    ignores case (README.md, Readme.md). ``patterns`` are lower case already.
    """
    name = rel.rsplit("/", 1)[-1].lower()
    path = rel.lower()
    for pattern in patterns:
        if "/" not in pattern:
            if fnmatchcase(name, pattern):
                return True
            continue
        pattern = pattern.lstrip("/")
        if fnmatchcase(path, pattern) or (pattern.startswith("**/") and fnmatchcase(path, pattern[3:])):
            return True
    return False


def _join(base: str, rel: str) -> str:
    """``str(Path(base) / rel)`` without building a Path per file."""
    if base == ".":
        return rel
    return base + rel if base.endswith("/") else f"{base}/{rel}"


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ContentError(path, None, f"cannot be read ({exc.strerror})", reason="unreadable") from None


def decode(raw: bytes, path: str | Path, config: Config, *, quiet: bool = False) -> tuple[str, bool]:
    """The file's text and whether the configured fallback encoding was needed.

    A UTF-8 byte-order mark is accepted, not mistaken for text. Bytes that are not UTF-8 are an
    error naming the byte, its offset and line, unless ``fallback_encoding`` is set.
    """
    try:
        return raw.decode("utf-8-sig"), False
    except UnicodeDecodeError as exc:
        if config.fallback_encoding:
            if not quiet:
                log.warning("%s: not UTF-8 (byte 0x%02x at offset %d); read as %s", path, raw[exc.start], exc.start,
                            config.fallback_encoding)
            return raw.decode(config.fallback_encoding, errors="replace"), True
        raise ContentError(
            path, None, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8, "
            "or set fallback_encoding (e.g. \"cp1252\") in the config",
            line=raw.count(b"\n", 0, exc.start) + 1, reason="not UTF-8",
        ) from None


def read_body(path: str | Path, config: Config) -> str:
    """The repaired Markdown body of an article file, read again when something needs it."""
    text, _ = decode(read_bytes(path), path, config, quiet=True)
    return repair(split_text(text, path, header_lines=config.preset_rules.header_lines).body)
