"""Putting bytes on disk: atomic replacement, and only when the bytes changed.

An unchanged file keeps its modification time, so web servers keep answering conditional
requests with 304 and rsync/cron pipelines see nothing to do.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import OutputError

_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # what write_atomic's mkstemp names look like


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_DEFAULT_MODE = 0o666 & ~_umask()


def write_atomic(path: str | Path, data: bytes) -> bool:
    """Replace ``path`` with ``data`` unless it already holds exactly those bytes.

    The data goes to a temporary file in the same folder, is flushed and fsynced, then renamed
    over the target: a crash at any moment leaves the complete old file or the complete new one.
    Returns True when the file was written.
    """
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise OutputError(f"{path}: cannot be read ({exc.strerror})") from None
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = _DEFAULT_MODE  # what open() would give; mkstemp's 0600 would hide feeds from the web server
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(path.parent)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot be written ({exc.strerror or exc}); the previous file is unchanged"
        ) from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return True


def database_unwritable(path: Path, exc: sqlite3.Error) -> OutputError | None:
    """A database write that failed for want of disk space, said as a file write says it; None for
    anything else. SQLite reports a full disk as SQLITE_FULL, or as SQLITE_IOERR when the file it
    could not grow was its shared-memory index; it does not pass on the errno, so the file system's
    free space tells that case apart from a failing disk."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_IOERR:
        try:
            stat = os.statvfs(path.parent)
            full = stat.f_bavail == 0 or stat.f_favail == 0
        except OSError:
            full = False
        if not full:
            return None
    elif code != sqlite3.SQLITE_FULL:
        return None
    return OutputError(f"{path}: cannot be written ({os.strerror(errno.ENOSPC)}); the previous state is unchanged")


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable (POSIX); not possible on every platform.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def inside(out_dir: str | Path, name: str) -> Path | None:
    """``out_dir / name`` when that stays inside ``out_dir`` (symbolic links followed), else None:
    the one test every write and removal under the output folder passes."""
    root = Path(out_dir)
    real = root.resolve()
    if Path(name).is_absolute() or not (real / name).resolve().is_relative_to(real):
        return None
    return root / name


def write_inside(out_dir: str | Path, name: str, data: bytes) -> bool:
    """write_atomic under the output folder; OutputError for a name that would leave it."""
    target = inside(out_dir, name)
    if target is None:
        raise OutputError(f"{name}: refusing to write outside the output folder {out_dir}")
    return write_atomic(target, data)


def write_files(files: Mapping[str, bytes], out_dir: str | Path) -> list[str]:
    """Write each ``{relative name: bytes}`` under ``out_dir``; returns the names actually rewritten.

    Names may contain sub-folders (``tags/news.atom.xml``) but can never point outside ``out_dir``.
    """
    return [name for name, data in sorted(files.items()) if write_inside(out_dir, name, data)]


def write_feeds(feeds: Mapping[str, bytes], out_dir: str | Path, *, store: Any = None) -> list[str]:
    """Write what ``render_feeds`` returned under ``out_dir``, each file atomically and only when its
    bytes changed; returns the names rewritten. Names may hold sub-folders (``tags/news.atom.xml``) but
    never point outside ``out_dir``. (The digest's files have their own writer:
    ``publisher.newsletter.write_digest_files``.)

    With a ``store`` (``publisher.Store``), feeds from ``render_feeds`` with that store whose
    articles and settings did not change are not even made, and files an earlier call with that
    store wrote into ``out_dir`` and this one does not are removed.
    """
    if store is not None:
        written: list[str] = []
        store.write(feeds, out_dir, written)
        return written
    return write_files(feeds, out_dir)


def remove_outputs(names: Iterable[str], out_dir: str | Path) -> list[str]:
    """Delete files an earlier build wrote that this one no longer makes (a tag nobody uses any more),
    and the folders that leaves empty (``tags/`` after the last tag feed), as a cold build has none.

    Only regular files inside ``out_dir`` are removed; returns the names removed.
    """
    removed = []
    for name in sorted(names):
        target = inside(out_dir, name)
        if target is None or target.is_symlink() or not target.is_file():
            continue
        try:
            target.unlink()
        except OSError as exc:
            raise OutputError(f"{target}: cannot remove this feed, which is no longer made ({exc.strerror})") from None
        removed.append(name)
        _remove_empty_folders(out_dir, name)
    return removed


def _remove_empty_folders(out_dir: str | Path, name: str) -> None:
    """The folders of ``name`` under ``out_dir``, innermost first, while they are empty. rmdir removes
    only an empty folder: one holding anything else (the site's own files) stays, and so does a link."""
    parts = Path(name).parts[:-1]
    for depth in range(len(parts), 0, -1):
        folder = Path(out_dir, *parts[:depth])
        if folder.is_symlink():
            return
        try:
            folder.rmdir()
        except OSError:
            return


def remove_stale_temporaries(out_dir: str | Path) -> list[Path]:
    """Delete temporary files a killed run left behind. Call it only while holding the state lock."""
    removed = []
    for folder, _, files in os.walk(out_dir):
        for name in files:
            if _TEMPORARY.match(name):
                path = Path(folder) / name
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass
    return removed
