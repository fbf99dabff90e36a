"""What a sent digest carries that the written files do not (Date and Message-ID of the moment), what
stays byte-identical, strict addresses everywhere, and ESP merge tags that pass through untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest

from tests.conftest import run_publisher
from tests.mailserver import smtp_server
from tests.test_send import send_site


def received(recorder):
    return [message_from_bytes(m.data, policy=policy.default) for m in recorder.messages]


def test_two_sends_of_one_digest_have_their_own_date_and_message_id(site, cli):
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        before = datetime.now(UTC)
        assert cli.on(news, "send", "--days", "30").code == 0
        assert cli.on(news, "send", "--days", "30").code == 0
    first, second = received(recorder)
    assert first["Message-ID"] != second["Message-ID"]
    for message in (first, second):
        # --now says which articles are new; the Date says when the message left.
        sent_at = parsedate_to_datetime(message["Date"])
        assert abs(sent_at - before) < timedelta(minutes=1)
        assert message["Message-ID"].endswith("@send.example.org>")
    assert first.get_body(("html",)).get_content() == second.get_body(("html",)).get_content()


def test_the_written_digest_files_are_byte_identical_for_the_same_input_and_now(site, cli):
    news = send_site(site, 25)
    assert cli.on(news, "digest", "--days", "30").code == 0
    first = {name: (news / "out" / name).read_bytes() for name in ("digest.html", "digest.txt", "digest.eml")}
    for name in first:
        (news / "out" / name).unlink()
    assert cli.on(news, "digest", "--days", "30").code == 0
    second = {name: (news / "out" / name).read_bytes() for name in first}
    assert first == second
    # The file keeps the window's end as its Date: what was handed to an ESP, which sets its own.
    assert b"Date: Wed, 25 Nov 2026 12:00:00 +0000" in first["digest.eml"]


def test_a_to_holding_an_address_list_reaches_every_address(site, cli):
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        assert cli.on(news, "send", "--days", "30", "--to", "a@example.net, B <b@example.com>").code == 0
    [message] = recorder.messages
    assert message.rcpt_tos == ("a@example.net", "b@example.com")


@pytest.mark.parametrize(
    "value",
    [
        "a@example.net junk",
        "a@example.net,, b@",
        "<a@example.net> x",
        "a b@example.net",
        "a@example.net\r\nBcc: x@example.org",
        "",
    ],
)
def test_a_to_that_is_not_exactly_addresses_is_a_usage_error(site, cli, value):
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        ran = cli.on(news, "send", "--days", "30", "--to", value)
    assert ran.code == 2 and "is not an e-mail address" in ran.err
    assert recorder.messages == []


CONFIGURED = [
    ({"from": "Evil, Inc. <n@example.org>"}, "[digest] from"),
    ({"from": "a@example.org, b@example.org"}, "[digest] from"),
    ({"from": "Send Site <news@send.example.org>\r\nBcc: x@y.org"}, "[digest] from"),
    ({"to": "readers@send.example.org\nBcc: spy@example.net"}, "[digest] to"),
    ({"to": "readers@send.example.org junk"}, "[digest] to"),
    ({"to": "r@send.example.org", "reply_to": "r@x.org\r\nX: y"}, "[digest] reply_to"),
    ({"unsubscribe_url": "https://send.example.org/u\r\nBcc: x@y.org"}, "[digest] unsubscribe_url"),
    ({"unsubscribe_url": None, "unsubscribe_mailto": "leave@example.org\nBcc: x@y.org"}, "[digest] unsubscribe_mailto"),
]


@pytest.mark.parametrize(
    "command", [["digest", "--check", "--days", "30"], ["send", "--days", "30"], ["build"], ["links"]]
)
@pytest.mark.parametrize(("digest", "key"), CONFIGURED)
def test_a_configured_address_with_a_line_break_or_a_second_mailbox_is_a_configuration_error(
    site, digest, key, command
):
    news = send_site(site, 25, digest=digest)
    proc = run_publisher(*command, "--config", news.config_file, cwd=news)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("publisher: error: ") and "Traceback" not in proc.stderr
    assert f"publisher.toml: {key}: " in proc.stderr
    assert proc.stdout == ""


def test_a_webp_cover_fails_digest_check(site, cli):
    news = send_site(site, 25)
    news.add(
        "lead.md",
        title="Sora 2 – the lead",
        date="2026-11-20",
        featured="true",
        coverImage="https://cdn.example.net/c.webp",
        body="Body of Sora 2 – the lead.",
    )
    ran = cli.on(news, "digest", "--check", "--days", "30")
    assert ran.code == 1 and "WebP images are not shown by Outlook" in ran.err
    assert not (news / "out" / "digest.html").exists()
