"""`publisher send --subscribers`: a newsletter to each subscriber, exactly once through kills and
failures, each with a working unsubscribe link of their own, and nobody who left gets the next issue.
A real SMTP server (aiosmtpd) on 127.0.0.1 and a real SQLite journal; the sender is a real process,
killed with SIGKILL."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import html as lxml_html

import publisher
from publisher.email.subscribers import verify_token
from publisher.newsletter import Subscriber
from tests.conftest import NOW_ARG, PROCESS_ENV, Site, publisher_command, run_publisher, sized
from tests.mailserver import smtp_server
from tests.test_send import send_site

SECRET = "a long random secret for the tests"
UNSUBSCRIBE = "https://send.example.org/unsubscribe?t={token}&e={email}"


# The sender as cron runs it: its own process, the secret in its environment.
ENV = {**PROCESS_ENV, "PUBLISHER_UNSUBSCRIBE_SECRET": SECRET}


def newsletter_site(site: Callable[..., Site], port: int, count: int) -> Site:
    """The send tests' site with a per-subscriber unsubscribe link and ``count`` subscribers in subscribers.csv."""
    news = send_site(site, port, digest={"unsubscribe_url": UNSUBSCRIBE})
    rows = "".join(f"reader{i:04d}@example.net,Reader {i},plan-{i % 3}\n" for i in range(count))
    (news / "subscribers.csv").write_text("email,name,plan\n" + rows, encoding="utf-8")
    return news


def send_args(news: Site, *extra: str, now: str = NOW_ARG, window: tuple[str, ...] = ("--days", "30")) -> list[str]:
    """``publisher send`` to every subscriber of ``news``."""
    return [
        "send",
        "--config",
        str(news.config_file),
        "--subscribers",
        str(news / "subscribers.csv"),
        *window,
        "--now",
        now,
        *extra,
    ]


def unsubscribe_links(data: bytes) -> tuple[str, set[str], str, str]:
    """(recipient, the unsubscribe URLs found in List-Unsubscribe, the HTML and the text)."""
    message = message_from_bytes(data, policy=policy.default)
    header = re.findall(r"<(https://[^>]+)>", message["List-Unsubscribe"])
    tree = lxml_html.document_fromstring(message.get_body(("html",)).get_content())
    html = [a.get("href") for a in tree.iter("a") if a.text_content() == "Unsubscribe"]
    text = re.findall(r"^Unsubscribe: (\S+)$", message.get_body(("plain",)).get_content(), re.M)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return message["To"].addresses[0].addr_spec, {*header, *html, *text}, message["Message-ID"], message["Date"]


def test_a_thousand_subscribers_each_get_one_message_through_a_kill(site):
    count = sized(1000, 250)  # a thousand in CI; a quarter of them took a quarter of the time here
    kill_after = random.Random().randint(50, count - 50)
    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, count)
        process = subprocess.Popen(
            publisher_command(*send_args(news)), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while len(recorder.messages) < kill_after and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        at_kill = len(recorder.messages)
        assert 0 < at_kill < count, f"the kill came too late to test anything ({at_kill} delivered)"

        again = run_publisher(*send_args(news), cwd=news, env=ENV, timeout=300)
        assert again.returncode == 0, again.stderr
        assert "resuming issue 2026-11-25-sora-2-the-lead" in again.stderr
        assert again.stdout.strip().endswith(f"of {count:,} subscribers via 127.0.0.1:{server.port}")
        # A third run finds nothing left to send.
        third = run_publisher(*send_args(news), cwd=news, env=ENV, timeout=300)
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
        done = run_publisher("unsubscribe", tokens[leaver], "--config", news.config_file, cwd=news, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"unsubscribed {leaver}: no later newsletter goes to it\n"
        news.add("next.md", title="Next week", date="2026-12-01", featured="true", body="News.")
        before = len(recorder.messages)
        week = run_publisher(
            *send_args(news, "--days", "3", now="2026-12-02T12:00:00Z"), cwd=news, env=ENV, timeout=300
        )
        assert week.returncode == 0, week.stderr
        assert f"{count - 1:,} sent, 1 unsubscribed of {count:,}" in week.stdout
        later = [unsubscribe_links(m.data)[0] for m in recorder.messages[before:]]
        assert len(later) == count - 1 and leaver not in later


def subscribers(count: int) -> list[Subscriber]:
    return [Subscriber(f"r{i}@example.net", f"R {i}") for i in range(count)]


def test_a_token_url_without_the_secret_is_a_usage_error_before_anything_is_sent(site):
    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        env = {k: v for k, v in PROCESS_ENV.items() if k != "PUBLISHER_UNSUBSCRIBE_SECRET"}
        proc = run_publisher(*send_args(news), cwd=news, env=env)
    assert proc.returncode == 2
    assert "set the PUBLISHER_UNSUBSCRIBE_SECRET environment variable" in proc.stderr
    assert recorder.messages == [] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["/dev/zero", "a FIFO", "a folder"])
def test_a_subscriber_list_that_is_not_a_regular_file_is_refused_before_it_is_read(site, tmp_path, kind):
    # /dev/zero never ends and a FIFO without a writer never answers: either blocked the send forever.
    if kind == "a FIFO":
        listed = tmp_path / "subscribers.csv"
        os.mkfifo(listed)
    else:
        listed = tmp_path if kind == "a folder" else Path(kind)
    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 1)
        args = ["send", "--config", str(news.config_file), "--subscribers", str(listed), "--now", NOW_ARG]
        proc = run_publisher(*args, cwd=news, env=ENV, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert f"publisher: error: {listed}: is not a regular file" in proc.stderr
    assert recorder.messages == [] and "Traceback" not in proc.stderr


def test_a_second_send_waits_for_the_one_running_and_gives_up_with_75(site):
    from publisher.email.store import open_newsletter

    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        # Another send --subscribers holds the newsletter (both would find the same subscribers unrecorded).
        with open_newsletter(publisher.load_config(news / "publisher.toml"), lock_timeout=0):
            proc = run_publisher(*send_args(news, "--lock-timeout", "0.2"), cwd=news, env=ENV)
    assert proc.returncode == 75, proc.stderr
    assert "another send or digest still holds the newsletter" in proc.stderr and recorder.messages == []


def test_a_build_started_during_a_long_send_finishes_normally(site):
    from publisher.email.store import open_newsletter, recorded, unfinished_issue
    from publisher.errors import LockError

    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 2)
        # One message every three minutes: a send three minutes long, holding the newsletter's lock throughout.
        sender = subprocess.Popen(
            publisher_command(*send_args(news, "--rate", str(1 / 180))),
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while not recorder.messages and sender.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(recorder.messages) == 1, sender.stderr.read().decode() if sender.poll() is not None else ""
            built = run_publisher(
                "build", "--config", news.config_file, "--now", NOW_ARG, "--lock-timeout", "5", cwd=news, timeout=60
            )
            assert built.returncode == 0, built.stderr
            assert built.stderr == "" and (news / "out" / "atom.xml").is_file()
            config = publisher.load_config(news / "publisher.toml")
            with pytest.raises(LockError), open_newsletter(config, lock_timeout=0):
                pass  # the send still holds the newsletter: the build ran beside it, not after it
            assert sender.poll() is None and len(recorder.messages) == 1
            with open_newsletter(config, lock=False) as db:  # the journal row of the message sent is there
                issue = unfinished_issue(db)
                assert issue is not None and list(recorded(db, issue.issue).values()) == ["sent"]
        finally:
            sender.kill()
            sender.communicate()


def test_since_last_moves_the_cut_off_once_every_subscriber_was_tried(site):
    from publisher.email.store import last_digest, open_newsletter

    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        command = send_args(news, "--since-last", window=())
        first = run_publisher(*command, cwd=news, env=ENV)
        assert first.returncode == 0, first.stderr
        with open_newsletter(publisher.load_config(news / "publisher.toml")) as db:
            state = last_digest(db)
        assert state is not None and state.until.isoformat() == "2026-11-25T12:00:00+00:00"
        again = run_publisher(*command, cwd=news, env=ENV)
    assert again.returncode == 0 and "nothing new since the previous digest" in again.stderr
    assert len(recorder.messages) == 3


def test_a_terminal_gets_a_progress_bar_and_cron_one_line(site):
    import fcntl
    import pty
    import struct
    import termios
    import threading

    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 5)
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
        proc = subprocess.Popen(
            publisher_command(*send_args(news)), env=ENV, stdout=subprocess.PIPE, stderr=child, stdin=subprocess.DEVNULL
        )
        os.close(child)
        out, _ = proc.communicate(timeout=120)
        reader.join(timeout=30)
        os.close(parent)
        cron = run_publisher(*send_args(news, now="2026-11-26T12:00:00Z"), cwd=news, env=ENV)
    assert proc.returncode == 0 and cron.returncode == 0
    assert b"/5 [" in terminal and b"msg/s]" in terminal  # tqdm's bar, drawn on the terminal
    assert out.decode().splitlines()[-1].startswith("issue 2026-11-25-")
    # Under cron (no terminal): no bar, one summary line.
    assert cron.stderr == "" and cron.stdout.count("\n") == 1, (cron.stdout, cron.stderr)
    assert cron.stdout.splitlines()[-1] == (
        f"issue 2026-11-26-sora-2-the-lead: 5 sent of 5 subscribers via 127.0.0.1:{server.port}"
    )
