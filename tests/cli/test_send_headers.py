"""What a sent digest carries that the written files do not (Date and Message-ID of the moment), what
stays byte-identical, strict addresses everywhere, and ESP merge tags that pass through untouched."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest

from tests.mailserver import smtp_server
from tests.test_send import make_site, publisher_cli


def received(recorder):
    return [message_from_bytes(m.data, policy=policy.default) for m in recorder.messages]


def test_two_sends_of_one_digest_have_their_own_date_and_message_id(tmp_path):
    with smtp_server() as (server, recorder):
        site = make_site(tmp_path, server.port)
        before = datetime.now(UTC)
        assert publisher_cli(site, "send", "--days", "30") == 0
        assert publisher_cli(site, "send", "--days", "30") == 0
    first, second = received(recorder)
    assert first["Message-ID"] != second["Message-ID"]
    for message in (first, second):
        # --now says which articles are new; the Date says when the message left.
        sent_at = parsedate_to_datetime(message["Date"])
        assert abs(sent_at - before) < timedelta(minutes=1)
        assert message["Message-ID"].endswith("@send.example.org>")
    assert first.get_body(("html",)).get_content() == second.get_body(("html",)).get_content()


def test_the_written_digest_files_are_byte_identical_for_the_same_input_and_now(tmp_path):
    site = make_site(tmp_path, 25)
    assert publisher_cli(site, "digest", "--days", "30") == 0
    first = {name: (site / "out" / name).read_bytes() for name in ("digest.html", "digest.txt", "digest.eml")}
    for name in first:
        (site / "out" / name).unlink()
    assert publisher_cli(site, "digest", "--days", "30") == 0
    second = {name: (site / "out" / name).read_bytes() for name in first}
    assert first == second
    # The file keeps the window's end as its Date: what was handed to an ESP, which sets its own.
    assert b"Date: Wed, 25 Nov 2026 12:00:00 +0000" in first["digest.eml"]


def test_a_to_holding_an_address_list_reaches_every_address(tmp_path):
    with smtp_server() as (server, recorder):
        site = make_site(tmp_path, server.port)
        assert publisher_cli(site, "send", "--days", "30", "--to", "a@example.net, B <b@example.com>") == 0
    [message] = recorder.messages
    assert message.rcpt_tos == ("a@example.net", "b@example.com")


@pytest.mark.parametrize("value", ["a@example.net junk", "a@example.net,, b@", "<a@example.net> x", "a b@example.net",
                                   "a@example.net\r\nBcc: x@example.org", ""])
def test_a_to_that_is_not_exactly_addresses_is_a_usage_error(tmp_path, capsys, value):
    with smtp_server() as (server, recorder):
        site = make_site(tmp_path, server.port)
        assert publisher_cli(site, "send", "--days", "30", "--to", value) == 2
    assert "is not an e-mail address" in capsys.readouterr().err
    assert recorder.messages == []


CONFIGURED = [
    ('from = "Send Site <news@send.example.org>"', 'from = "Evil, Inc. <n@example.org>"', "[digest] from"),
    ('from = "Send Site <news@send.example.org>"', 'from = "a@example.org, b@example.org"', "[digest] from"),
    ('from = "Send Site <news@send.example.org>"', 'from = "Send Site <news@send.example.org>\\r\\nBcc: x@y.org"',
     "[digest] from"),
    ('to = "readers@send.example.org"', 'to = "readers@send.example.org\\nBcc: spy@example.net"', "[digest] to"),
    ('to = "readers@send.example.org"', 'to = "readers@send.example.org junk"', "[digest] to"),
    ('to = "readers@send.example.org"', 'to = "r@send.example.org"\nreply_to = "r@x.org\\r\\nX: y"',
     "[digest] reply_to"),
    ('unsubscribe_url = "https://send.example.org/unsubscribe"',
     'unsubscribe_url = "https://send.example.org/u\\r\\nBcc: x@y.org"', "[digest] unsubscribe_url"),
    ('unsubscribe_url = "https://send.example.org/unsubscribe"',
     'unsubscribe_mailto = "leave@example.org\\nBcc: x@y.org"', "[digest] unsubscribe_mailto"),
]


@pytest.mark.parametrize("command", [["digest", "--check", "--days", "30"], ["send", "--days", "30"], ["build"],
                                     ["links"]])
@pytest.mark.parametrize(("old", "new", "key"), CONFIGURED)
def test_a_configured_address_with_a_line_break_or_a_second_mailbox_is_a_configuration_error(
        tmp_path, old, new, key, command):
    site = make_site(tmp_path, 25)
    config = site / "publisher.toml"
    config.write_text(config.read_text().replace(old, new))
    proc = subprocess.run([sys.executable, "-m", "publisher", *command, "--config", str(config)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("publisher: error: ") and "Traceback" not in proc.stderr
    assert f"publisher.toml: {key}: " in proc.stderr
    assert proc.stdout == ""


def test_a_webp_cover_fails_digest_check(tmp_path, capsys):
    site = make_site(tmp_path, 25)
    lead = site / "content" / "lead.md"
    cover = "featured: true\ncoverImage: https://cdn.example.net/c.webp"
    lead.write_text(lead.read_text().replace("featured: true", cover))
    assert publisher_cli(site, "digest", "--check", "--days", "30") == 1
    assert "WebP images are not shown by Outlook" in capsys.readouterr().err
    assert not (site / "out" / "digest.html").exists()
