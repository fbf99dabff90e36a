"""A newsletter over several SMTP connections at once (send --connections N): every subscriber gets
exactly one message, refusals are handled as over one connection, and a server that cannot be
reached stops the send with its error (the kills are in tests/cli/test_send_refusals.py)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

import publisher
from publisher.email.connections import Pace
from publisher.email.store import recorded
from publisher.errors import SendError
from tests.mailserver import closed_port, smtp_server
from tests.test_subscribers import SECRET, Refusing, library_issue, subscribers


class Slow(Refusing):
    """Answers the end of each message after a pause, as a relay across a network does, and notes
    which connection (client port) each message came over."""

    def __init__(self, delay: float, **refusing) -> None:
        super().__init__(**refusing)
        self.delay, self.peers = delay, Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        await asyncio.sleep(self.delay)
        self.peers[session.peer[1]] += 1
        return await super().handle_DATA(server, session, envelope)


def test_several_connections_deliver_each_subscriber_exactly_once(tmp_path):
    config, digest, db = library_issue(tmp_path)
    handler = Slow(0.01, refuse=frozenset({"r5@example.net"}), later=frozenset({"r7@example.net"}), times=1)
    with smtp_server(handler) as (server, recorder):
        settings = publisher.newsletter.SmtpSettings("127.0.0.1", server.port)
        report = publisher.newsletter.send_to_subscribers(
            digest, subscribers(40), config, settings, db, secret=SECRET, connections=4, retry_delays=(0.05,)
        )
    assert (report.sent, list(report.failed), report.deferred) == (39, ["r5@example.net"], {})
    arrived = Counter(m.rcpt_tos[0] for m in recorder.messages)
    assert arrived == {f"r{i}@example.net": 1 for i in range(40) if i != 5}
    assert len(handler.peers) >= 4  # the retry of r7 comes over a connection of its own
    assert sum(1 for n in handler.peers.values() if n > 1) == 4
    journal = recorded(db, digest.issue)
    assert journal.pop("r5@example.net") == "failed" and set(journal.values()) == {"sent"} and len(journal) == 39


def test_a_server_that_cannot_be_reached_stops_every_connection(tmp_path):
    config, digest, db = library_issue(tmp_path)
    with closed_port() as port, pytest.raises(SendError, match=f"127.0.0.1:{port}"):
        settings = publisher.newsletter.SmtpSettings("127.0.0.1", port, timeout=2)
        publisher.newsletter.send_to_subscribers(
            digest, subscribers(10), config, settings, db, secret=SECRET, connections=3
        )
    assert recorded(db, digest.issue) == {}


def test_the_pace_holds_over_every_connection_together():
    import threading
    import time

    pace, stamps = Pace(50.0), []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(5):
            pace.wait()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    # 20 slots 20 ms apart: the last is at least 19 intervals after the first, whatever the threads did.
    assert stamps[-1] - stamps[0] >= 19 * 0.02 * 0.95
