"""WebSub: feeds announce their hubs, and a hub on 127.0.0.1 is told what changed (`publisher build --ping`
is in tests/cli/test_websub.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import pytest
from lxml import etree

import publisher
from publisher.feeds import websub
from tests.conftest import NOW, article, make_config
from tests.hub import Hub, hub_servers, make_hub

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://example.org/feeds/"
FEEDS_WITH_HUBS = {"atom.xml", "rss.xml", "feed.json", "featured.atom.xml", "featured.rss.xml", "featured.json"}


@pytest.fixture
def hubs() -> Iterator[list[Hub]]:
    with hub_servers() as made:
        yield made


@pytest.fixture
def fast_retry(monkeypatch):
    monkeypatch.setattr(websub, "RETRY_PAUSE", 0.0)


def test_feeds_announce_every_configured_hub_in_atom_and_rss(config):
    config = make_config(title="T", feeds={"hub": ("https://hub.example.net/", "https://b.example/")})
    feeds = publisher.render_feeds([article(featured=True)], config, now=NOW)
    for name in FEEDS_WITH_HUBS:
        if name.endswith(".json"):
            assert json.loads(feeds[name])["hubs"] == [
                {"type": "WebSub", "url": "https://hub.example.net/"},
                {"type": "WebSub", "url": "https://b.example/"},
            ]
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


def test_a_hub_must_be_an_absolute_address():
    with pytest.raises(publisher.ConfigError, match="hub"):
        make_config(title="T", url="https://e.org/", feeds={"hub": "hub.example"})


def test_a_hub_that_refuses_the_ping_is_not_asked_again(hubs, fast_retry, caplog):
    hub = make_hub(hubs, "refuse")
    result = websub.ping(hub.url, BASE + "atom.xml")
    assert not result.ok and result.attempts == 1 and result.reason.startswith("HTTP 400")
    assert len(hub.requests) == 1
    assert f"hub {hub.url} was not notified that {BASE}atom.xml changed: HTTP 400" in caplog.text


def test_library_ping_hubs_returns_what_happened(hubs):
    hub = make_hub(hubs)
    config = make_config(title="T", feeds={"hub": (hub.url,), "archives": False})
    feeds = publisher.render_feeds(
        [article(published=datetime(2025, 1, 1, tzinfo=UTC), featured=True)], config, now=NOW
    )
    results = publisher.feeds.ping_hubs(feeds, ["atom.xml", "featured.atom.xml", "index.html"])
    assert [(r.hub, r.topic, r.ok, r.attempts) for r in results] == [
        (hub.url, BASE + "atom.xml", True, 1),
        (hub.url, BASE + "featured.atom.xml", True, 1),
    ]
