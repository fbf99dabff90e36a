"""SMTP delivery against a real server (aiosmtpd) on 127.0.0.1: what arrives is what was sent,
TLS is never skipped when asked for, and every failure says host:port and what happened."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.email.smtp import SmtpSettings
from tests.conftest import digest_history, write_article
from tests.mailserver import (
    PASSWORD,
    USER,
    Recorder,
    certificates,
    check_password,
    closed_port,
    smtp_server,
)


def parts(message) -> list[tuple[str, str]]:
    return [(part.get_content_type(), part.get_content()) for part in message.iter_parts()]


# ---- publisher send: the command line, end to end ----------------------------------------------

SITE_CONFIG = """
title = "Send Site"
url = "https://send.example.org/"
content = "content"
output = "out"

[digest]
from = "Send Site <news@send.example.org>"
to = "readers@send.example.org"
unsubscribe_url = "https://send.example.org/unsubscribe"

[smtp]
host = "127.0.0.1"
port = {port}
"""

ARTICLE = "---\ntitle: {title}\npublishDate: {date}\nfeatured: {featured}\n---\nBody of {title}.\n"


def make_site(folder: Path, port: int, extra: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "publisher.toml").write_text(SITE_CONFIG.format(port=port) + extra, encoding="utf-8")
    write_article(folder / "content", "lead.md", ARTICLE.format(title="Sora 2 – the lead", date="2026-11-20",
                                                                featured="true"))
    write_article(folder / "content", "note.md", ARTICLE.format(title="A note", date="2026-11-18", featured="false"))
    return folder


def publisher_cli(site: Path, *args: str) -> int:
    return main([args[0], "--config", str(site / "publisher.toml"), "--now", "2026-11-25T12:00:00Z", *args[1:]])


def state(site: Path):
    return digest_history(site / "publisher.toml")


def test_publisher_send_delivers_what_publisher_digest_writes(tmp_path):
    with smtp_server() as (server, recorder):
        site = make_site(tmp_path, server.port)
        assert publisher_cli(site, "digest", "--days", "30") == 0
        proc = subprocess.run(
            [sys.executable, "-m", "publisher", "send", "--days", "30", "--now", "2026-11-25T12:00:00Z"],
            cwd=site, capture_output=True, text=True, timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    assert f"sent to readers@send.example.org via 127.0.0.1:{server.port}" in proc.stdout
    [received] = recorder.messages
    assert received.mail_from == "news@send.example.org"
    assert received.rcpt_tos == ("readers@send.example.org",)
    arrived = message_from_bytes(received.data, policy=policy.default)
    written = message_from_bytes((site / "out" / "digest.eml").read_bytes(), policy=policy.default)
    # The same message but for the MIME boundary, which every rendering picks afresh, and the Date and
    # Message-ID, which are the moment of sending and the send's own.
    stamps = ("Content-Type", "Date", "Message-ID")
    assert [(k, v) for k, v in arrived.items() if k not in stamps] == [
        (k, v) for k, v in written.items() if k not in stamps]
    assert [k for k, _ in arrived.items()] == [k for k, _ in written.items()]
    assert arrived["Message-ID"] != written["Message-ID"]
    assert arrived.get_content_type() == written.get_content_type() == "multipart/alternative"
    assert parts(arrived) == parts(written)
    assert arrived["Subject"] == "Sora 2 – the lead"


def test_a_title_with_cr_lf_adds_no_header(tmp_path):
    with smtp_server() as (server, recorder):
        site = make_site(tmp_path, server.port)
        injected = '---\ntitle: "Hello\\r\\nBcc: victim@example.net"\npublishDate: 2026-11-21\nfeatured: true\n---\n'
        write_article(site / "content", "lead.md", injected)
        assert publisher_cli(site, "send", "--days", "30") == 0
    [received] = recorder.messages
    arrived = message_from_bytes(received.data, policy=policy.default)
    assert arrived["Subject"] == "Hello Bcc: victim@example.net"  # one header line, the break gone
    assert arrived["Bcc"] is None
    assert received.rcpt_tos == ("readers@send.example.org",)
    assert [k for k in arrived.keys() if k.lower() == "bcc"] == []


def test_since_last_moves_only_after_the_server_accepted(tmp_path, capsys):
    with smtp_server() as (server, recorder):
        site = make_site(tmp_path, server.port)
        assert publisher_cli(site, "send", "--since-last") == 0
        first = state(site)
        assert first is not None and first.until.isoformat() == "2026-11-25T12:00:00+00:00"
        capsys.readouterr()
        assert publisher_cli(site, "send", "--since-last", "--fail-if-empty") == 3
    assert "nothing new since the previous digest" in capsys.readouterr().err
    assert len(recorder.messages) == 1


def test_a_refused_send_leaves_the_since_last_state_unchanged(tmp_path, capsys):
    with smtp_server(Recorder(refuse=frozenset({"readers@send.example.org"}))) as (server, recorder):
        site = make_site(tmp_path, server.port)
        (site / "out").mkdir()
        (site / "out" / ".digest-state.json").write_text('{"until": "2026-11-01T00:00:00+00:00", "message_id": null}\n')
        assert publisher_cli(site, "send", "--since-last") == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{server.port} refused every recipient: <readers@send.example.org> (550 5.1.1" in err
    assert state(site).until.isoformat() == "2026-11-01T00:00:00+00:00"  # taken in from the old file, not moved
    assert recorder.messages == []


def test_an_unreachable_server_exits_75_and_leaves_the_state_alone(tmp_path, capsys):
    with closed_port() as port:
        site = make_site(tmp_path, port)
        assert publisher_cli(site, "send", "--since-last") == 75
    assert f"127.0.0.1:{port}: connection refused" in capsys.readouterr().err
    assert state(site) is None


def test_starttls_and_login_with_the_password_from_the_environment(tmp_path):
    certs = certificates(tmp_path)
    with smtp_server(tls_context=certs.server, require_starttls=True, authenticator=check_password,
                     auth_required=True) as (server, recorder):
        site = make_site(tmp_path / "site", server.port, extra=f'starttls = true\nuser = "{USER}"\n')
        env = {**os.environ, "PUBLISHER_SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(certs.cafile)}
        proc = subprocess.run(
            [sys.executable, "-m", "publisher", "send", "-v", "--days", "30", "--now", "2026-11-25T12:00:00Z",
             "--to", "one@example.net", "--to", "two@example.net", "--from", "bounces@send.example.org"],
            cwd=site, env=env, capture_output=True, text=True, timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    [received] = recorder.messages
    assert received.tls and received.authenticated
    assert received.rcpt_tos == ("one@example.net", "two@example.net")
    assert received.mail_from == "bounces@send.example.org"
    assert f"STARTTLS, as {USER}" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr


def test_a_password_in_the_config_file_is_refused(tmp_path, capsys):
    site = make_site(tmp_path, 25, extra='password = "hunter2"\n')
    assert publisher_cli(site, "send") == 2
    err = capsys.readouterr().err
    assert "[smtp] password: not read from the configuration file" in err and "PUBLISHER_SMTP_PASSWORD" in err
    assert "hunter2" not in err


def test_no_smtp_server_is_a_usage_error(tmp_path, capsys):
    site = make_site(tmp_path, 25)
    (site / "publisher.toml").write_text(SITE_CONFIG.format(port=25).split("[smtp]")[0])
    assert publisher_cli(site, "send") == 2
    assert "no SMTP server: pass --smtp-host HOST or set [smtp] host" in capsys.readouterr().err


def test_dry_run_prints_envelope_and_headers_and_connects_to_nothing(tmp_path, capsys):
    with closed_port() as port:
        site = make_site(tmp_path, port)
        assert publisher_cli(site, "send", "--since-last", "--dry-run", "--to", "me@example.net") == 0
    out = capsys.readouterr().out
    assert "MAIL FROM:<news@send.example.org>\nRCPT TO:<me@example.net>\n" in out
    assert f"via 127.0.0.1:{port} (no TLS)" in out
    assert "Subject: Sora 2 – the lead" in out and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out
    assert state(site) is None


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1", "smtp"])
def test_an_smtp_port_outside_1_to_65535_is_a_usage_error(tmp_path, capsys, port):
    site = make_site(tmp_path, 25)
    with pytest.raises(SystemExit) as exited:
        publisher_cli(site, "send", "--smtp-port", port)
    assert exited.value.code == 2
    assert f"argument --smtp-port: '{port}' is not a port number (1 to 65535)" in capsys.readouterr().err


BAD_ARTICLE = "---\ntitle: Bad\npublishDate: 2026-13-45\n---\nx\n"


@pytest.mark.parametrize(("flags", "config_to", "message"), [
    ((), False, "no recipients: the message has no To address (pass --to ADDRESS or set [digest] to)"),
    (("--to", "not an address"), True,
     "recipient 'not an address' is not an e-mail address (expected name@example.org)"),
    (("--from", "bounces"), True, "sender 'bounces' is not an e-mail address"),
    (("--smtp-user", USER), True,
     f"a user name ('{USER}') but no password: set the PUBLISHER_SMTP_PASSWORD environment variable"),
])
def test_a_send_that_cannot_be_addressed_or_log_in_is_a_usage_error_before_any_article_is_read(
        tmp_path, capsys, monkeypatch, flags, config_to, message):
    monkeypatch.delenv("PUBLISHER_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("PUBLISHER_SMTP_USER", raising=False)
    with smtp_server() as (server, recorder):
        site = make_site(tmp_path, server.port)
        if not config_to:
            config = (site / "publisher.toml").read_text()
            (site / "publisher.toml").write_text(config.replace('to = "readers@send.example.org"\n', ""))
        # Were the articles read first, --strict would stop at this one with exit 1.
        write_article(site / "content", "bad.md", BAD_ARTICLE)
        assert publisher_cli(site, "send", "--strict", "--days", "30", *flags) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "bad.md" not in captured.err and "digest:" not in captured.out
    assert recorder.messages == []


def test_a_dry_run_without_recipients_is_a_usage_error_too(tmp_path, capsys):
    site = make_site(tmp_path, 25)
    config = (site / "publisher.toml").read_text()
    (site / "publisher.toml").write_text(config.replace('to = "readers@send.example.org"\n', ""))
    assert publisher_cli(site, "send", "--dry-run") == 2
    assert "no recipients" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["smtp..example.org", ".example.org", "a" * 64 + ".example.org"])
def test_a_host_name_with_an_empty_or_overlong_label_is_a_usage_error(tmp_path, capsys, host):
    site = make_site(tmp_path, 25)
    assert publisher_cli(site, "send", "--smtp-host", host) == 2
    assert f"smtp host: {host!r} is not a host name" in capsys.readouterr().err
    assert SmtpSettings("bücher.example.org").host == "bücher.example.org"  # IDNA names are host names
