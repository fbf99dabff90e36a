"""WebSub publishing: tell the hubs a feed announces that the feed changed.

A feed announces its hubs with ``<link rel="hub">`` and its topic URL with ``<link rel="self">``
(W3C WebSub, section 4: Atom links, or atom:link inside an RSS channel). After a build, each
changed feed that announces hubs is sent to each of them as a form-encoded POST of
``hub.mode=publish`` and ``hub.url=<topic>``, the publish ping hubs such as
pubsubhubbub.appspot.com and Superfeedr accept (WebSub leaves the publisher-to-hub notification
to the hub; this is the PubSubHubbub 0.4 form they kept). The hub then fetches the feed itself
and pushes it to the subscribers.

A hub that is down, slow or refusing never fails a build: each ping gets a timeout and one retry,
and what still failed is logged as a warning naming the hub and the reason.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..text import counted

log = logging.getLogger("publisher")

ATOM_NS = "http://www.w3.org/2005/Atom"
TIMEOUT = 10.0  # seconds per attempt
RETRY_PAUSE = 2.0  # seconds between the first attempt and the retry


@dataclass(frozen=True)
class Ping:
    """The outcome of notifying one hub about one topic."""

    hub: str
    topic: str
    ok: bool
    attempts: int
    reason: str = ""  # why it failed: "HTTP 500 Internal Server Error", "timed out after 10 s", ...


def discover(document: bytes) -> tuple[str | None, tuple[str, ...]]:
    """A feed's topic URL (its self link) and the hubs it announces; ``(None, ())`` when it has none.

    Reads Atom (``<link rel="hub">`` on the feed), RSS 2.0 (``atom:link`` in the channel) and JSON
    Feed (``feed_url`` and ``hubs``). Entry-level links are not the feed's and are not looked at.
    """
    stripped = document.lstrip()
    if stripped.startswith(b"{"):
        try:
            data = json.loads(document)
        except ValueError:
            return None, ()
        hubs = tuple(h["url"] for h in data.get("hubs", ()) if isinstance(h, dict) and isinstance(h.get("url"), str))
        topic = data.get("feed_url")
        return (topic if isinstance(topic, str) else None), hubs
    from lxml import etree  # imported when there is something to ping about

    try:
        root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None, ()
    parent = root.find("channel") if root.tag == "rss" else root
    if parent is None:
        return None, ()
    links = parent.findall(f"{{{ATOM_NS}}}link")
    topic = next((ln.get("href") for ln in links if ln.get("rel") == "self"), None)
    hubs = tuple(ln.get("href") for ln in links if ln.get("rel") == "hub" and ln.get("href"))
    return topic, hubs


def ping_hubs(
    feeds: Mapping[str, bytes], changed: Iterable[str], *, timeout: float = TIMEOUT, retry_pause: float | None = None
) -> list[Ping]:
    """Notify the hubs of every changed feed that announces hubs: one ping per feed and hub.

    ``feeds`` is what ``render_feeds`` returned and ``changed`` what ``write_feeds`` rewrote.
    Failures are logged as warnings and returned; nothing here raises over a hub.
    """
    results = []
    for name in changed:
        topic, hubs = discover(feeds[name])
        if topic is None:
            continue
        for hub in hubs:
            results.append(ping(hub, topic, timeout=timeout, retry_pause=retry_pause))
    return results


def ping(hub: str, topic: str, *, timeout: float = TIMEOUT, retry_pause: float | None = None) -> Ping:
    """POST ``hub.mode=publish&hub.url=<topic>`` to ``hub``; retried once unless the hub refused it (4xx).

    ``timeout`` bounds each wait for the hub; the retry comes ``retry_pause`` seconds (default
    RETRY_PAUSE) after a failed first attempt.
    """
    # Imported here, not at the top: `publisher build` reads TIMEOUT for its --help on every run.
    import http.client
    import urllib.error
    import urllib.parse
    import urllib.request

    from .. import __version__

    body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii")
    reason = ""
    for attempt in (1, 2):
        if attempt == 2:
            time.sleep(RETRY_PAUSE if retry_pause is None else retry_pause)
        request = urllib.request.Request(
            hub,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": f"publisher/{__version__} (WebSub publish)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
            log.info("hub %s notified that %s changed", hub, topic)
            return Ping(hub, topic, ok=True, attempts=attempt)
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code} {exc.reason}".rstrip()
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                break  # the hub refused this ping; asking again gets the same answer
        except TimeoutError:
            reason = f"no answer within {timeout:g} s"
        except urllib.error.URLError as exc:
            cause = exc.reason
            if isinstance(cause, TimeoutError):
                reason = f"no answer within {timeout:g} s"
            else:
                reason = str(getattr(cause, "strerror", None) or cause)
        except (OSError, ValueError, http.client.HTTPException) as exc:  # reset mid-answer, garbled reply
            reason = str(exc) or type(exc).__name__
    attempts = attempt
    log.warning(
        "hub %s was not notified that %s changed: %s (%s); the feeds are written",
        hub,
        topic,
        reason,
        counted(attempts, "attempt"),
    )
    return Ping(hub, topic, ok=False, attempts=attempts, reason=reason)
