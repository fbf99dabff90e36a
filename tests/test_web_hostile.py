"""Hostile requests to the subscription web app under waitress on 127.0.0.1, with the newsletter's real
database: methods that must change nothing, tokens that must not work, bodies that must not break it."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from publisher.email.store import open_newsletter, record_delivery, set_status
from tests.test_web import confirmation_link, fetch, newsletter, serving, status

__all__ = ["newsletter"]  # the fixture, used by name


def request(base: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
    """The status of one raw request (any method) to the app at ``base``."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, parts.path + path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_no_method_but_post_changes_a_subscription(newsletter):
    config, recorder, app = newsletter
    with open_newsletter(config, lock=False) as db:
        set_status(db, "kept@example.net", "active", "imported")
        record_delivery(db, "2026-11-25-issue", "kept@example.net", "sent", "t-kept")
    with serving(app(), "/news") as base:
        fetch(base + "/", {"email": "pending@example.net"})
        confirm = "/confirm?" + urlsplit(confirmation_link(recorder)).query
        codes = {
            (method, path): request(base, method, path)
            for method in ("HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND")
            for path in ("/unsubscribe?token=t-kept", confirm)
        }
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        codes["HEAD", "/"] = request(base, "HEAD", "/", b"email=head%40example.net", form)
    assert status(config, "kept@example.net") == "active", codes
    assert status(config, "head@example.net") is None and len(recorder.messages) == 1, codes
    assert status(config, "pending@example.net") == "pending", codes
