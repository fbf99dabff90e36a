"""SMTP delivery against a real server (aiosmtpd) on 127.0.0.1: what arrives is what was sent,
TLS is never skipped when asked for, and every failure says host:port and what happened."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest

from publisher.email.smtp import SmtpSettings, explain, send_message
from publisher.errors import ConfigError, SendError
from tests.conftest import NOW, Site, merged
from tests.mailserver import (
    PASSWORD,
    USER,
    Recorder,
    certificates,
    check_password,
    closed_port,
    silent_port,
    smtp_server,
)

LIST = "list@example.org"
SENDER = "newsletter@example.org"


def digest_message(to: str | None = LIST) -> EmailMessage:
    """A message shaped like the digest: multipart/alternative, non-ASCII subject, UTF-8 parts."""
    message = EmailMessage()
    message["From"] = f"Test Site <{SENDER}>"
    message["To"] = to if to is not None else "undisclosed-recipients:;"
    message["Subject"] = "OpenAI’s Sora 2 App Guide – Features and Invite Codes"
    message["Date"] = format_datetime(NOW)
    message["Message-ID"] = "<digest.20261125T120000.abc@example.org>"
    message["List-Unsubscribe"] = "<https://example.org/unsubscribe>"
    message.set_content(
        "Sora 2 – what’s new\nhttps://example.org/sora2-app-guide/\n", charset="utf-8", cte="quoted-printable"
    )
    message.add_alternative(
        '<p>Sora 2 – <a href="https://example.org/sora2-app-guide/">what’s new</a></p>\n',
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    return message


def parts(message) -> list[tuple[str, str]]:
    return [(part.get_content_type(), part.get_content()) for part in message.iter_parts()]


def test_the_server_receives_the_message_as_sent():
    message = digest_message()
    with smtp_server() as (server, recorder):
        send_message(message, SmtpSettings("127.0.0.1", server.port))
    [received] = recorder.messages
    assert received.mail_from == SENDER
    assert received.rcpt_tos == (LIST,)
    assert received.data == message.as_bytes(policy=policy.SMTP)
    parsed = message_from_bytes(received.data, policy=policy.default)
    assert parsed["Subject"] == message["Subject"]
    assert parsed["Message-ID"] == message["Message-ID"]
    assert parsed.get_content_type() == "multipart/alternative"
    assert parts(parsed) == parts(message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.default))
    assert parts(parsed)[0] == ("text/plain", "Sora 2 – what’s new\r\nhttps://example.org/sora2-app-guide/\r\n")
    assert [p.get_content_charset() for p in parsed.iter_parts()] == ["utf-8", "utf-8"]


def test_headers_travel_encoded_and_lines_end_in_crlf():
    message = digest_message()
    with smtp_server() as (server, recorder):
        send_message(message, SmtpSettings("127.0.0.1", server.port))
    data = recorder.messages[0].data
    head = data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # RFC 2047 encoded words, no raw UTF-8 in headers
    assert b"Subject: =?utf-8?" in head
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_to_and_sender_override_the_headers_for_the_envelope_only():
    message = digest_message()
    with smtp_server() as (server, recorder):
        send_message(
            message,
            SmtpSettings("127.0.0.1", server.port),
            to=["a@example.net", "Bee <b@example.net>"],
            sender="bounces@example.org",
        )
    [received] = recorder.messages
    assert received.rcpt_tos == ("a@example.net", "b@example.net")
    assert received.mail_from == "bounces@example.org"
    assert message_from_bytes(received.data, policy=policy.default)["To"] == LIST


def test_cc_and_bcc_are_recipients_and_bcc_is_not_sent():
    message = digest_message()
    message["Cc"] = "cc@example.net"
    message["Bcc"] = "hidden@example.net"
    with smtp_server() as (server, recorder):
        send_message(message, SmtpSettings("127.0.0.1", server.port))
    [received] = recorder.messages
    assert set(received.rcpt_tos) == {LIST, "cc@example.net", "hidden@example.net"}
    assert b"hidden@example.net" not in received.data
    assert message["Bcc"] == "hidden@example.net"  # the caller's message is left as it was


def test_no_recipient_is_an_error_before_connecting():
    with closed_port() as port, pytest.raises(SendError, match="no recipients.*--to"):
        send_message(digest_message(to=None), SmtpSettings("127.0.0.1", port))


def test_no_sender_is_an_error_before_connecting():
    message = digest_message()
    del message["From"]
    with closed_port() as port, pytest.raises(SendError, match="no sender.*--from"):
        send_message(message, SmtpSettings("127.0.0.1", port))


def test_a_malformed_recipient_is_an_error():
    with closed_port() as port, pytest.raises(SendError, match="'not an address' is not an e-mail address"):
        send_message(digest_message(), SmtpSettings("127.0.0.1", port), to=["not an address"])


def test_starttls_with_a_trusted_certificate(tmp_path):
    certs = certificates(tmp_path)
    with smtp_server(tls_context=certs.server, require_starttls=True) as (server, recorder):
        send_message(digest_message(), SmtpSettings("127.0.0.1", server.port, starttls=True, cafile=str(certs.cafile)))
    [received] = recorder.messages
    assert received.tls
    assert received.rcpt_tos == (LIST,)


def test_implicit_tls(tmp_path):
    certs = certificates(tmp_path)
    with smtp_server(ssl_context=certs.server) as (server, recorder):
        send_message(digest_message(), SmtpSettings("127.0.0.1", server.port, ssl=True, cafile=str(certs.cafile)))
    assert [m.rcpt_tos for m in recorder.messages] == [(LIST,)]


def test_starttls_against_a_server_without_it_sends_nothing():
    with smtp_server() as (server, recorder):
        with pytest.raises(SendError, match=rf"127\.0\.0\.1:{server.port} does not offer STARTTLS.*never in plain"):
            send_message(digest_message(), SmtpSettings("127.0.0.1", server.port, starttls=True))
    assert recorder.messages == []


def test_an_untrusted_certificate_is_a_tls_failure(tmp_path):
    certs = certificates(tmp_path)  # the client is not told about this CA
    with smtp_server(tls_context=certs.server) as (server, recorder):
        with pytest.raises(SendError, match=rf"127\.0\.0\.1:{server.port}: TLS failed.*certificate"):
            send_message(digest_message(), SmtpSettings("127.0.0.1", server.port, starttls=True))
    assert recorder.messages == []


def test_implicit_tls_against_a_plain_port_says_so():
    with smtp_server() as (server, recorder):
        with pytest.raises(SendError, match=rf"127\.0\.0\.1:{server.port}: TLS failed.*465.*--starttls"):
            send_message(digest_message(), SmtpSettings("127.0.0.1", server.port, ssl=True))
    assert recorder.messages == []


def test_authentication_with_the_right_password(tmp_path):
    certs = certificates(tmp_path)
    with smtp_server(
        tls_context=certs.server, require_starttls=True, authenticator=check_password, auth_required=True
    ) as (server, recorder):
        send_message(
            digest_message(),
            SmtpSettings(
                "127.0.0.1", server.port, starttls=True, cafile=str(certs.cafile), user=USER, password=PASSWORD
            ),
        )
    [received] = recorder.messages
    assert received.authenticated and received.tls


def test_a_wrong_password_is_an_authentication_failure_that_does_not_show_it(tmp_path, caplog):
    certs = certificates(tmp_path)
    caplog.set_level(logging.DEBUG, logger="publisher")
    with smtp_server(
        tls_context=certs.server, require_starttls=True, authenticator=check_password, auth_required=True
    ) as (server, recorder):
        with pytest.raises(SendError) as raised:
            send_message(
                digest_message(),
                SmtpSettings(
                    "127.0.0.1", server.port, starttls=True, cafile=str(certs.cafile), user=USER, password="wrong-pw"
                ),
            )
    message = str(raised.value)
    assert f"127.0.0.1:{server.port}: authentication as '{USER}' failed: 535" in message
    assert "PUBLISHER_SMTP_PASSWORD" in message
    assert "wrong-pw" not in message and "wrong-pw" not in caplog.text
    assert "wrong-pw" not in repr(SmtpSettings("127.0.0.1", password="wrong-pw"))
    assert raised.value.exit_code == 1
    assert recorder.messages == []


def test_a_user_without_a_password_is_an_error_before_connecting():
    with closed_port() as port, pytest.raises(SendError, match="no password: set the PUBLISHER_SMTP_PASSWORD"):
        send_message(digest_message(), SmtpSettings("127.0.0.1", port, user=USER))


def test_a_server_that_offers_no_auth_says_to_use_tls():
    with smtp_server(authenticator=check_password) as (server, recorder):  # AUTH only after STARTTLS
        with pytest.raises(SendError, match="does not offer authentication.*--starttls or --ssl"):
            send_message(digest_message(), SmtpSettings("127.0.0.1", server.port, user=USER, password=PASSWORD))
    assert recorder.messages == []


def test_a_refused_recipient_is_named_with_the_servers_reply():
    recorder = Recorder(refuse=frozenset({LIST}))
    with smtp_server(recorder) as (server, _):
        with pytest.raises(SendError) as raised:
            send_message(digest_message(), SmtpSettings("127.0.0.1", server.port))
    assert f"127.0.0.1:{server.port} refused every recipient: <{LIST}> (550 5.1.1" in str(raised.value)
    assert raised.value.refused[LIST][0] == 550
    assert raised.value.exit_code == 1
    assert recorder.messages == []


def test_a_partly_refused_delivery_says_who_got_it_and_who_did_not():
    recorder = Recorder(refuse=frozenset({"gone@example.net"}))
    with smtp_server(recorder) as (server, _):
        partly = r"accepted the message for ok@example\.net but refused <gone@example\.net>"
        with pytest.raises(SendError, match=partly):
            send_message(
                digest_message(), SmtpSettings("127.0.0.1", server.port), to=["ok@example.net", "gone@example.net"]
            )
    assert [m.rcpt_tos for m in recorder.messages] == [("ok@example.net",)]


def test_a_closed_port_names_host_and_port():
    with closed_port() as port, pytest.raises(SendError) as raised:
        send_message(digest_message(), SmtpSettings("127.0.0.1", port))
    assert f"127.0.0.1:{port}: connection refused" in str(raised.value)
    assert raised.value.temporary and raised.value.exit_code == 75


def test_a_server_that_never_answers_times_out():
    with silent_port() as port, pytest.raises(SendError, match=rf"127\.0\.0\.1:{port}: no answer within 0.2 s"):
        send_message(digest_message(), SmtpSettings("127.0.0.1", port, timeout=0.2))


def test_settings_defaults_and_contradictions():
    assert SmtpSettings("smtp.example.org").port == 587
    assert SmtpSettings("smtp.example.org", ssl=True).port == 465
    assert SmtpSettings("::1", 25).address == "[::1]:25"
    with pytest.raises(ConfigError, match="starttls and ssl cannot both be on"):
        SmtpSettings("smtp.example.org", starttls=True, ssl=True)
    with pytest.raises(ConfigError, match="not a port number"):
        SmtpSettings("smtp.example.org", port=70000)


# ---- the newsletter site the send tests share ------------------------------------------------------

SEND = {
    "title": "Send Site",
    "url": "https://send.example.org/",
    "output": "out",
    "digest": {
        "from": "Send Site <news@send.example.org>",
        "to": "readers@send.example.org",
        "unsubscribe_url": "https://send.example.org/unsubscribe",
    },
    "smtp": {"host": "127.0.0.1"},
}


def send_site(site: Callable[..., Site], port: int, **settings: Any) -> Site:
    """Two articles of the last 30 days (the featured lead and a note) and [smtp] at 127.0.0.1:``port``;
    ``settings`` (TOML-shaped) on top."""
    made = site(**merged(merged(SEND, {"smtp": {"port": port}}), settings))
    made.add(
        "lead.md", title="Sora 2 – the lead", date="2026-11-20", featured="true", body="Body of Sora 2 – the lead."
    )
    made.add("note.md", title="A note", date="2026-11-18", featured="false", body="Body of A note.")
    return made


def test_a_host_name_that_does_not_resolve_is_temporary():
    # A real resolver error, made without asking any DNS server: the name is not a numeric address.
    with pytest.raises(OSError) as resolving:
        socket.getaddrinfo("nonexistent.invalid", 587, flags=socket.AI_NUMERICHOST)
    assert isinstance(resolving.value, socket.gaierror)
    error = explain(resolving.value, SmtpSettings("nonexistent.invalid"))
    assert "nonexistent.invalid:587: cannot resolve host 'nonexistent.invalid'" in str(error)
    assert error.temporary and error.exit_code == 75
