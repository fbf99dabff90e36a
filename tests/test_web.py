"""The subscription web app (publisher/email/web.py) under its real server (waitress) on 127.0.0.1, with a
real SMTP server (aiosmtpd) for the confirmation mails and the newsletter's real database: double opt-in,
no GET that changes anything, the RFC 8058 one-click POST, rate limits, and pages that pass the Nu
checker. (`publisher serve` and a real browser are in tests/cli/test_signup_browser.py.)"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from waitress.server import create_server

import publisher
from publisher.email.store import open_newsletter, record_delivery, set_status, subscriber
from publisher.email.web import Limits, SubscriptionApp
from publisher.errors import ConfigError
from tests.cli.test_newsletter_archive import nu_checker
from tests.mailserver import smtp_server
from tests.test_send import send_site

SECRET = "a signing secret for the tests, long enough"


@contextmanager
def serving(app: SubscriptionApp, prefix: str = "", **options: Any) -> Iterator[str]:
    """``app`` under waitress on a free port of 127.0.0.1 until the block ends; yields its address."""
    server = create_server(app, host="127.0.0.1", port=0, url_prefix=prefix, threads=2, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}{prefix}"  # type: ignore[union-attr]
    finally:
        # Every socket is closed by the server's own loop (a close from here races its select()); with
        # none left the loop ends. Twice in about 100 runs of this file the trigger was found closed already (EBADF,
        # cause not found: the page requests of the test had all been answered); then the loop has ended
        # or is ending, and what is left is closed from here.
        try:
            server.trigger.pull_trigger(lambda: [channel.close() for channel in list(server._map.values())])  # type: ignore[union-attr]
        except OSError:
            thread.join(10)
            server.close()  # type: ignore[union-attr]
        thread.join(10)
        server.task_dispatcher.shutdown()


def fetch(
    url: str, data: dict[str, str] | bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of a GET, or of a form POST when ``data`` is given; redirects are not followed."""
    body = urlencode(data).encode() if isinstance(data, dict) else data

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=body, headers=headers or {}), timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


@pytest.fixture
def newsletter(site):
    """(config, the SMTP server's recorder, a function making the app) for a site whose app is at /news/."""
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port, digest={"subscribe_url": "https://send.example.org/news/"})
        config = news.config()

        def app(proxies: int = 0, **limits: float) -> SubscriptionApp:
            settings = publisher.newsletter.SmtpSettings("127.0.0.1", server.port)
            return SubscriptionApp(config, secret=SECRET, smtp=settings, limits=Limits(**limits), proxies=proxies)  # type: ignore[arg-type]

        yield config, recorder, app


def confirmation_link(recorder) -> str:
    message = message_from_bytes(recorder.messages[-1].data, policy=policy.default)
    [link] = re.findall(r"https://\S+/confirm\?\S+", message.get_content())
    return link


def status(config, address: str) -> str | None:
    with open_newsletter(config, lock=False) as db:
        found = subscriber(db, address)
    return found.status if found else None


def test_signing_up_takes_a_confirmation_by_post_and_a_get_confirms_nothing(newsletter):
    config, recorder, app = newsletter
    with serving(app(), "/news") as base:
        code, _, page = fetch(base + "/", {"email": "reader@example.net", "name": "Reader"})
        assert code == 200 and "Check your inbox" in page
        assert status(config, "reader@example.net") == "pending"
        [mail] = recorder.messages
        assert list(mail.rcpt_tos) == ["reader@example.net"]
        link = confirmation_link(recorder)
        assert link.startswith("https://send.example.org/news/confirm?token=")  # from subscribe_url, not Host
        local = base + "/confirm?" + urlsplit(link).query
        for _ in range(2):  # a link scanner opens it, then the reader does: a page with a button, nothing more
            code, headers, page = fetch(local)
            assert code == 200 and 'action="/news/confirm"' in page and "Confirm my subscription" in page
        assert status(config, "reader@example.net") == "pending"
        assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        code, _, page = fetch(base + "/confirm", {"token": token})
        assert code == 200 and "You are subscribed" in page
    assert status(config, "reader@example.net") == "active"


def test_unsubscribing_takes_a_post_and_the_one_click_post_needs_no_page(newsletter):
    config, _, app = newsletter
    with open_newsletter(config, lock=False) as db:
        for who, token in (("page@example.net", "t-page"), ("click@example.net", "t-click")):
            set_status(db, who, "active", "imported")
            record_delivery(db, "2026-11-25-issue", who, "sent", token)
    with serving(app(), "/news") as base:
        code, _, page = fetch(base + "/unsubscribe?token=t-page")  # a link scanner's GET
        assert code == 200 and 'action="/news/unsubscribe"' in page
        assert status(config, "page@example.net") == "active"
        code, _, page = fetch(base + "/unsubscribe", {"token": "t-page"})  # the button
        assert code == 200 and "You are unsubscribed" in page
        code, headers, page = fetch(base + "/unsubscribe?token=t-click", b"List-Unsubscribe=One-Click")
        assert code == 200 and "Location" not in headers  # RFC 8058: at once, no redirect
        assert fetch(base + "/unsubscribe?token=nope", b"List-Unsubscribe=One-Click")[0] == 404
    assert status(config, "page@example.net") == status(config, "click@example.net") == "unsubscribed"
    with open_newsletter(config, lock=False) as db:
        assert subscriber(db, "click@example.net").reason.startswith("one-click unsubscribe (RFC 8058)")  # type: ignore[union-attr]


def test_signups_are_rate_limited_per_address_and_per_client(newsletter):
    config, recorder, app = newsletter
    with serving(app(per_address=2, per_client=3)) as base:
        codes = [fetch(base + "/", {"email": "same@example.net"})[0] for _ in range(3)]
        assert codes == [200, 200, 429]
        assert fetch(base + "/", {"email": "other@example.net"})[0] == 200
        code, headers, _ = fetch(base + "/", {"email": "third@example.net"})
    assert code == 429 and headers["Retry-After"] == "3600"  # the client had its three
    assert len(recorder.messages) == 3  # one confirmation per signup taken, none for the refused


def test_behind_a_proxy_the_client_is_the_one_it_names(newsletter):
    _, _, app = newsletter
    # As gunicorn runs it (PUBLISHER_PROXIES=1): the server passes X-Forwarded-For on, the app reads it.
    with serving(app(proxies=1, per_client=1), clear_untrusted_proxy_headers=False) as base:

        def signup(address: str, client: str) -> int:
            return fetch(base + "/", {"email": address}, {"X-Forwarded-For": client})[0]

        assert [signup("a@example.net", "192.0.2.1"), signup("b@example.net", "192.0.2.2")] == [200, 200]
        assert signup("c@example.net", "192.0.2.1") == 429


def test_what_the_form_refuses_and_what_it_does_not_tell(newsletter):
    config, recorder, app = newsletter
    with open_newsletter(config, lock=False) as db:
        set_status(db, "member@example.net", "active", "imported")
    with serving(app()) as base:
        for wrong in ("", "not an address", "Name <a@example.net>", "a@example.net, b@example.net"):
            code, _, page = fetch(base + "/", {"email": wrong})
            assert code == 400 and "Please give one e-mail address" in page, wrong
        bot = fetch(base + "/", {"email": "bot@example.net", "website": "http://spam.example"})
        member = fetch(base + "/", {"email": "member@example.net"})
        assert bot[0] == member[0] == 200 and bot[2] == member[2]  # the same page: nobody learns who is listed
        assert fetch(base + "/confirm?token=forged")[0] == 400
        assert fetch(base + "/unsubscribe", {"token": ""})[0] == 404
        assert fetch(base + "/nowhere")[0] == 404
        assert fetch(base + "/confirm", b"token=x" * 5000)[0] == 413  # a form of two short fields
    assert recorder.messages == [] and status(config, "bot@example.net") is None


def test_an_expired_confirmation_link_asks_to_sign_up_again(newsletter):
    config, recorder, app = newsletter
    with serving(app(confirm_days=-1)) as base:
        fetch(base + "/", {"email": "late@example.net"})
        code, _, page = fetch(base + "/confirm?" + urlsplit(confirmation_link(recorder)).query)
    assert code == 400 and "expired" in page and status(config, "late@example.net") == "pending"


def test_every_page_passes_the_nu_checker(newsletter, tmp_path):
    config, recorder, app = newsletter
    with open_newsletter(config, lock=False) as db:
        record_delivery(db, "2026-11-25-issue", "x@example.net", "sent", "tok")
    with serving(app()) as base:
        pages = {
            "signup": fetch(base + "/")[2],
            "refused": fetch(base + "/", {"email": "nope"})[2],
            "check-inbox": fetch(base + "/", {"email": "nu@example.net"})[2],
            "confirm": fetch(base + "/confirm?" + urlsplit(confirmation_link(recorder)).query)[2],
            "unsubscribe": fetch(base + "/unsubscribe?token=tok")[2],
            "unsubscribed": fetch(base + "/unsubscribe?token=tok", b"List-Unsubscribe=One-Click")[2],
            "error": fetch(base + "/nowhere")[2],
        }
    files = []
    for name, html in pages.items():
        files.append(tmp_path / f"{name}.html")
        files[-1].write_text(html, encoding="utf-8")
    assert nu_checker(*files) == []


def test_the_app_needs_its_address_and_a_secret_from_the_environment(newsletter, monkeypatch):
    from publisher.email.web import create_app

    config, _, _ = newsletter
    monkeypatch.delenv("PUBLISHER_SIGNUP_SECRET", raising=False)
    with pytest.raises(ConfigError, match="PUBLISHER_SIGNUP_SECRET: set it to a long random string"):
        create_app(config)
    monkeypatch.setenv("PUBLISHER_SIGNUP_SECRET", SECRET)
    assert create_app(config).url == "https://send.example.org/news/"
    unset = replace(config, digest=replace(config.digest, subscribe_url=None))
    with pytest.raises(ConfigError, match=r"\[digest\] subscribe_url: None is not the app's absolute"):
        create_app(unset)
