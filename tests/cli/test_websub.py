"""WebSub: feeds announce their hubs, and `publisher build --ping` tells a real hub on 127.0.0.1
exactly which feeds changed, without ever failing the build over the hub."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from publisher.feeds import websub
from tests.conftest import Site
from tests.hub import Hub, hub_servers, make_hub
from tests.test_websub import BASE, FEEDS_WITH_HUBS


@pytest.fixture
def hubs() -> Iterator[list[Hub]]:
    with hub_servers() as made:
        yield made


@pytest.fixture
def fast_retry(monkeypatch):
    monkeypatch.setattr(websub, "RETRY_PAUSE", 0.0)


def hub_site(site: Callable[..., Site], *hub_urls: str) -> Site:
    """One featured article; ``hub_urls`` as the [feeds] hub list."""
    made = site(title="Hub Site", feeds={"hub": list(hub_urls)})
    made.add("first.md", title="First", date="2025-10-01", featured="true", body="Hello.")
    return made


def test_one_ping_per_changed_feed_and_none_when_nothing_changed(site, cli, hubs):
    hub = make_hub(hubs)
    hubbed = hub_site(site, hub.url)

    assert cli.on(hubbed, "build", "--ping").code == 0
    assert hub.topics() == sorted(BASE + name for name in FEEDS_WITH_HUBS)
    for request in hub.requests:
        assert request["path"] == "/hub"
        assert request["content_type"] == "application/x-www-form-urlencoded"
        assert request["form"]["hub.mode"] == ["publish"]
        assert len(request["form"]["hub.url"]) == 1

    hub.requests.clear()
    assert cli.on(hubbed, "build", "--ping").code == 0
    assert hub.requests == []  # nothing changed, nothing to tell

    hubbed.add("second.md", title="Second, not featured", date="2025-11-01", body="Again.")
    assert cli.on(hubbed, "build", "--ping").code == 0
    assert hub.topics() == [BASE + "atom.xml", BASE + "feed.json", BASE + "rss.xml"]  # featured feeds unchanged


def test_every_hub_hears_of_every_changed_feed(site, cli, hubs):
    first, second = make_hub(hubs), make_hub(hubs)
    assert cli.on(hub_site(site, first.url, second.url), "build", "--ping").code == 0
    assert first.topics() == second.topics() == sorted(BASE + name for name in FEEDS_WITH_HUBS)


# The failing hub answers at once; its timeout is long, so a busy machine cannot turn its 500 into a
# timeout (it once did with 0.3 s at a load of 8).
@pytest.mark.parametrize(
    "answer, timeout, reason", [("fail", "10", "HTTP 500"), ("hang", "0.3", "no answer within 0.3 s")]
)
def test_a_failing_hub_is_retried_once_and_never_fails_the_build(site, cli, hubs, fast_retry, answer, timeout, reason):
    hub = make_hub(hubs, answer)
    hubbed = hub_site(site, hub.url)

    ran = cli.on(hubbed, "build", "--ping", "--ping-timeout", timeout)
    assert ran.code == 0

    assert (hubbed / "feeds" / "atom.xml").is_file()
    hub.wait_for(2 * len(FEEDS_WITH_HUBS))
    assert len(hub.requests) == 2 * len(FEEDS_WITH_HUBS)  # every feed: the ping and one retry
    assert sorted(set(hub.topics())) == sorted(BASE + name for name in FEEDS_WITH_HUBS)
    err = ran.err
    warnings = [line for line in err.splitlines() if line.startswith(f"publisher: hub {hub.url} ")]
    assert len(warnings) == len(FEEDS_WITH_HUBS), err
    assert all(reason in line and "2 attempts" in line for line in warnings), err


def test_an_unreachable_hub_is_a_warning_not_an_error(site, cli, fast_retry):
    with socket.socket() as probe:  # a loopback port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/hub"
    hubbed = hub_site(site, url)
    ran = cli.on(hubbed, "build", "--ping")
    err = ran.err
    assert ran.code == 0
    assert f"publisher: hub {url} was not notified" in err and "refused" in err.lower()


def test_ping_without_a_hub_is_a_usage_error(site, cli):
    hubbed = hub_site(site)  # hub = []
    ran = cli.on(hubbed, "build", "--ping")
    assert ran.code == 2 and "--ping: no WebSub hub configured" in ran.err
    assert not (hubbed / "feeds").exists()


def test_build_without_ping_tells_no_hub(site, cli, hubs):
    hub = make_hub(hubs)
    hubbed = hub_site(site, hub.url)
    assert cli.on(hubbed, "build").code == 0
    assert hub.requests == []
