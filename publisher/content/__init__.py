"""The content folder: which files are articles, how a file's text is decoded, where its body starts.

Kept apart from load.py (YAML, fields) because a run that finds nothing changed needs only the
listing here, and a loaded article's body is read back through ``read_body`` when it reaches an
output; neither needs a YAML parser.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase, translate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.sections import READ_CEILING
from ..errors import ContentError, display_path
from ..text import repair
from .frontmatter import split_text

if TYPE_CHECKING:
    from ..config import Config

log = logging.getLogger("publisher")

SUFFIXES = (".md", ".markdown", ".mdx")  # .mdx: Markdown with JSX (Docusaurus, Astro), read as content/mdx.py says
_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One Markdown file of the content folder, as found by ``scan``."""

    path: str  # the content folder joined with ``rel``, to open it (a name that is not UTF-8 keeps its bytes)
    rel: str  # relative to the content folder, "/"-separated, always UTF-8 (see errors.display_path)
    size: int  # -1 when it cannot be stat()ed (loading it then reports why)
    mtime_ns: int


def listing(root: str | Path, config: Config) -> tuple[list[SourceFile], list[str]]:
    """The content folder ``root`` as every stage lists it: ``scan`` with the site's [site] exclude."""
    return scan(root, config.site.exclude or ())


def scan(root: str | Path, exclude: Sequence[str] = ()) -> tuple[list[SourceFile], list[str]]:
    """Markdown files below ``root`` in path order, and the symbolic links that lead outside it.

    Hidden files and folders are always skipped (a .git folder is never read), and so is what
    ``exclude`` matches (see ``excluded``); linked folders are not entered (as os.walk without
    followlinks); a linked file is kept unless its target is outside ``root``. Anything else named
    ``*.md`` is listed, whatever it is (a FIFO, a device, a link that loops, a name that is not
    UTF-8): ``read_bytes`` then refuses it with the reason, so that it is named, never opened.
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
            if _is_folder(entry):
                if not name.startswith(".") and not entry.is_symlink() and not is_excluded(rel):
                    stack.append((entry.path, rel + "/"))
                continue
            if name.startswith(".") or not name.lower().endswith(SUFFIXES) or is_excluded(rel):
                continue
            path = _join(base, rel)
            if entry.is_symlink():
                try:
                    target: Path | None = Path(path).resolve(strict=True)
                except (OSError, RuntimeError):  # a loop or a dangling link: reading it says which
                    target = None
                if target is not None and not target.is_relative_to(real_root):
                    outside.append((rel.split("/"), display_path(path)))
                    continue
            try:
                info = entry.stat()
                size, mtime_ns = info.st_size, info.st_mtime_ns
            except OSError:
                size = mtime_ns = -1
            safe = display_path(rel)
            files.append((safe.split("/"), SourceFile(path, safe, size, mtime_ns)))
    # Sorted by path components, as pathlib orders paths ("a/x.md" before "a-b/x.md").
    files.sort(key=lambda item: item[0])
    outside.sort(key=lambda item: item[0])
    return [f for _, f in files], [p for _, p in outside]


OUTSIDE = "link outside content"  # the reason of outside_link's error


def outside_link(path: str) -> ContentError:
    """The problem of a symbolic link in the content folder that leads out of it (``scan`` lists them)."""
    return ContentError(path, None, "symbolic link to a file outside the content folder; not followed", reason=OUTSIDE)


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


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link that loops: listed as a file, and reading it names the problem
        return False


def _join(base: str, rel: str) -> str:
    """``str(Path(base) / rel)`` without building a Path per file."""
    if base == ".":
        return rel
    return base + rel if base.endswith("/") else f"{base}/{rel}"


def read_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``, or ContentError saying why not.

    Only regular files are opened: a FIFO or a device named ``*.md`` would block the run forever
    or never end. A file larger than ``limit`` (default READ_CEILING) is refused before it is read.
    """
    limit = READ_CEILING if limit is None else min(limit, READ_CEILING)
    if display_path(path) != str(path):
        raise ContentError(
            path,
            None,
            "the file name is not UTF-8; rename it (feeds and messages name files in UTF-8)",
            reason="file name not UTF-8",
        )
    try:
        _check_regular(os.stat(path), path, limit)
        # O_NONBLOCK: if the file was swapped for a FIFO since the stat, opening it does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as fh:
            _check_regular(os.fstat(fd), path, limit)
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ContentError(path, None, f"cannot be read ({exc.strerror or exc})", reason="unreadable") from None
    if len(data) > limit:  # it grew since the stat
        raise too_large(path, len(data), limit)
    return data


def _check_regular(info: os.stat_result, path: str | Path, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise ContentError(path, None, f"is {kind}, not a file; not opened", reason="not a file")
    if info.st_size > limit:
        raise too_large(path, info.st_size, limit)


def too_large(path: str | Path, size: int, limit: int) -> ContentError:
    return ContentError(
        path,
        None,
        f"{size:,} bytes is more than max_article_bytes ({limit:,}); raise "
        "max_article_bytes in the config to publish it",
        reason="too large",
    )


def decode(raw: bytes, path: str | Path, config: Config, *, quiet: bool = False) -> tuple[str, bool]:
    """The file's text and whether the configured fallback encoding was needed.

    A UTF-8 byte-order mark is accepted, not mistaken for text. Bytes that are not UTF-8 are an
    error naming the byte, its offset and line, unless ``fallback_encoding`` is set.
    """
    try:
        return raw.decode("utf-8-sig"), False
    except UnicodeDecodeError as exc:
        if config.site.fallback_encoding:
            if not quiet:
                log.warning(
                    "%s: not UTF-8 (byte 0x%02x at offset %d); read as %s",
                    path,
                    raw[exc.start],
                    exc.start,
                    config.site.fallback_encoding,
                )
            return raw.decode(config.site.fallback_encoding, errors="replace"), True
        raise ContentError(
            path,
            None,
            f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8, "
            'or set fallback_encoding (e.g. "cp1252") in the config',
            line=raw.count(b"\n", 0, exc.start) + 1,
            reason="not UTF-8",
        ) from None


def read_body(path: str | Path, config: Config) -> str:
    """The repaired Markdown body of an article file, read again when something needs it."""
    text, _ = decode(read_bytes(path, config.site.max_article_bytes), path, config, quiet=True)
    return markdown_body(split_text(text, path, header_lines=config.preset_rules.header_lines).body, path, config)


def markdown_body(body: str, path: str | Path | None, config: Config) -> str:
    """A file's body as repaired Markdown: an .mdx file's ES modules and JSX taken out (content/mdx.py),
    and every file's where the preset reads Markdown as MDX (Docusaurus)."""
    if config.preset_rules.mdx or (path is not None and str(path).lower().endswith(".mdx")):
        from .mdx import mdx_to_markdown

        body = mdx_to_markdown(body)
    return repair(body)


# The loader's public names (publisher.content.parse_article ...), imported on first use: they need YAML,
# which the listing above, all a build that finds nothing changed reads, does not.
LOADER = ("check", "load_article", "load_articles", "parse_article")


def __getattr__(name: str) -> Any:
    if name in LOADER:
        from . import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
