"""A newsletter to each subscriber: exactly once through kills and failures, each with a working
unsubscribe link of their own, and nobody who left gets the next issue. A real SMTP server (aiosmtpd)
on 127.0.0.1 and a real SQLite journal; the sender is a real process, killed with SIGKILL."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import html as lxml_html

import publisher
from publisher.email.subscribers import (
    Subscriber,
    open_journal,
    read_subscribers,
    recorded,
    suppressed,
    unsubscribe,
    unsubscribe_token,
    verify_token,
)
from tests.conftest import make_config, write_article
from tests.mailserver import Recorder, smtp_server
from tests.test_send import make_site

SECRET = "a long random secret for the tests"
UNSUBSCRIBE = "https://send.example.org/unsubscribe?t={token}&e={email}"


def newsletter_site(folder: Path, port: int, count: int) -> Path:
    site = make_site(folder, port)
    config = site / "publisher.toml"
    config.write_text(config.read_text().replace('unsubscribe_url = "https://send.example.org/unsubscribe"',
                                                 f'unsubscribe_url = "{UNSUBSCRIBE}"'))
    rows = "".join(f"reader{i:04d}@example.net,Reader {i},plan-{i % 3}\n" for i in range(count))
    (site / "subscribers.csv").write_text("email,name,plan\n" + rows, encoding="utf-8")
    return site


def send_command(site: Path, now: str = "2026-11-25T12:00:00Z", *extra: str) -> list[str]:
    return [sys.executable, "-m", "publisher", "send", "--config", str(site / "publisher.toml"),
            "--subscribers", str(site / "subscribers.csv"), "--days", "30", "--now", now, *extra]


def environment() -> dict[str, str]:
    return {**os.environ, "PUBLISHER_UNSUBSCRIBE_SECRET": SECRET}


def unsubscribe_links(data: bytes) -> tuple[str, set[str], str, str]:
    """(recipient, the unsubscribe URLs found in List-Unsubscribe, the HTML and the text)."""
    message = message_from_bytes(data, policy=policy.default)
    header = re.findall(r"<(https://[^>]+)>", message["List-Unsubscribe"])
    tree = lxml_html.document_fromstring(message.get_body(("html",)).get_content())
    html = [a.get("href") for a in tree.iter("a") if a.text_content() == "Unsubscribe"]
    text = re.findall(r"^Unsubscribe: (\S+)$", message.get_body(("plain",)).get_content(), re.M)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return message["To"].addresses[0].addr_spec, {*header, *html, *text}, message["Message-ID"], message["Date"]


def test_a_thousand_subscribers_each_get_one_message_through_a_kill(tmp_path):
    count = 1000
    kill_after = random.Random().randint(50, count - 50)
    with smtp_server() as (server, recorder):
        site = newsletter_site(tmp_path, server.port, count)
        process = subprocess.Popen(send_command(site), env=environment(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(recorder.messages) < kill_after and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        at_kill = len(recorder.messages)
        assert 0 < at_kill < count, f"the kill came too late to test anything ({at_kill} delivered)"

        again = subprocess.run(send_command(site), env=environment(), capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert "resuming issue 2026-11-25-sora-2-the-lead" in again.stderr
        assert again.stdout.strip().endswith(f"of {count:,} subscribers via 127.0.0.1:{server.port}")
        # A third run finds nothing left to send.
        third = subprocess.run(send_command(site), env=environment(), capture_output=True, text=True, timeout=300)
        assert third.returncode == 0, third.stderr
        assert f"0 sent, {count:,} already sent earlier of {count:,}" in third.stdout

        deliveries = [unsubscribe_links(m.data) for m in recorder.messages]
        per_subscriber = Counter(to for to, *_ in deliveries)
        assert set(per_subscriber) == {f"reader{i:04d}@example.net" for i in range(count)}
        twice = [to for to, n in per_subscriber.items() if n > 1]
        assert len(twice) <= 1 and all(per_subscriber[to] == 2 for to in twice), twice  # the one in flight
        assert len({message_id for _, _, message_id, _ in deliveries}) == len(deliveries)

        tokens = {}
        for to, links, _, _ in deliveries:
            assert len(links) == 1, links  # the same link in the header, the HTML and the text
            query = parse_qs(urlsplit(links.pop()).query)
            assert query["e"] == [to]
            tokens[to] = query["t"][0]
            assert verify_token(SECRET, tokens[to], to, "2026-11-25-sora-2-the-lead")
        assert len(set(tokens.values())) == count

        # A reader unsubscribes through their link's token; the next issue does not reach them.
        leaver = "reader0042@example.net"
        done = subprocess.run([sys.executable, "-m", "publisher", "unsubscribe", tokens[leaver], "--config",
                               str(site / "publisher.toml")], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"unsubscribed {leaver}: no later newsletter goes to it\n"
        write_article(site / "content", "next.md", "---\ntitle: Next week\npublishDate: 2026-12-01\nfeatured: true\n"
                                                     "---\nNews.\n")
        before = len(recorder.messages)
        week = subprocess.run(send_command(site, "2026-12-02T12:00:00Z", "--days", "3"), env=environment(),
                              capture_output=True, text=True, timeout=300)
        assert week.returncode == 0, week.stderr
        assert f"{count - 1:,} sent, 1 unsubscribed of {count:,}" in week.stdout
        later = [unsubscribe_links(m.data)[0] for m in recorder.messages[before:]]
        assert len(later) == count - 1 and leaver not in later


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

    config = make_config(title="Lib", url="https://lib.example.org/",
                         digest={"unsubscribe_url": UNSUBSCRIBE, "from": "Lib <news@lib.example.org>"})
    digest = publisher.render_digest([article("a", featured=True, published=NOW - timedelta(days=1))], config,
                                     now=NOW, for_subscribers=True)
    return config, digest, open_journal(tmp_path / "state.sqlite3")


def test_temporary_refusals_are_retried_and_permanent_ones_recorded_as_failed(tmp_path):
    config, digest, db = library_issue(tmp_path)
    handler = Refusing(refuse=frozenset({"r1@example.net"}), later=frozenset({"r2@example.net", "r3@example.net"}),
                       times=2)
    with smtp_server(handler) as (server, recorder):
        settings = publisher.SmtpSettings("127.0.0.1", server.port)
        report = publisher.send_to_subscribers(digest, subscribers(5), config, settings, db, secret=SECRET,
                                               retry_delays=(0.05, 0.1, 0.2))
    assert report.sent == 4 and report.deferred == {}
    assert report.failed == {"r1@example.net": "550 5.1.1 <r1@example.net>: Recipient address rejected: User unknown"}
    assert sorted(m.rcpt_tos[0] for m in recorder.messages) == [f"r{i}@example.net" for i in (0, 2, 3, 4)]
    assert handler.tries == {"r2@example.net": 2, "r3@example.net": 2}
    assert recorded(db, digest.issue) == {**{f"r{i}@example.net": "sent" for i in (0, 2, 3, 4)},
                                          "r1@example.net": "failed"}


def test_a_subscriber_still_refused_for_now_is_reported_and_gets_it_on_the_next_run(tmp_path):
    config, digest, db = library_issue(tmp_path)
    handler = Refusing(refuse=frozenset(), later=frozenset({"r2@example.net"}), times=3)
    with smtp_server(handler) as (server, recorder):
        settings = publisher.SmtpSettings("127.0.0.1", server.port)
        first = publisher.send_to_subscribers(digest, subscribers(3), config, settings, db, secret=SECRET,
                                              retry_delays=(0.05,))
        assert first.sent == 2 and list(first.deferred) == ["r2@example.net"]
        assert "deferred (4xx; run again later)" in first.summary("x")
        second = publisher.send_to_subscribers(digest, subscribers(3), config, settings, db, secret=SECRET,
                                               retry_delays=(0.05,))
    assert (second.sent, second.earlier, second.deferred) == (1, 2, {})
    assert Counter(m.rcpt_tos[0] for m in recorder.messages) == {f"r{i}@example.net": 1 for i in range(3)}


def test_unsubscribe_by_address_or_token_and_an_unknown_token_is_an_error(tmp_path):
    db = open_journal(tmp_path / "state.sqlite3")
    assert unsubscribe(db, "Someone <Someone@Example.net>") == "someone@example.net"
    with pytest.raises(publisher.PublisherError, match="no delivery has the token 'nope'"):
        unsubscribe(db, "nope")
    assert suppressed(db) == {"someone@example.net"}
    # The journal is an ordinary SQLite database.
    rows = sqlite3.connect(tmp_path / "state.sqlite3").execute("SELECT email, reason FROM suppressions").fetchall()
    assert rows == [("someone@example.net", "unsubscribed by address")]


def test_tokens_are_per_address_and_issue_and_need_the_secret():
    token = unsubscribe_token(SECRET, "A@Example.net", "2026-11-25-x")
    assert token == unsubscribe_token(SECRET, "a@example.net", "2026-11-25-x") and len(token) == 22
    assert token != unsubscribe_token(SECRET, "a@example.net", "2026-12-02-y")
    assert token != unsubscribe_token("another secret", "a@example.net", "2026-11-25-x")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)


def test_the_subscriber_list_reports_bad_rows_and_keeps_merge_fields(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Email,Name,City\na@example.net,Ann,Oslo\nnot an address,Bob,Rome\nA@example.net,Ann again,\n"
                    "c@example.net junk,,\nd@example.net,,Lima\n", encoding="utf-8")
    errors: list[str] = []
    listed = read_subscribers(path, errors)
    assert [(s.email, s.name, dict(s.fields)) for s in listed] == [
        ("a@example.net", "Ann", {"city": "Oslo"}), ("d@example.net", "", {"city": "Lima"})]
    assert errors == [f"{path}:3: email: 'not an address' is not one e-mail address (expected name@example.org); "
                      "skipped",
                      f"{path}:5: email: 'c@example.net junk' is not one e-mail address (expected "
                      "name@example.org); skipped"]
    (tmp_path / "bad.csv").write_text("address\nx@example.net\n")
    with pytest.raises(publisher.ConfigError, match="bad.csv:1: no 'email' column"):
        read_subscribers(tmp_path / "bad.csv")


def test_a_token_url_without_the_secret_is_a_usage_error_before_anything_is_sent(tmp_path, capsys):
    with smtp_server() as (server, recorder):
        site = newsletter_site(tmp_path, server.port, 3)
        env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_UNSUBSCRIBE_SECRET"}
        proc = subprocess.run(send_command(site), env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "set the PUBLISHER_UNSUBSCRIBE_SECRET environment variable" in proc.stderr
    assert recorder.messages == [] and "Traceback" not in proc.stderr


def test_rate_limits_messages_a_second(tmp_path):
    config, digest, db = library_issue(tmp_path)
    with smtp_server() as (server, recorder):
        settings = publisher.SmtpSettings("127.0.0.1", server.port)
        started = time.monotonic()
        publisher.send_to_subscribers(digest, subscribers(6), config, settings, db, secret=SECRET, rate=10)
        elapsed = time.monotonic() - started
    assert len(recorder.messages) == 6 and elapsed >= 0.5  # 6 messages at 10 a second: 5 intervals


def test_a_second_send_waits_for_the_one_running_and_gives_up_with_75(tmp_path):
    from publisher.engine.state import open_state

    with smtp_server() as (server, recorder):
        site = newsletter_site(tmp_path, server.port, 3)
        # Another send --subscribers holds the state folder (both would find the same subscribers unrecorded).
        with open_state(publisher.load_config(site / "publisher.toml"), lock_timeout=0):
            proc = subprocess.run(send_command(site, "2026-11-25T12:00:00Z", "--lock-timeout", "0.2"),
                                  env=environment(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 75, proc.stderr
    assert "another publisher run still holds this state folder" in proc.stderr and recorder.messages == []


def test_since_last_moves_the_cut_off_once_every_subscriber_was_tried(tmp_path):
    from publisher.email.history import last_digest
    from publisher.engine.state import open_state

    with smtp_server() as (server, recorder):
        site = newsletter_site(tmp_path, server.port, 3)
        command = [*send_command(site)[:-4], "--since-last", "--now", "2026-11-25T12:00:00Z"]
        first = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        with open_state(publisher.load_config(site / "publisher.toml")) as store:
            state = last_digest(store)
        assert state is not None and state.until.isoformat() == "2026-11-25T12:00:00+00:00"
        again = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "nothing new since the previous digest" in again.stderr
    assert len(recorder.messages) == 3


def test_a_terminal_gets_a_progress_bar_and_cron_one_line(tmp_path):
    import fcntl
    import pty
    import struct
    import termios
    import threading

    with smtp_server() as (server, recorder):
        site = newsletter_site(tmp_path, server.port, 5)
        parent, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # a terminal has a size
        terminal = bytearray()

        def read() -> None:
            while True:
                try:
                    chunk = os.read(parent, 65536)
                except OSError:  # the other side closed
                    return
                if not chunk:
                    return
                terminal.extend(chunk)

        reader = threading.Thread(target=read)
        reader.start()
        proc = subprocess.Popen(send_command(site), env=environment(), stdout=subprocess.PIPE, stderr=child,
                                stdin=subprocess.DEVNULL)
        os.close(child)
        out, _ = proc.communicate(timeout=120)
        reader.join(timeout=30)
        os.close(parent)
        cron = subprocess.run(send_command(site, "2026-11-26T12:00:00Z"), env=environment(), capture_output=True,
                              text=True, timeout=120)
    assert proc.returncode == 0 and cron.returncode == 0
    assert b"/5 [" in terminal and b"msg/s]" in terminal  # tqdm's bar, drawn on the terminal
    assert out.decode().splitlines()[-1].startswith("issue 2026-11-25-")
    # Under cron (no terminal): no bar, one summary line.
    assert cron.stderr == "" and cron.stdout.count("\n") == 1, (cron.stdout, cron.stderr)
    assert cron.stdout.splitlines()[-1] == ("issue 2026-11-26-sora-2-the-lead: 5 sent of 5 subscribers via "
                                            f"127.0.0.1:{server.port}")
