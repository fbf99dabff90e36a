"""`publisher send` against a real SMTP server (aiosmtpd) on 127.0.0.1: it delivers what `publisher digest`
writes, moves --since-last only once the server took the message, and every mistake is a usage error
that names the flag or the setting."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from publisher.cli import build_parser
from publisher.cli.common import smtp_settings_from_args
from publisher.email.smtp import SmtpSettings
from tests.conftest import NOW_ARG, PROCESS_ENV, digest_history, run_publisher
from tests.mailserver import PASSWORD, USER, Recorder, certificates, check_password, closed_port, smtp_server
from tests.test_send import send_site


def parts(message) -> list[tuple[str, str]]:
    return [(part.get_content_type(), part.get_content()) for part in message.iter_parts()]


# ---- publisher send: the command line, end to end ----------------------------------------------


def state(site: Path):
    return digest_history(site / "publisher.toml")


def test_publisher_send_delivers_what_publisher_digest_writes(site, cli, tmp_path):
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        assert cli.on(news, "digest", "--days", "30").code == 0
        proc = run_publisher("send", "--days", "30", "--now", NOW_ARG, cwd=news)
    assert proc.returncode == 0, proc.stderr
    assert f"sent to readers@send.example.org via 127.0.0.1:{server.port}" in proc.stdout
    [received] = recorder.messages
    assert received.mail_from == "news@send.example.org"
    assert received.rcpt_tos == ("readers@send.example.org",)
    arrived = message_from_bytes(received.data, policy=policy.default)
    written = message_from_bytes((news / "out" / "digest.eml").read_bytes(), policy=policy.default)
    # The same message but for the MIME boundary, which every rendering picks afresh, and the Date and
    # Message-ID, which are the moment of sending and the send's own.
    stamps = ("Content-Type", "Date", "Message-ID")
    assert [(k, v) for k, v in arrived.items() if k not in stamps] == [
        (k, v) for k, v in written.items() if k not in stamps
    ]
    assert [k for k, _ in arrived.items()] == [k for k, _ in written.items()]
    assert arrived["Message-ID"] != written["Message-ID"]
    assert arrived.get_content_type() == written.get_content_type() == "multipart/alternative"
    assert parts(arrived) == parts(written)
    assert arrived["Subject"] == "Sora 2 – the lead"


def test_a_title_with_cr_lf_adds_no_header(site, cli, tmp_path):
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        injected = '---\ntitle: "Hello\\r\\nBcc: victim@example.net"\npublishDate: 2026-11-21\nfeatured: true\n---\n'
        news.add("lead.md", injected)
        assert cli.on(news, "send", "--days", "30").code == 0
    [received] = recorder.messages
    arrived = message_from_bytes(received.data, policy=policy.default)
    assert arrived["Subject"] == "Hello Bcc: victim@example.net"  # one header line, the break gone
    assert arrived["Bcc"] is None
    assert received.rcpt_tos == ("readers@send.example.org",)
    assert [k for k in arrived.keys() if k.lower() == "bcc"] == []


def test_since_last_moves_only_after_the_server_accepted(site, cli, tmp_path):
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        assert cli.on(news, "send", "--since-last").code == 0
        first = state(news)
        assert first is not None and first.until.isoformat() == "2026-11-25T12:00:00+00:00"
        again = cli.on(news, "send", "--since-last", "--fail-if-empty")
    assert again.code == 3 and "nothing new since the previous digest" in again.err
    assert len(recorder.messages) == 1


def test_a_refused_send_leaves_the_since_last_state_unchanged(site, cli, tmp_path):
    with smtp_server(Recorder(refuse=frozenset({"readers@send.example.org"}))) as (server, recorder):
        news = send_site(site, server.port)
        assert cli.on(news, "digest", "--since-last", now="2026-11-19T00:00:00Z").code == 0  # the note
        ran = cli.on(news, "send", "--since-last")
    err = ran.err
    assert ran.code == 1
    assert f"127.0.0.1:{server.port} refused every recipient: <readers@send.example.org> (550 5.1.1" in err
    assert state(news).until.isoformat() == "2026-11-19T00:00:00+00:00"  # the last digest's, not moved
    assert recorder.messages == []


def test_an_unreachable_server_exits_75_and_leaves_the_state_alone(site, cli, tmp_path):
    with closed_port() as port:
        news = send_site(site, port)
        ran = cli.on(news, "send", "--since-last")
    assert ran.code == 75 and f"127.0.0.1:{port}: connection refused" in ran.err
    assert state(news) is None


def test_starttls_and_login_with_the_password_from_the_environment(site, cli, tmp_path):
    certs = certificates(tmp_path)
    with smtp_server(
        tls_context=certs.server, require_starttls=True, authenticator=check_password, auth_required=True
    ) as (server, recorder):
        news = send_site(site, server.port, smtp={"starttls": True, "user": USER})
        env = {**PROCESS_ENV, "PUBLISHER_SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(certs.cafile)}
        proc = run_publisher(
            "send",
            "-v",
            "--days",
            "30",
            "--now",
            NOW_ARG,
            "--to",
            "one@example.net",
            "--to",
            "two@example.net",
            "--from",
            "bounces@send.example.org",
            cwd=news,
            env=env,
        )
    assert proc.returncode == 0, proc.stderr
    [received] = recorder.messages
    assert received.tls and received.authenticated
    assert received.rcpt_tos == ("one@example.net", "two@example.net")
    assert received.mail_from == "bounces@send.example.org"
    assert f"STARTTLS, as {USER}" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr


def test_a_password_in_the_config_file_is_refused(site, cli, tmp_path):
    news = send_site(site, 25, smtp={"password": "hunter2"})
    ran = cli.on(news, "send")
    err = ran.err
    assert ran.code == 2
    assert "[smtp] password: not read from the configuration file" in err and "PUBLISHER_SMTP_PASSWORD" in err
    assert "hunter2" not in err


def test_no_smtp_server_is_a_usage_error(site, cli, tmp_path):
    news = send_site(site, 25, smtp=None)
    ran = cli.on(news, "send")
    assert ran.code == 2 and "no SMTP server: pass --smtp-host HOST or set [smtp] host" in ran.err


def test_dry_run_prints_envelope_and_headers_and_connects_to_nothing(site, cli, tmp_path):
    with closed_port() as port:
        news = send_site(site, port)
        ran = cli.on(news, "send", "--since-last", "--dry-run", "--to", "me@example.net")
    out = ran.out
    assert ran.code == 0
    assert "MAIL FROM:<news@send.example.org>\nRCPT TO:<me@example.net>\n" in out
    assert f"via 127.0.0.1:{port} (no TLS)" in out
    assert "Subject: Sora 2 – the lead" in out and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out
    assert state(news) is None


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1", "smtp"])
def test_an_smtp_port_outside_1_to_65535_is_a_usage_error(site, cli, tmp_path, port):
    news = send_site(site, 25)
    ran = cli.on(news, "send", "--smtp-port", port)
    assert ran.code == 2
    assert f"argument --smtp-port: '{port}' is not a port number (1 to 65535)" in ran.err


BAD_ARTICLE = "---\ntitle: Bad\npublishDate: 2026-13-45\n---\nx\n"


@pytest.mark.parametrize(
    ("flags", "config_to", "message"),
    [
        ((), False, "no recipients: the message has no To address (pass --to ADDRESS or set [digest] to)"),
        (
            ("--to", "not an address"),
            True,
            "recipient 'not an address' is not an e-mail address (expected name@example.org)",
        ),
        (("--from", "bounces"), True, "sender 'bounces' is not an e-mail address"),
        (
            ("--smtp-user", USER),
            True,
            f"a user name ('{USER}') but no password: set the PUBLISHER_SMTP_PASSWORD environment variable",
        ),
    ],
)
def test_a_send_that_cannot_be_addressed_or_log_in_is_a_usage_error_before_any_article_is_read(
    site, cli, monkeypatch, flags, config_to, message
):
    monkeypatch.delenv("PUBLISHER_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("PUBLISHER_SMTP_USER", raising=False)
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        if not config_to:
            news.configure(digest={"to": None})
        # Were the articles read first, --strict would stop at this one with exit 1.
        news.add("bad.md", BAD_ARTICLE)
        captured = cli.on(news, "send", "--strict", "--days", "30", *flags)
    assert captured.code == 2
    assert message in captured.err
    assert "bad.md" not in captured.err and "digest:" not in captured.out
    assert recorder.messages == []


def test_a_dry_run_without_recipients_is_a_usage_error_too(site, cli, tmp_path):
    news = send_site(site, 25, digest={"to": None})
    ran = cli.on(news, "send", "--dry-run")
    assert ran.code == 2 and "no recipients" in ran.err


@pytest.mark.parametrize("host", ["smtp..example.org", ".example.org", "a" * 64 + ".example.org"])
def test_a_host_name_with_an_empty_or_overlong_label_is_a_usage_error(site, cli, tmp_path, host):
    news = send_site(site, 25)
    ran = cli.on(news, "send", "--smtp-host", host)
    assert ran.code == 2 and f"smtp host: {host!r} is not a host name" in ran.err
    assert SmtpSettings("bücher.example.org").host == "bücher.example.org"  # IDNA names are host names


def test_flags_override_the_smtp_table(site):
    config = send_site(site, 2525, smtp={"starttls": True, "user": "from-config"}).config()

    def settings(*flags: str) -> SmtpSettings:
        return smtp_settings_from_args(build_parser().parse_args(["send", *flags]), config)

    assert settings() == SmtpSettings("127.0.0.1", 2525, starttls=True, user="from-config")
    assert settings("--ssl", "--smtp-port", "465").ssl and not settings("--ssl").starttls
    assert settings("--no-starttls").starttls is False
    assert settings("--smtp-host", "smtp.example.org", "--smtp-user", "me") == SmtpSettings(
        "smtp.example.org", 2525, starttls=True, user="me"
    )
