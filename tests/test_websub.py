"""WebSub: feeds announce their hubs, and `publisher build --ping` tells a real hub on 127.0.0.1
exactly which feeds changed, without ever failing the build over the hub."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import feedparser
import pytest
from lxml import etree

import publisher
from publisher.feeds import websub
from tests.conftest import NOW, article, make_config

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://example.org/feeds/"
FEEDS_WITH_HUBS = {"atom.xml", "rss.xml", "feed.json", "featured.atom.xml", "featured.rss.xml", "featured.json"}


class Hub:
    """A WebSub hub on 127.0.0.1 that records every request; ``answer`` is "ok", "fail", "refuse" or "hang"."""

    def __init__(self, answer: str = "ok") -> None:
        self.answer = answer
        self.requests: list[dict] = []
        self.release = threading.Event()  # a hanging hub answers once the test is over
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode("ascii")
                hub.requests.append({
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "form": urllib.parse.parse_qs(body, strict_parsing=True),
                })
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

    def topics(self) -> list[str]:
        return sorted(url for r in self.requests for url in r["form"]["hub.url"])

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hubs() -> Iterator[list[Hub]]:
    made: list[Hub] = []
    yield made
    for hub in made:
        hub.close()


def make_hub(hubs: list[Hub], answer: str = "ok") -> Hub:
    hub = Hub(answer)
    hubs.append(hub)
    return hub


@pytest.fixture
def fast_retry(monkeypatch):
    monkeypatch.setattr(websub, "RETRY_PAUSE", 0.0)


def test_feeds_announce_every_configured_hub_in_atom_and_rss(config):
    config = make_config(title="T", feeds={"hub": ("https://hub.example.net/", "https://b.example/")})
    feeds = publisher.render_feeds([article(featured=True)], config, now=NOW)
    for name in FEEDS_WITH_HUBS:
        if name.endswith(".json"):
            assert json.loads(feeds[name])["hubs"] == [{"type": "WebSub", "url": "https://hub.example.net/"},
                                                       {"type": "WebSub", "url": "https://b.example/"}]
        else:
            root = etree.fromstring(feeds[name])
            parent = root if root.tag == f"{ATOM}feed" else root.find("channel")
            hubs = [ln.get("href") for ln in parent.findall(f"{ATOM}link") if ln.get("rel") == "hub"]
            assert hubs == ["https://hub.example.net/", "https://b.example/"], name
            assert feedparser.parse(feeds[name]).bozo == 0
        assert websub.discover(feeds[name]) == (BASE + name, ("https://hub.example.net/", "https://b.example/"))
    # An archive is not subscribed to: it announces no hub.
    assert websub.discover(feeds["archive/2025.atom.xml"])[1] == ()


def test_no_hub_configured_means_no_hub_link(config):
    feeds = publisher.render_feeds([article()], config, now=NOW)
    assert all(websub.discover(data)[1] == () for data in feeds.values())


def test_a_hub_must_be_an_absolute_address(tmp_path):
    (tmp_path / "publisher.toml").write_text('title = "T"\nurl = "https://e.org/"\n[feeds]\nhub = "hub.example"\n')
    with pytest.raises(publisher.ConfigError, match="hub"):
        publisher.load_config(tmp_path / "publisher.toml")


def test_a_hub_that_refuses_the_ping_is_not_asked_again(hubs, fast_retry, caplog):
    hub = make_hub(hubs, "refuse")
    result = websub.ping(hub.url, BASE + "atom.xml")
    assert not result.ok and result.attempts == 1 and result.reason.startswith("HTTP 400")
    assert len(hub.requests) == 1
    assert f"hub {hub.url} was not notified that {BASE}atom.xml changed: HTTP 400" in caplog.text


def test_library_ping_hubs_returns_what_happened(hubs):
    hub = make_hub(hubs)
    config = make_config(title="T", feeds={"hub": (hub.url,), "archives": False})
    feeds = publisher.render_feeds([article(published=datetime(2025, 1, 1, tzinfo=UTC), featured=True)], config,
                                   now=NOW)
    results = publisher.ping_hubs(feeds, ["atom.xml", "featured.atom.xml", "index.html"])
    assert [(r.hub, r.topic, r.ok, r.attempts) for r in results] == [
        (hub.url, BASE + "atom.xml", True, 1), (hub.url, BASE + "featured.atom.xml", True, 1)]
