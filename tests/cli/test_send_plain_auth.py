"""A password never crosses the network in clear text unless asked for by name (issue 12): AUTH over a
connection without TLS is refused (exit 2) unless the server is on loopback or --insecure-plain-auth
is given."""

from __future__ import annotations

import pytest

from tests.mailserver import PASSWORD, USER, check_password, smtp_server
from tests.test_send import send_site

# aiosmtpd warns about a server that takes AUTH without TLS: here that server is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def test_a_login_without_tls_to_a_remote_server_is_refused_before_anything_is_read(site, cli, monkeypatch):
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    news = send_site(site, 587)
    news.add("lead.md", "---\ntitle: [broken\n---\n")  # never read: the check comes first
    ran = cli.on(news, "send", "--days", "30", "--smtp-host", "smtp.example.org", "--smtp-user", USER)
    assert ran.code == 2
    assert ran.err == (
        f"publisher: error: smtp.example.org:587: refusing to log in as {USER!r} without TLS: the "
        "password would cross the network in clear text; add --starttls (port 587) or --ssl (port 465), "
        "or [smtp] starttls = true (--insecure-plain-auth logs in anyway)\n"
    )


def test_insecure_plain_auth_logs_in_without_tls_when_asked_for_by_name(site, cli, monkeypatch):
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    # 0.0.0.0 is not a loopback address, so the rule applies, yet the connection stays on this machine.
    with smtp_server(authenticator=check_password, auth_require_tls=False, auth_required=True) as (server, recorder):
        news = send_site(site, server.port)
        flags = ("send", "--days", "30", "--smtp-host", "0.0.0.0", "--smtp-user", USER)
        assert cli.on(news, *flags).code == 2
        assert recorder.messages == []
        ran = cli.on(news, *flags, "--insecure-plain-auth")
    assert ran.code == 0
    [received] = recorder.messages
    assert received.authenticated and not received.tls
    assert "sending the password without TLS (--insecure-plain-auth)" in ran.err
