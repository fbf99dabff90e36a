"""The library's newsletter to each subscriber: a real SQLite journal, temporary refusals retried and
permanent ones recorded, unsubscribing by address or token, the subscriber list and its merge fields
(`publisher send --subscribers`, its kills and locks, are in tests/cli/test_subscribers.py)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

import publisher
from publisher.email.store import open_journal, recorded, suppressed
from publisher.email.subscribers import read_subscribers, unsubscribe, unsubscribe_token
from publisher.newsletter import Subscriber
from tests.conftest import make_config
from tests.mailserver import Recorder, smtp_server

SECRET = "a long random secret for the tests"
UNSUBSCRIBE = "https://send.example.org/unsubscribe?t={token}&e={email}"


class Refusing(Recorder):
    """Refuses some addresses for good (550) and some for now (451) the first ``times`` times."""

    def __init__(self, refuse: frozenset[str], later: frozenset[str], times: int) -> None:
        super().__init__(refuse=refuse)
        self.later, self.times, self.tries = later, times, Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.later and self.tries[address] < self.times:
            self.tries[address] += 1
            return "451 4.7.1 Greylisted, try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def subscribers(count: int) -> list[Subscriber]:
    return [Subscriber(f"r{i}@example.net", f"R {i}") for i in range(count)]


def library_issue(tmp_path: Path):
    from datetime import timedelta

    from tests.conftest import NOW, article

    config = make_config(
        title="Lib",
        url="https://lib.example.org/",
        digest={"unsubscribe_url": UNSUBSCRIBE, "from": "Lib <news@lib.example.org>"},
    )
    digest = publisher.newsletter.render_digest(
        [article("a", featured=True, published=NOW - timedelta(days=1))], config, now=NOW, for_subscribers=True
    )
    return config, digest, open_journal(tmp_path / "newsletter.sqlite3")


def test_temporary_refusals_are_retried_and_permanent_ones_recorded_as_failed(tmp_path):
    config, digest, db = library_issue(tmp_path)
    handler = Refusing(
        refuse=frozenset({"r1@example.net"}), later=frozenset({"r2@example.net", "r3@example.net"}), times=2
    )
    with smtp_server(handler) as (server, recorder):
        settings = publisher.newsletter.SmtpSettings("127.0.0.1", server.port)
        report = publisher.newsletter.send_to_subscribers(
            digest, subscribers(5), config, settings, db, secret=SECRET, retry_delays=(0.05, 0.1, 0.2)
        )
    assert report.sent == 4 and report.deferred == {}
    assert report.failed == {"r1@example.net": "550 5.1.1 <r1@example.net>: Recipient address rejected: User unknown"}
    assert sorted(m.rcpt_tos[0] for m in recorder.messages) == [f"r{i}@example.net" for i in (0, 2, 3, 4)]
    assert handler.tries == {"r2@example.net": 2, "r3@example.net": 2}
    assert recorded(db, digest.issue) == {
        **{f"r{i}@example.net": "sent" for i in (0, 2, 3, 4)},
        "r1@example.net": "failed",
    }


def test_a_subscriber_still_refused_for_now_is_reported_and_gets_it_on_the_next_run(tmp_path):
    config, digest, db = library_issue(tmp_path)
    handler = Refusing(refuse=frozenset(), later=frozenset({"r2@example.net"}), times=3)
    with smtp_server(handler) as (server, recorder):
        settings = publisher.newsletter.SmtpSettings("127.0.0.1", server.port)
        first = publisher.newsletter.send_to_subscribers(
            digest, subscribers(3), config, settings, db, secret=SECRET, retry_delays=(0.05,)
        )
        assert first.sent == 2 and list(first.deferred) == ["r2@example.net"]
        assert "deferred (4xx; run again later)" in first.summary("x")
        second = publisher.newsletter.send_to_subscribers(
            digest, subscribers(3), config, settings, db, secret=SECRET, retry_delays=(0.05,)
        )
    assert (second.sent, second.earlier, second.deferred) == (1, 2, {})
    assert Counter(m.rcpt_tos[0] for m in recorder.messages) == {f"r{i}@example.net": 1 for i in range(3)}


def test_unsubscribe_by_address_or_token_and_an_unknown_token_is_an_error(tmp_path):
    db = open_journal(tmp_path / "newsletter.sqlite3")
    assert unsubscribe(db, "Someone <Someone@Example.net>") == "someone@example.net"
    with pytest.raises(publisher.PublisherError, match="no delivery has the token 'nope'"):
        unsubscribe(db, "nope")
    assert suppressed(db) == {"someone@example.net"}
    # The journal is an ordinary SQLite database.
    query = "SELECT email, status, reason FROM subscribers"
    rows = sqlite3.connect(tmp_path / "newsletter.sqlite3").execute(query).fetchall()
    assert rows == [("someone@example.net", "unsubscribed", "unsubscribed by address")]


def test_tokens_are_per_address_and_issue_and_need_the_secret():
    token = unsubscribe_token(SECRET, "A@Example.net", "2026-11-25-x")
    assert token == unsubscribe_token(SECRET, "a@example.net", "2026-11-25-x") and len(token) == 22
    assert token != unsubscribe_token(SECRET, "a@example.net", "2026-12-02-y")
    assert token != unsubscribe_token("another secret", "a@example.net", "2026-11-25-x")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)


def test_the_subscriber_list_reports_bad_rows_and_keeps_merge_fields(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "Email,Name,City\na@example.net,Ann,Oslo\nnot an address,Bob,Rome\nA@example.net,Ann again,\n"
        "c@example.net junk,,\nd@example.net,,Lima\n",
        encoding="utf-8",
    )
    errors: list[str] = []
    listed = read_subscribers(path, errors)
    assert [(s.email, s.name, dict(s.fields)) for s in listed] == [
        ("a@example.net", "Ann", {"city": "Oslo"}),
        ("d@example.net", "", {"city": "Lima"}),
    ]
    expected = "(expected name@example.org or Name <name@example.org>); skipped"
    assert errors == [
        f"{path}:3: email: 'not an address' is not one e-mail address {expected}",
        f"{path}:5: email: 'c@example.net junk' is not one e-mail address {expected}",
    ]
    (tmp_path / "bad.csv").write_text("address\nx@example.net\n")
    with pytest.raises(publisher.ConfigError, match="bad.csv:1: no 'email' column"):
        read_subscribers(tmp_path / "bad.csv")


def test_rate_limits_messages_a_second(tmp_path):
    config, digest, db = library_issue(tmp_path)
    with smtp_server() as (server, recorder):
        settings = publisher.newsletter.SmtpSettings("127.0.0.1", server.port)
        started = time.monotonic()
        publisher.newsletter.send_to_subscribers(digest, subscribers(6), config, settings, db, secret=SECRET, rate=10)
        elapsed = time.monotonic() - started
    assert len(recorder.messages) == 6 and elapsed >= 0.5  # 6 messages at 10 a second: 5 intervals
