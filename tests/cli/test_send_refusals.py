"""`publisher send --subscribers` against refusals: a 550 suppresses the address at once, a deferred
subscriber gets the issue from the next run of the same command, no two readers share an
unsubscribe link, an empty unsubscribe token is a usage error, and VERP puts each delivery's token
in its envelope sender. A real SMTP server (aiosmtpd) on 127.0.0.1, the CLI in-process."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from collections import Counter
from email import message_from_bytes, policy

import pytest

import publisher
from publisher.email import delivery
from publisher.email.store import changes, last_digest, open_newsletter, recorded, subscriber, unfinished_issue
from tests.cli.test_subscribers import SECRET, newsletter_site, send_args
from tests.conftest import PROCESS_ENV, publisher_command
from tests.mailserver import Recorder, smtp_server


class Refusing(Recorder):
    """550 for ``refuse`` (or the reply given), 451 for ``later`` while ``deferring`` is true."""

    def __init__(self, refuse: dict[str, str], later: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.replies, self.later, self.deferring = refuse, later, True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.replies:
            return self.replies[address]
        if address in self.later and self.deferring:
            return "451 4.2.2 Mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv("PUBLISHER_UNSUBSCRIBE_SECRET", SECRET)
    monkeypatch.setattr(delivery, "RETRY_DELAYS", (0.05,))


def status(news, address: str) -> str | None:
    with open_newsletter(publisher.load_config(news.config_file)) as db:
        known = subscriber(db, address)
    return known.status if known else None


def test_a_550_at_send_time_suppresses_the_address_at_once_and_a_policy_refusal_counts_as_soft(site, cli, secret):
    handler = Refusing(
        {
            "reader0001@example.net": "550 5.1.1 <reader0001@example.net>: Recipient address rejected: User unknown",
            "reader0002@example.net": "550 5.7.1 Message rejected as spam",
        }
    )
    with smtp_server(handler) as (server, recorder):
        news = newsletter_site(site, server.port, 4)
        first = cli(*send_args(news))
        assert first.code == 0, first.err
        assert "2 sent, 2 failed, 1 bounced now (never sent to again), 1 soft bounces counted of 4" in first.out
        assert status(news, "reader0001@example.net") == "bounced"
        assert status(news, "reader0002@example.net") == "active"  # 5.7.x is about the message, not the address
        with open_newsletter(publisher.load_config(news.config_file)) as db:
            assert subscriber(db, "reader0002@example.net").soft_bounces == 1
            [(_, reason, _)] = changes(db, "reader0001@example.net")
        assert reason.startswith("550 5.1.1 <reader0001@example.net>: Recipient address rejected")
        news.add("next.md", title="Next", date="2026-12-01", featured="true", body="Next week.")
        second = cli(*send_args(news, now="2026-12-02T12:00:00Z", window=("--days", "3")))
    assert second.code == 0, second.err
    assert "1 bounced earlier" in second.out
    got = Counter(m.rcpt_tos[0] for m in recorder.messages)
    assert got == {"reader0000@example.net": 2, "reader0003@example.net": 2}


def test_a_deferred_subscriber_gets_the_issue_from_the_next_run_of_the_same_command(site, cli, secret):
    handler = Refusing({}, later=frozenset({"reader0002@example.net"}))
    with smtp_server(handler) as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        command = send_args(news, "--since-last", window=())
        first = cli(*command)
        assert first.code == 75, first.err
        assert "1 deferred (4xx; run again later)" in first.out and "stays open" in first.err
        config = publisher.load_config(news.config_file)
        with open_newsletter(config) as db:
            assert last_digest(db) is None  # the cut-off waits for the issue to be done
            assert unfinished_issue(db) is not None
        handler.deferring = False
        second = cli(*command)
        assert second.code == 0, second.err
        assert "resuming issue" in second.err and "1 sent, 2 already sent earlier of 3" in second.out
        with open_newsletter(config) as db:
            assert last_digest(db) is not None and unfinished_issue(db) is None
        third = cli(*command)
    assert third.code == 0 and "nothing new since the previous digest" in third.err
    assert Counter(m.rcpt_tos[0] for m in recorder.messages) == {f"reader000{i}@example.net": 1 for i in range(3)}


def test_an_issue_deferred_for_days_is_given_up_and_each_deferral_counted_as_a_soft_bounce(site, cli, secret):
    handler = Refusing({}, later=frozenset({"reader0001@example.net"}))
    with smtp_server(handler) as (server, _):
        news = newsletter_site(site, server.port, 2)
        command = send_args(news, "--since-last", window=())
        assert cli(*command).code == 75
        # Six days on: the issue's first run is in the newsletter's database with the time it started.
        database = sqlite3.connect(news / ".publisher" / "newsletter.sqlite3")
        with database:
            database.execute("UPDATE issues SET started = '2020-01-01T00:00:00+00:00'")
        database.close()
        later = cli(*command)
    assert later.code == 0, later.err
    assert "1 failed, 1 soft bounces counted" in later.out
    with open_newsletter(publisher.load_config(news.config_file)) as db:
        assert unfinished_issue(db) is None and last_digest(db) is not None
        assert subscriber(db, "reader0001@example.net").soft_bounces == 1


def test_an_unsubscribe_url_without_a_token_gets_each_reader_their_own_and_says_so(site, cli, secret):
    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        news.configure(digest={"unsubscribe_url": "https://send.example.org/unsubscribe"})
        ran = cli(*send_args(news))
    assert ran.code == 0, ran.err
    assert "unsubscribe_url has no {token}" in ran.err
    links = set()
    for received in recorder.messages:
        message = message_from_bytes(received.data, policy=policy.default)
        [link] = [u.strip(" <>") for u in message["List-Unsubscribe"].split(",") if "https:" in u]
        assert link.startswith("https://send.example.org/unsubscribe?token=")
        assert link in message.get_body(("html",)).get_content()
        links.add(link)
    assert len(links) == 3


def test_without_the_secret_a_send_that_needs_tokens_is_a_usage_error(site, cli, monkeypatch):
    monkeypatch.delenv("PUBLISHER_UNSUBSCRIBE_SECRET", raising=False)
    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 2)
        news.configure(digest={"unsubscribe_url": "https://send.example.org/unsubscribe"})
        ran = cli(*send_args(news))
    assert ran.code == 2 and "PUBLISHER_UNSUBSCRIBE_SECRET" in ran.err and recorder.messages == []


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_unsubscribe_token_is_a_usage_error(site, cli, token):
    news = site()
    ran = cli("unsubscribe", token, "--config", news.config_file)
    assert ran.code == 2 and "empty" in ran.err


def test_a_token_that_is_not_utf8_is_a_usage_error(site):

    news = site()
    # A shell passes bytes; Python holds the ones that are not UTF-8 as surrogates, which SQLite refuses.
    argv = [*publisher_command("unsubscribe"), b"\xff\xfeAB", "--config", str(news.config_file)]
    ran = subprocess.run(argv, cwd=news, env=PROCESS_ENV, capture_output=True, timeout=60)
    assert ran.returncode == 2 and b"is not UTF-8 text" in ran.stderr and b"bug" not in ran.stderr, ran.stderr


def test_verp_puts_each_deliverys_token_in_its_envelope_sender(site, cli, secret):
    from publisher.email.bounces import verp_delivery

    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        news.configure(digest={"bounce_address": "bounces+{token}@send.example.org"})
        ran = cli(*send_args(news))
    assert ran.code == 0, ran.err
    senders = {m.rcpt_tos[0]: m.mail_from for m in recorder.messages}
    assert len(set(senders.values())) == 3
    with open_newsletter(publisher.load_config(news.config_file)) as db:
        [issue] = {i for (i,) in db.execute("SELECT issue FROM deliveries")}
        assert set(recorded(db, issue).values()) == {"sent"}
        for reader, envelope_from in senders.items():
            assert envelope_from.startswith("bounces+") and envelope_from.endswith("@send.example.org")
            assert verp_delivery("bounces+{token}@send.example.org", [envelope_from.upper()], db) == (reader, issue)


class Relay(Recorder):
    """Keeps each message when its end of data arrives, as Postfix queues it before it replies, and answers
    5 ms later, as a relay across a network does: several connections wait for their replies at once."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(0.005)
        return reply


class Careful(Recorder):
    """Keeps each message only 5 ms after its end of data arrived, just before it replies: a message whose
    client is gone by then is dropped (aiosmtpd cancels the handler), as Exim drops one whose connection
    it finds closed after the final dot."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        await asyncio.sleep(0.005)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("relay", [Relay, Careful], ids=["keeps-at-the-dot", "drops-when-the-client-left"])
def test_a_send_over_eight_connections_repeats_at_most_one_message_a_kill_and_misses_nobody(site, relay):
    import random
    import signal
    import time

    from tests.cli.test_subscribers import ENV
    from tests.conftest import run_publisher, sized

    count, kills, connections = sized(1000, 400), sized(30, 10), 8
    chance, owed = random.Random(), []
    with smtp_server(relay()) as (server, recorder):
        news = newsletter_site(site, server.port, count)
        command = send_args(news, "--connections", str(connections))
        for _ in range(kills):
            kill_after = len(recorder.messages) + chance.randint(5, count // (kills + 2))
            process = subprocess.Popen(
                publisher_command(*command), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            deadline = time.monotonic() + 120
            while len(recorder.messages) < kill_after and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            assert len(recorder.messages) < count, "the kill came too late to test anything"
            time.sleep(0.1)  # the replies the killed send was waiting for (the keeper holds their connections)
            owed.append(duplicates_owed(news, recorder))
        last = run_publisher(*command, cwd=news, env=ENV, timeout=300)
        assert last.returncode == 0, last.stderr
    # Each kill adds at most one: the message whose end of data was on the wire without its row.
    assert all(now - before <= 1 for before, now in zip([0, *owed], owed, strict=False)), owed
    got = Counter(m.rcpt_tos[0] for m in recorder.messages)
    assert set(got) == {f"reader{i:04d}@example.net" for i in range(count)}  # nobody missed
    assert sum(n - 1 for n in got.values()) == owed[-1] <= kills, (owed, got.most_common(3))


def duplicates_owed(news, recorder: Recorder) -> int:
    """The duplicates there will be once the send is run to the end: the copies the server has beyond one
    for each address, and the addresses it has that the journal does not (they will be sent again)."""
    from contextlib import closing

    with closing(sqlite3.connect(news / ".publisher" / "newsletter.sqlite3")) as db:
        journal = {email for (email,) in db.execute("SELECT email FROM deliveries")}
    got = Counter(m.rcpt_tos[0] for m in recorder.messages)
    return sum(n - 1 for n in got.values()) + len(set(got) - journal)


class Unanswered(Recorder):
    """Keeps each message at its end of data and, while ``answering`` is false, never answers it."""

    answering = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        reply = await super().handle_DATA(server, session, envelope)
        while not self.answering:
            await asyncio.sleep(0.01)
        return reply


def test_a_message_whose_reply_a_killed_send_never_read_counts_as_delivered_and_the_next_run_says_so(site):
    import signal
    import time
    from contextlib import closing

    from publisher.email.store import peek_newsletter
    from tests.cli.test_subscribers import ENV
    from tests.conftest import run_publisher

    with smtp_server(Unanswered()) as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        process = subprocess.Popen(
            publisher_command(*send_args(news)), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline, rows = time.monotonic() + 60, 0
        while not rows and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
            db = peek_newsletter(publisher.load_config(news.config_file))
            if db is not None:
                with closing(db):
                    rows = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        assert rows == 1 and len(recorder.messages) == 1  # the first message: handed over, its reply never read
        server.handler.answering = True
        again = run_publisher(*send_args(news), cwd=news, env=ENV)
    assert again.returncode == 0, again.stderr
    assert (
        "1 message(s) were handed to the server before the last send was stopped; their replies were not read; "
        "counted as delivered" in again.stderr
    )
    assert "2 sent, 1 already sent earlier of 3 subscribers" in again.stdout
    assert Counter(m.rcpt_tos[0] for m in recorder.messages) == {f"reader{i:04d}@example.net": 1 for i in range(3)}


BAD_BOUNCE_ADDRESSES = ["bounces@{token}.example.org", "b+{token}{token}@example.org", "b+{id}@example.org", "b"]


@pytest.mark.parametrize("value", BAD_BOUNCE_ADDRESSES)
def test_a_bounce_address_that_cannot_carry_a_token_is_a_configuration_error(value):
    from publisher.errors import ConfigError
    from tests.conftest import make_config

    with pytest.raises(ConfigError, match="bounce_address"):
        make_config(digest={"bounce_address": value})
