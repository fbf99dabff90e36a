"""The state folder's lock: an flock on the folder itself, which the kernel releases however the
run that holds it ends, so runs never interleave and a killed one never locks out the next."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, LockError, OutputError

if TYPE_CHECKING:
    from ..config import Config

# The lock descriptors this process holds. A forked child closes its copies at once: the flock
# belongs to the open file, so a child that kept one would keep the folder locked after the run
# that took it was killed, and every later run would wait for that child.
_HELD: set[int] = set()


def _close_held_locks() -> None:
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)


def lock_folder(folder: Path, timeout: float) -> int:
    """Take the state folder's lock, waiting up to ``timeout`` seconds; its descriptor (for unlock_folder)."""
    return hold_lock(folder, timeout, "another publisher run still holds this state folder")


def hold_lock(path: Path, timeout: float, busy: str) -> int:
    """An flock on ``path`` (a folder, or a file that exists), waited for up to ``timeout`` seconds: the
    open descriptor, for unlock_folder. After the wait, LockError ``path: busy after waiting...``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"{path}: cannot open it to lock it ({exc.strerror})") from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _HELD.add(fd)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockError(f"{path}: {busy} after waiting {timeout:g} s; try again later") from None
            time.sleep(0.05)


def unlock_folder(fd: int) -> None:
    """Release a lock taken with lock_folder or hold_lock."""
    _HELD.discard(fd)
    os.close(fd)  # releases the flock


def prepare_folder(config: Config) -> Path:
    """The state folder, created on first use (git-ignored by itself), refused inside the output folder."""
    folder = config.state_folder
    if folder.resolve().is_relative_to(config.output_folder.resolve()):
        raise ConfigError(
            f"state_dir: {folder} is inside the output folder {config.output_folder}, which is served; "
            "keep it beside the configuration (the default, .publisher)"
        )
    return made_folder(folder)


def made_folder(folder: Path) -> Path:
    """``folder``, created when missing, with a .gitignore of its own."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():  # git-ignorable by itself: a site's repository never picks it up
            ignore.write_text("# publisher's state (see README): not for version control\n*\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the state folder ({exc.strerror}); set state_dir") from None
    return folder
