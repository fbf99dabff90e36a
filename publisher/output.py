"""Putting bytes on disk: atomic replacement, and only when the bytes changed.

An unchanged file keeps its modification time, so web servers keep answering conditional
requests with 304 and rsync/cron pipelines see nothing to do.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from .errors import LockError, OutputError
from .model import DigestState

LOCK_NAME = ".publisher.lock"
DIGEST_STATE = ".digest-state.json"  # where --since-last finds the previous digest's cut-off
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


def write_feeds(feeds: Mapping[str, bytes], out_dir: str | Path) -> list[str]:
    """Write each ``{relative name: bytes}`` under ``out_dir``; returns the names actually rewritten.

    Names may contain sub-folders (``tags/news.atom.xml``) but can never point outside ``out_dir``.
    """
    root = Path(out_dir)
    real_root = root.resolve()
    written = []
    for name, data in sorted(feeds.items()):
        target = root / name
        if Path(name).is_absolute() or not (real_root / name).resolve().is_relative_to(real_root):
            raise OutputError(f"{name}: refusing to write outside the output folder {root}")
        if write_atomic(target, data):
            written.append(name)
    return written


def remove_outputs(names: Iterable[str], out_dir: str | Path) -> list[str]:
    """Delete files an earlier build wrote that this one no longer makes (a tag nobody uses any more).

    Only regular files inside ``out_dir`` are removed; returns the names removed.
    """
    root = Path(out_dir)
    real_root = root.resolve()
    removed = []
    for name in sorted(names):
        target = root / name
        if Path(name).is_absolute() or not (real_root / name).resolve().is_relative_to(real_root):
            continue
        if target.is_symlink() or not target.is_file():
            continue
        try:
            target.unlink()
        except OSError as exc:
            raise OutputError(f"{target}: cannot remove this feed, which is no longer made ({exc.strerror})") from None
        removed.append(name)
    return removed


@contextmanager
def output_lock(out_dir: str | Path, timeout: float = 60.0) -> Iterator[None]:
    """Hold the output folder's lock so that two runs (overlapping cron jobs) never interleave.

    The lock is an flock(2) on ``.publisher.lock``: the kernel releases it when the holder exits,
    however it exits, so a lock left by a killed run never blocks the next one. Waits up to
    ``timeout`` seconds, then raises LockError.
    """
    root = Path(out_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"{root}: cannot create the lock file ({exc.strerror})") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockError(
                        f"{root}: another publisher run still holds {LOCK_NAME} after waiting {timeout:g} s;"
                        " try again later"
                    ) from None
                time.sleep(0.05)
        # Nothing is written into the file: an unchanged run leaves every file in the folder untouched.
        yield
    finally:
        os.close(fd)  # releases the flock


def remove_stale_temporaries(out_dir: str | Path) -> list[Path]:
    """Delete temporary files a killed run left behind. Call it only while holding output_lock."""
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


def read_digest_state(out_dir: str | Path) -> DigestState | None:
    """The previous --since-last digest's state, or None if there was none."""
    path = Path(out_dir) / DIGEST_STATE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = DigestState(
            until=_aware(data["until"]),
            sent={str(slug): _aware(when) for slug, when in data.get("sent", {}).items()},
            message_id=data.get("message_id"),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OutputError(
            f"{path}: not a digest state file ({exc}); delete it, or pass --since / --force to choose the window"
        ) from None
    return state


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return moment


def write_digest_state(out_dir: str | Path, state: DigestState) -> None:
    """Record a digest's cut-off (and what it covered), for the next --since-last digest."""
    data = {
        "until": state.until.isoformat(),
        "message_id": state.message_id,
        "sent": {slug: when.isoformat() for slug, when in sorted(state.sent.items())},
    }
    write_atomic(Path(out_dir) / DIGEST_STATE, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
