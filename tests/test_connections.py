"""A newsletter over several SMTP connections at once (send --connections N): every subscriber gets
exactly one message, refusals are handled as over one connection, and a server that cannot be
reached stops the send with its error; the end of data is recorded when it is handed over and its reply
read after (the kills are in tests/cli/test_send_refusals.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter

import pytest

import publisher
from publisher.email.connections import Pace
from publisher.email.store import recorded
from publisher.errors import SendError
from tests.mailserver import Recorder, closed_port, smtp_server
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


class RefusingAtTheEnd(Recorder):
    """Answers the end of data with a refusal: 451 for ``later`` the first time, 550 for ``refuse``; keeps
    the others, and for ``silent`` waits ``silence`` seconds before it answers (after keeping it)."""

    def __init__(self, later=(), refuse=(), silent=(), silence=0.0) -> None:
        super().__init__()
        self.later, self.refused, self.silent, self.silence = set(later), set(refuse), set(silent), silence

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        [address] = envelope.rcpt_tos
        if address in self.later:
            self.later.discard(address)
            return "451 4.3.0 Try again later"
        if address in self.refused:
            return "550 5.6.0 Message refused"
        reply = await super().handle_DATA(server, session, envelope)
        if address in self.silent:
            await asyncio.sleep(self.silence)
        return reply


@pytest.mark.parametrize("connections", [1, 4])
def test_refusals_of_the_end_of_data_are_deferred_or_recorded_as_failed(tmp_path, connections):
    config, digest, db = library_issue(tmp_path)
    handler = RefusingAtTheEnd(later={"r2@example.net"}, refuse={"r3@example.net"})
    with smtp_server(handler) as (server, recorder):
        settings = publisher.newsletter.SmtpSettings("127.0.0.1", server.port)
        report = publisher.newsletter.send_to_subscribers(
            digest, subscribers(8), config, settings, db, secret=SECRET, connections=connections, retry_delays=(0.05,)
        )
    assert (report.sent, list(report.failed), report.deferred, report.bounced) == (7, ["r3@example.net"], {}, 1)
    assert Counter(m.rcpt_tos[0] for m in recorder.messages) == {f"r{i}@example.net": 1 for i in range(8) if i != 3}
    replies = dict(db.execute("SELECT email, reply FROM deliveries WHERE issue = ?", (digest.issue,)).fetchall())
    assert replies.pop("r3@example.net") == "550 5.6.0 Message refused"
    assert set(replies.values()) == {"250 2.0.0 Ok: queued"}  # r2's 451 left no row behind


def test_a_reply_to_the_end_of_data_that_never_comes_counts_as_sent_and_the_send_goes_on(tmp_path):
    config, digest, db = library_issue(tmp_path)
    handler = RefusingAtTheEnd(silent={"r1@example.net"}, silence=10)
    with smtp_server(handler) as (server, recorder):
        settings = publisher.newsletter.SmtpSettings("127.0.0.1", server.port, timeout=2)
        report = publisher.newsletter.send_to_subscribers(digest, subscribers(4), config, settings, db, secret=SECRET)
    assert (report.sent, report.unread) == (4, 1)
    assert Counter(m.rcpt_tos[0] for m in recorder.messages) == {f"r{i}@example.net": 1 for i in range(4)}
    assert recorded(db, digest.issue) == {f"r{i}@example.net": "sent" for i in range(4)}


def test_lines_that_start_with_a_dot_arrive_as_they_were_written():
    from email.message import EmailMessage

    from publisher.email.connections import SmtpSession

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.net", "dots"
    message.set_content(".hidden\n.\n..two\nlast line without an end")
    handed = []
    with smtp_server() as (server, recorder):
        with SmtpSession(publisher.newsletter.SmtpSettings("127.0.0.1", server.port)) as session:
            assert session.deliver(message, "a@example.org", "b@example.net", lambda: handed.append(1)) == (
                250,
                "2.0.0 Ok: queued",
            )
    assert handed == [1]
    [received] = recorder.messages
    assert received.data.replace(b"\r\n", b"\n") == message.as_bytes()


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_several_connections_over_tls_deliver_each_subscriber_once(tmp_path, tls):
    from tests.mailserver import certificates

    config, digest, db = library_issue(tmp_path)
    certs = certificates(tmp_path)
    server_tls = (
        {"tls_context": certs.server, "require_starttls": True} if tls == "starttls" else {"ssl_context": certs.server}
    )
    with smtp_server(**server_tls) as (server, recorder):
        settings = publisher.newsletter.SmtpSettings("127.0.0.1", server.port, cafile=str(certs.cafile), **{tls: True})
        report = publisher.newsletter.send_to_subscribers(
            digest, subscribers(6), config, settings, db, secret=SECRET, connections=3
        )
    assert report.sent == 6
    assert all(m.tls for m in recorder.messages) or tls == "ssl"  # aiosmtpd notes STARTTLS only
    assert Counter(m.rcpt_tos[0] for m in recorder.messages) == {f"r{i}@example.net": 1 for i in range(6)}
    replies = db.execute("SELECT DISTINCT reply FROM deliveries WHERE issue = ?", (digest.issue,)).fetchall()
    assert replies == [("250 2.0.0 Ok: queued",)]


def test_the_keeper_lets_a_killed_sends_connections_go_once_the_server_answered_the_end_of_data():
    import socket

    from publisher.email.keeper import Keeper

    with socket.create_server(("127.0.0.1", 0)) as server:
        keeper = Keeper(timeout=10)
        waiting, idle = (socket.create_connection(server.getsockname()) for _ in range(2))
        waiting_peer, idle_peer = server.accept()[0], server.accept()[0]
        keeper.waiting(keeper.hold(waiting))
        keeper.hold(idle)
        waiting.close(), idle.close(), keeper.channel.close()  # what the kernel does to a killed send
        idle_peer.settimeout(5)
        assert idle_peer.recv(1) == b""  # not waiting for a reply: closed at once
        waiting_peer.settimeout(0.3)
        with pytest.raises(TimeoutError):
            waiting_peer.recv(1)  # still open: the server may answer the end of data it read
        waiting_peer.sendall(b"250 2.0.0 Ok: queued\r\n")
        waiting_peer.settimeout(5)
        with contextlib.suppress(ConnectionResetError):  # closed with the reply unread: a reset
            assert waiting_peer.recv(1) == b""
        assert keeper.process.wait(timeout=5) == 0
        waiting_peer.close(), idle_peer.close()


def test_a_keeper_that_stopped_reading_never_holds_up_the_send(monkeypatch):
    """A keeper stopped (SIGSTOP, a debugger) filled its channel after about 150 notes and the send
    blocked on the next one for ever, where a keeper killed lets it go on: it now gives up on the keeper."""
    import signal
    import socket
    import time

    from publisher.email import keeper as kept

    monkeypatch.setattr(kept, "STUCK", 0.2)
    keeper = kept.Keeper(timeout=10)
    os.kill(keeper.process.pid, signal.SIGSTOP)
    try:
        with socket.socket() as sock:
            started = time.monotonic()
            for _ in range(2000):  # two notes a message: a thousand subscribers
                keeper.waiting(keeper.hold(sock))
            assert time.monotonic() - started < 5
    finally:
        os.kill(keeper.process.pid, signal.SIGCONT)
        keeper.close()
    assert keeper.process.wait(timeout=5) == 0  # the channel closed: it held nothing, it exits
