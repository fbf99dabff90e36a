"""WebSub: feeds announce their hubs, and `publisher build --ping` tells a real hub on 127.0.0.1
exactly which feeds changed, without ever failing the build over the hub."""

from __future__ import annotations

import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.feeds import websub
from tests.conftest import NOW, write_article

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


def make_site(tmp_path: Path, *hub_urls: str) -> Path:
    site = tmp_path / "site"
    hub_list = ", ".join(f'"{url}"' for url in hub_urls)
    write_article(site / "content", "first.md", """
        ---
        title: First
        publishDate: 2025-10-01
        featured: true
        ---
        Hello.
        """)
    (site / "publisher.toml").write_text(
        'title = "Hub Site"\nurl = "https://example.org/"\ncontent = "content"\noutput = "feeds"\n'
        f"[feeds]\nhub = [{hub_list}]\n", encoding="utf-8")
    return site


def build(site: Path, *extra: str) -> int:
    return main(["build", "--config", str(site / "publisher.toml"), "--now", NOW.isoformat(), "--ping", *extra])


def test_one_ping_per_changed_feed_and_none_when_nothing_changed(tmp_path, hubs):
    hub = make_hub(hubs)
    site = make_site(tmp_path, hub.url)

    assert build(site) == 0
    assert hub.topics() == sorted(BASE + name for name in FEEDS_WITH_HUBS)
    for request in hub.requests:
        assert request["path"] == "/hub"
        assert request["content_type"] == "application/x-www-form-urlencoded"
        assert request["form"]["hub.mode"] == ["publish"]
        assert len(request["form"]["hub.url"]) == 1

    hub.requests.clear()
    assert build(site) == 0
    assert hub.requests == []  # nothing changed, nothing to tell

    write_article(site / "content", "second.md", """
        ---
        title: Second, not featured
        publishDate: 2025-11-01
        ---
        Again.
        """)
    assert build(site) == 0
    assert hub.topics() == [BASE + "atom.xml", BASE + "feed.json", BASE + "rss.xml"]  # featured feeds unchanged


def test_every_hub_hears_of_every_changed_feed(tmp_path, hubs):
    first, second = make_hub(hubs), make_hub(hubs)
    assert build(make_site(tmp_path, first.url, second.url)) == 0
    assert first.topics() == second.topics() == sorted(BASE + name for name in FEEDS_WITH_HUBS)


@pytest.mark.parametrize("answer, reason", [("fail", "HTTP 500"), ("hang", "no answer within 0.3 s")])
def test_a_failing_hub_is_retried_once_and_never_fails_the_build(tmp_path, hubs, fast_retry, capsys, answer, reason):
    hub = make_hub(hubs, answer)
    site = make_site(tmp_path, hub.url)

    assert build(site, "--ping-timeout", "0.3") == 0

    assert (site / "feeds" / "atom.xml").is_file()
    assert len(hub.requests) == 2 * len(FEEDS_WITH_HUBS)  # every feed: the ping and one retry
    assert sorted(set(hub.topics())) == sorted(BASE + name for name in FEEDS_WITH_HUBS)
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith(f"publisher: hub {hub.url} ")]
    assert len(warnings) == len(FEEDS_WITH_HUBS), err
    assert all(reason in line and "2 attempts" in line for line in warnings), err


def test_an_unreachable_hub_is_a_warning_not_an_error(tmp_path, fast_retry, capsys):
    with socket.socket() as probe:  # a loopback port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/hub"
    site = make_site(tmp_path, url)
    assert build(site) == 0
    err = capsys.readouterr().err
    assert f"publisher: hub {url} was not notified" in err and "refused" in err.lower()


def test_ping_without_a_hub_is_a_usage_error(tmp_path, capsys):
    site = make_site(tmp_path)  # hub = []
    assert build(site) == 2
    assert "--ping: no WebSub hub configured" in capsys.readouterr().err
    assert not (site / "feeds").exists()


def test_build_without_ping_tells_no_hub(tmp_path, hubs):
    hub = make_hub(hubs)
    site = make_site(tmp_path, hub.url)
    assert main(["build", "--config", str(site / "publisher.toml"), "--now", NOW.isoformat()]) == 0
    assert hub.requests == []
