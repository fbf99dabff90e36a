"""A password never crosses the network in clear text unless asked for by name (issue 12): AUTH over a
connection without TLS is refused (exit 2) unless the server is on loopback or --insecure-plain-auth
is given."""

from __future__ import annotations

import pytest

from publisher.errors import SendError
from publisher.newsletter import SmtpSettings, send_message
from tests.mailserver import PASSWORD, USER, check_password, smtp_server
from tests.test_send import digest_message

# aiosmtpd warns about a server that takes AUTH without TLS: here that server is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def test_the_library_refuses_it_too_and_sends_nothing():
    settings = SmtpSettings("smtp.example.org", user=USER, password=PASSWORD)
    with pytest.raises(SendError, match="refusing to log in as 'digest-bot' without TLS"):
        send_message(digest_message(), settings)


def test_a_loopback_server_may_take_a_login_without_tls():
    with smtp_server(authenticator=check_password, auth_require_tls=False, auth_required=True) as (server, recorder):
        send_message(digest_message(), SmtpSettings("127.0.0.1", server.port, user=USER, password=PASSWORD))
    [received] = recorder.messages
    assert received.authenticated and not received.tls
