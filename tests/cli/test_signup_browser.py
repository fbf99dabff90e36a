"""A reader's whole way through the newsletter, end to end: `publisher serve` (the subscription app under
waitress, a real process on 127.0.0.1), headless Chromium filling in its pages, aiosmtpd receiving every
mail, and `publisher send` delivering the issues. Signup, confirmation by the page the mailed link opens,
an issue received, a link scanner's GET that leaves them subscribed, the RFC 8058 one-click POST that
unsubscribes them, and the next issue without them."""

from __future__ import annotations

import re
import socket
import subprocess
import urllib.request
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import publisher
from publisher.email.store import open_newsletter, subscriber
from tests.browser import browser
from tests.conftest import PROCESS_ENV, publisher_command
from tests.mailserver import smtp_server
from tests.test_send import send_site

SECRETS = {"PUBLISHER_SIGNUP_SECRET": "a signing secret for the tests", "PUBLISHER_UNSUBSCRIBE_SECRET": "another one"}
PUBLIC = "https://news.example.org"  # the site's address in the messages; its proxy is stood in for below


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status(config: publisher.Config, address: str) -> str | None:
    with open_newsletter(config, lock=False) as db:
        found = subscriber(db, address)
    return found.status if found else None


def mails_to(recorder, address: str) -> list:
    return [message_from_bytes(m.data, policy=policy.default) for m in recorder.messages if address in m.rcpt_tos]


def test_a_reader_signs_up_confirms_gets_an_issue_and_one_click_unsubscribes(site, cli, tmp_path, monkeypatch):
    port = free_port()
    app = f"http://127.0.0.1:{port}"
    with smtp_server() as (smtp, recorder):
        news = send_site(
            site,
            smtp.port,
            digest={
                "subscribe_url": f"{app}/newsletter/",
                "unsubscribe_url": PUBLIC + "/newsletter/unsubscribe?token={token}",
            },
        )
        config = news.config()
        server = subprocess.Popen(
            publisher_command("serve", "--config", news.config_file, "--port", str(port)),
            env={**PROCESS_ENV, **SECRETS},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None and server.stderr is not None
            started = server.stdout.readline()  # printed once it listens; nothing (end of file) if it stopped
            assert started.startswith(f"serving {app}/newsletter/"), started or server.stderr.read()
            with browser(tmp_path / "profile") as tab:
                # Fill in and submit the signup form; the confirmation mail arrives.
                tab.open(f"{app}/newsletter/")
                tab.type("#email", "reader@example.net")
                tab.type("#name", "Rea Der")
                tab.press("button[type=submit]")
                assert tab.run("document.querySelector('h1').textContent") == "Check your inbox"
                [confirmation] = mails_to(recorder, "reader@example.net")
                [link] = re.findall(r"http://\S+/newsletter/confirm\?\S+", confirmation.get_content())
                assert status(config, "reader@example.net") == "pending"
                # Open its link (a page with a button: opening confirms nothing) and press confirm.
                tab.open(link)
                assert status(config, "reader@example.net") == "pending"
                tab.press("button[type=submit]")
                assert tab.run("document.querySelector('h1').textContent") == "You are subscribed"
            assert status(config, "reader@example.net") == "active"

            # An issue goes out to the subscribers in the database, and the reader gets it.
            for name, value in SECRETS.items():
                monkeypatch.setenv(name, value)
            assert cli.on(news, "subscribers", "import", another_reader(tmp_path / "more.csv"), now=None).code == 0
            sent = cli.on(news, "send", "--subscribers", "--days", "30")
            assert sent.code == 0 and "2 sent of 2 subscribers" in sent.out, sent.err
            [issue] = mails_to(recorder, "reader@example.net")[1:]
            assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            [unsubscribe] = re.findall(r"<(https://[^>]+)>", issue["List-Unsubscribe"])
            # The site's web server passes the https link on to the app: here, straight to its port.
            local = app + urlsplit(unsubscribe).path + "?" + urlsplit(unsubscribe).query

            # A link scanner GETs every link of the message: the reader stays subscribed.
            with urllib.request.urlopen(local, timeout=10) as scanned:
                assert scanned.status == 200 and "Unsubscribe" in scanned.read().decode()
            assert status(config, "reader@example.net") == "active"
            # The mail client's RFC 8058 POST unsubscribes them at once, without a redirect.
            one_click = urllib.request.Request(
                local, data=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            with urllib.request.urlopen(one_click, timeout=10) as answer:
                assert answer.status == 200 and answer.url == local  # no redirect was followed
            assert status(config, "reader@example.net") == "unsubscribed"
        finally:
            server.terminate()
            server.communicate(timeout=10)

        # The next issue skips them.
        news.add("next.md", title="Next week", date="2026-12-01", featured="true", body="News.")
        later = cli.on(news, "send", "--subscribers", "--days", "3", now="2026-12-02T12:00:00Z")
        assert later.code == 0 and "1 sent of 1 subscribers" in later.out, later.err
    assert len(mails_to(recorder, "reader@example.net")) == 2  # the confirmation and the first issue
    assert len(mails_to(recorder, "other@example.net")) == 2  # both issues


def another_reader(path):
    path.write_text("email,name\nother@example.net,Other Reader\n", encoding="utf-8")
    return path
