"""A WebSub hub on 127.0.0.1 (http.server) for the ping tests: it records every request and can
answer with an error, refuse, or hang."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hub:
    """A WebSub hub on 127.0.0.1 that records every request; ``answer`` is "ok", "fail", "refuse" or "hang"."""

    def __init__(self, answer: str = "ok") -> None:
        self.answer = answer
        self.requests: list[dict] = []
        self.arrived = threading.Condition()
        self.release = threading.Event()  # a hanging hub answers once the test is over
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode("ascii")
                with hub.arrived:
                    hub.requests.append(
                        {
                            "path": self.path,
                            "content_type": self.headers.get("Content-Type"),
                            "form": urllib.parse.parse_qs(body, strict_parsing=True),
                        }
                    )
                    hub.arrived.notify_all()
                if hub.answer == "hang":
                    hub.release.wait(60)
                status = {"fail": 500, "refuse": 400}.get(hub.answer, 204)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the publisher stopped waiting long ago
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, seconds: float = 30.0) -> None:
        """Until ``count`` requests were read. A publisher that stopped waiting for a hanging hub has
        still sent its request, but on a busy machine this server's thread may read it only after the
        build returned."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, seconds)

    def topics(self) -> list[str]:
        return sorted(url for r in self.requests for url in r["form"]["hub.url"])

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def hub_servers() -> Iterator[list[Hub]]:
    """A list for the hubs a test makes (make_hub); each is closed at the end."""
    made: list[Hub] = []
    try:
        yield made
    finally:
        for hub in made:
            hub.close()


def make_hub(hubs: list[Hub], answer: str = "ok") -> Hub:
    hub = Hub(answer)
    hubs.append(hub)
    return hub
