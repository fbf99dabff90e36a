"""Headless Chromium (Debian's chromium, installed by .ci/run) and a loopback web server, for tests
that check what a browser actually renders. No network beyond 127.0.0.1."""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium package)")
    return path


def chromium(url: str, *args: str, profile: Path, timeout: float = 90) -> str:
    """Run headless Chromium on ``url`` with extra flags (``--dump-dom``, ``--screenshot=...``); its stdout."""
    proc = subprocess.run(
        [chromium_path(), *FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 at a free port; yields the base URL (ending in /)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class Browser:
    """One tab of headless Chromium driven as a reader would, over the DevTools protocol on a pipe
    (``--remote-debugging-pipe``: JSON messages ending in a NUL byte, commands on the browser's fd 3,
    answers and events on its fd 4), so no extra library and no port. ``open`` a page, ``run`` a
    script in it (fill a field, press a button), ``wait_for_load`` of the page that follows."""

    def __init__(self, profile: Path, timeout: float = 30) -> None:
        self.timeout, self.events, self.buffer, self.next_id = timeout, [], b"", 0
        commands, self.to_browser = os.pipe()
        self.from_browser, answers = os.pipe()

        def onto_3_and_4() -> None:  # copies above 10 first, so that neither dup2 overwrites the other's source
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands, answers)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            preexec_fn=onto_3_and_4,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands)
        os.close(answers)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command (to the tab, once attached) and return its result."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if getattr(self, "session", None) and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session  # the tab's commands; Target and Browser are the browser's
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self.next_id:
                assert "error" not in answer, (method, answer["error"])
                return dict(answer.get("result", {}))
            self.events.append(answer)

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for_load()

    def run(self, script: str) -> Any:
        """The value of ``script`` (an expression) in the page."""
        result = self.call("Runtime.evaluate", expression=script, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def press(self, selector: str) -> None:
        """Click the element ``selector`` names (a submit button) and wait for the page it leads to."""
        self.events.clear()
        self.run(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for_load()

    def type(self, selector: str, text: str) -> None:
        """Focus the field ``selector`` names and type ``text`` into it, as keystrokes."""
        self.run(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def wait_for_load(self) -> None:
        """Until the page that is loading (after open, or a script that submits a form) has loaded."""
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._receive())
        self.events.clear()

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_browser], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(self.from_browser, 65536) if ready else b""
            assert chunk, "headless Chromium did not answer in time (or exited)"
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (AssertionError, OSError):
            pass
        finally:
            os.close(self.to_browser)
            os.close(self.from_browser)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def browser(profile: Path) -> Iterator[Browser]:
    """A Browser for the length of the block."""
    tab = Browser(profile)
    try:
        yield tab
    finally:
        tab.close()
