"""The second core: half of a build's parsing or rendering done in a forked process that cannot
outlive the build nor keep its lock.

Measured on this 2-core machine (benchmarks/README.md), a cold build of 10,000 articles took
14.7 s without it and 8.3 s with it (the parse and the render each split in two), so it pays;
below about a thousand files to parse or 2,000 articles to render the fork costs more than it saves
(prerender.py says what it costs).

What makes it safe to kill the build at any moment (SIGKILL, or the SIGTERM that ``timeout`` and
systemd send):

- the child closes its copy of the state folder's lock at the fork (state.py registers that), so
  only the build holds it and a later run goes on as soon as the build is gone;
- on Linux the child asks the kernel for SIGKILL when the build dies (PR_SET_PDEATHSIG), so no
  orphan goes on working for nobody; elsewhere it finishes its bounded half and exits;
- its results go into an anonymous temporary file, never a pipe it could block on for ever; the
  build reads them after the child has exited, one pickled batch at a time.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Forked:
    """One forked child running ``work(out)``; ``results()`` gives back what it wrote to ``out`` with ``put``."""

    def __init__(self, pid: int, out: IO[bytes]) -> None:
        self.pid: int | None = pid
        self.out = out
        self.ok = False

    @classmethod
    def start(cls, work: Callable[[IO[bytes]], None], folder: Path | str | None = None) -> Forked | None:
        """Fork a child running ``work``; None where there is no second core or no fork."""
        if (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
            return None
        try:  # unlinked from the start: nothing is left behind; beside the state, not in a /tmp in memory
            out = tempfile.TemporaryFile(dir=folder if folder is not None and Path(folder).is_dir() else None)
        except OSError:
            return None
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            out.close()
            return None
        if pid == 0:  # the child: work, then leave without running any of the build's cleanup
            code = 1
            try:
                _die_with(parent)
                logging.getLogger("publisher").disabled = True  # the build reports, in order
                work(out)
                out.flush()
                code = 0
            finally:
                os._exit(code)
        return cls(pid, out)

    def results(self) -> Iterator[Any]:
        """Wait for the child, then each object it put, in order; nothing if it failed."""
        self._wait()
        if not self.ok:
            return
        self.out.seek(0)
        while True:
            try:
                yield pickle.load(self.out)
            except EOFError:
                break
            except (pickle.UnpicklingError, ValueError, OSError):  # a torn file: the caller redoes what is missing
                break
        self.out.close()

    def stop(self) -> None:
        """Kill the child if it still runs (the build gave up on it) and let go of its file."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._wait()
        self.out.close()

    def _wait(self) -> None:
        if self.pid is None:
            return
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        self.ok = os.waitstatus_to_exitcode(status) == 0


def put(out: IO[bytes], value: Any) -> None:
    """In the child: one result for ``Forked.results``."""
    pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when ``parent`` dies (Linux); leave now if it already has."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the child finishes its bounded half and exits
        pass
    if os.getppid() != parent:  # the parent died between the fork and the prctl
        os._exit(1)
