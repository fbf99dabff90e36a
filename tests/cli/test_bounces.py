"""`publisher bounces`: real bounce and complaint reports (tests/fixtures/bounces/, each with its source and
licence in its first line) dropped into a Maildir suppress their subscribers; a soft bounce counts
toward the limit; VERP ties a bounce that hides the address to its subscriber."""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import publisher
from publisher.email.store import import_subscribers, open_newsletter, subscriber
from publisher.newsletter import Subscriber
from tests.cli.test_subscribers import SECRET, newsletter_site, send_args
from tests.conftest import ROOT
from tests.mailserver import smtp_server

FIXTURES = ROOT / "tests" / "fixtures" / "bounces"
HARD = "userx@example.jp"  # dsn-failed.eml: Action: failed, Status: 5.1.1
SOFT = "userx@example.fi"  # dsn-delayed.eml: Action: delayed (a full mailbox)
COMPLAINED = "this-local-part-does-not-exist-on-yahoo@yahoo.com"  # arf-complaint.eml: Original-Rcpt-To


def maildir(folder: Path, *names: str) -> Path:
    box = mailbox.Maildir(folder, create=True)
    for name in names:
        box.add((FIXTURES / name).read_bytes())
    return folder


def stored(news, address: str):
    with open_newsletter(publisher.load_config(news.config_file)) as db:
        return subscriber(db, address)


@pytest.fixture
def readers(site):
    news = site(title="Bounces", url="https://bounces.example.org/")
    with open_newsletter(news.config()) as db:
        people = [Subscriber(a) for a in (HARD, SOFT, COMPLAINED, "stays@example.org")]
        import_subscribers(db, people, "test list")
    return news


def test_a_real_dsn_and_a_real_arf_report_suppress_their_subscribers(readers, cli, tmp_path):
    box = maildir(tmp_path / "Maildir", "dsn-failed.eml", "arf-complaint.eml", "dsn-delayed.eml")
    ran = cli("bounces", "--maildir", box, "--config", readers.config_file)
    assert ran.code == 0, ran.err
    assert ran.out.strip() == ("3 messages read, 1 hard bounces, 1 soft bounces, 1 complaints, 2 addresses suppressed")
    assert stored(readers, HARD).status == "bounced"
    assert stored(readers, COMPLAINED).status == "complained"
    soft = stored(readers, SOFT)
    assert (soft.status, soft.soft_bounces) == ("active", 1)
    assert stored(readers, "stays@example.org").status == "active"
    counted = cli("subscribers", "list", "--config", readers.config_file)
    lines = dict(line.rsplit(None, 1) for line in counted.out.strip().splitlines())
    assert (lines["bounced"], lines["complained"], lines["soft bounces"], lines["active"]) == ("1", "1", "1", "2")
    # Read once: each message is now in cur/ with the S flag, and the next run (cron's) finds nothing new.
    assert all("S" in m.get_flags() and m.get_subdir() == "cur" for m in mailbox.Maildir(box).values())
    again = cli("bounces", "--maildir", box, "--config", readers.config_file)
    assert again.out.startswith("0 messages read") and stored(readers, SOFT).soft_bounces == 1


def test_soft_bounces_suppress_an_address_at_the_limit(readers, cli, tmp_path):
    readers.configure(digest={"soft_bounce_limit": 2})
    box = maildir(tmp_path / "Maildir", "dsn-delayed.eml")
    assert cli("bounces", "--maildir", box, "--config", readers.config_file).code == 0
    assert stored(readers, SOFT).status == "active"
    mailbox.Maildir(box).add((FIXTURES / "dsn-delayed.eml").read_bytes())
    assert cli("bounces", "--maildir", box, "--config", readers.config_file).code == 0
    assert stored(readers, SOFT).status == "bounced"


def test_a_report_naming_an_address_never_sent_to_changes_nothing(site, cli, tmp_path):
    news = site()
    box = maildir(tmp_path / "Maildir", "dsn-failed.eml")
    ran = cli("bounces", "--maildir", box, "--config", news.config_file)
    assert ran.code == 0 and "1 not ours" in ran.out and stored(news, HARD) is None


@pytest.fixture
def verp_sent(site, cli, monkeypatch):
    """(the site, the SMTP recorder) once an issue went to 3 readers of a list file, each with a VERP sender."""
    monkeypatch.setenv("PUBLISHER_UNSUBSCRIBE_SECRET", SECRET)
    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        news.configure(digest={"bounce_address": "bounces+{token}@send.example.org"})
        assert cli(*send_args(news)).code == 0
    return news, recorder


def test_verp_ties_a_bounce_that_hides_the_address_to_its_subscriber(verp_sent, cli, tmp_path):
    news, recorder = verp_sent
    verp = {m.rcpt_tos[0]: m.mail_from for m in recorder.messages}["reader0001@example.net"]
    # The real DSN, as a relay that rewrites addresses would send it back: the failed recipient is one
    # we never wrote to, and only the address it was delivered to (our VERP address) says who it is.
    text = (FIXTURES / "dsn-failed.eml").read_text().replace(HARD, "mailbox-9431@relay.example.net")
    text = text.replace("To: wed_ride-bounces@grizz.org", f"To: {verp}")
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(text.encode())
    ran = cli("bounces", "--maildir", tmp_path / "Maildir", "--config", news.config_file)
    assert ran.code == 0, ran.err
    assert stored(news, "reader0001@example.net").status == "bounced"
    assert stored(news, "mailbox-9431@relay.example.net") is None
    assert stored(news, "reader0000@example.net") is None  # a list file's reader, untouched


def test_a_folder_that_is_not_a_maildir_is_a_usage_error(site, cli, tmp_path):
    ran = cli("bounces", "--maildir", tmp_path, "--config", site().config_file)
    assert ran.code == 2 and "is not a Maildir" in ran.err


@pytest.fixture
def imap_server(tmp_path):
    """pymap, a real IMAP server (in memory), on a free port of 127.0.0.1 in a process of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pymap = Path(sys.executable).with_name("pymap")
    args = ["--host", "127.0.0.1", "--port", str(port), "--no-tls", "--no-service", "admin", "dict", "--demo-data"]
    server = subprocess.Popen([pymap, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait()


def test_reports_in_an_imap_folder_are_read_once(readers, cli, imap_server, monkeypatch):
    from imap_tools import AND, MailBoxUnencrypted

    with MailBoxUnencrypted("127.0.0.1", imap_server).login("demouser", "demopass") as box:
        box.folder.create("Bounces")
        for name in ("dsn-failed.eml", "arf-complaint.eml", "dsn-delayed.eml"):
            box.append((FIXTURES / name).read_bytes(), "Bounces")
    monkeypatch.setenv("PUBLISHER_IMAP_PASSWORD", "demopass")
    command = ["bounces", "--imap-host", "127.0.0.1", "--imap-port", str(imap_server), "--imap-user", "demouser"]
    command += ["--imap-folder", "Bounces", "--imap-insecure-plain", "--config", readers.config_file]
    ran = cli(*command)
    assert ran.code == 0, ran.err
    assert ran.out.startswith("3 messages read, 1 hard bounces, 1 soft bounces, 1 complaints")
    assert (stored(readers, HARD).status, stored(readers, COMPLAINED).status) == ("bounced", "complained")
    with MailBoxUnencrypted("127.0.0.1", imap_server).login("demouser", "demopass", "Bounces") as box:
        assert [m.uid for m in box.fetch(AND(seen=False), mark_seen=False)] == []
    assert cli(*command).out.startswith("0 messages read")
    monkeypatch.setenv("PUBLISHER_IMAP_PASSWORD", "wrong")
    refused = cli(*command)
    assert refused.code == 2 and "IMAP login as 'demouser' refused" in refused.err


def test_hostile_mail_in_the_maildir_is_skipped_and_never_stops_the_next_run(readers, cli, tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    nested = b"x"
    for depth in range(3000):  # deeper than the email parser's recursion goes
        nested = b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n%s\r\n--b%d--\r\n" % (
            depth,
            depth,
            nested,
            depth,
        )
    for raw in (
        b"Subject: nested\r\n" + nested,
        b"",
        b"\xff\xfe\x00 no header\r\n\r\n\xff",
        b"Subject: no From\r\n\r\nx",
    ):
        box.add(raw)
    box.add((FIXTURES / "dsn-failed.eml").read_bytes())
    folder = tmp_path / "Maildir"
    ran = cli("bounces", "--maildir", folder, "--config", readers.config_file)
    assert ran.code == 0 and "Traceback" not in ran.err, ran.err
    assert ran.out.startswith("5 messages read, 1 hard bounces") and ran.out.rstrip().endswith("4 other")
    assert "a message of 209,688 bytes" in ran.err and "could not be parsed (RecursionError); skipped" in ran.err
    assert stored(readers, HARD).status == "bounced"
    assert not list((folder / "new").iterdir())  # each one read once, the unreadable too: moved on, flagged S
    assert sorted(f.name.rpartition(",")[2] for f in (folder / "cur").iterdir()) == ["S"] * 5
    again = cli("bounces", "--maildir", folder, "--config", readers.config_file)
    assert again.code == 0 and again.out.startswith("0 messages read")


def test_with_verp_a_bounce_not_sent_back_to_a_delivery_of_ours_suppresses_nobody(verp_sent, cli, tmp_path):
    news, _ = verp_sent
    with open_newsletter(news.config()) as db:
        import_subscribers(db, [Subscriber("reader0001@example.net")], "test list")
    # Anyone can write to the bounce address: a DSN naming a reader, sent to a made-up token, and one
    # sent to the address without a token.
    text = (FIXTURES / "dsn-failed.eml").read_text().replace(HARD, "reader0001@example.net")
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for to in ("bounces+" + "ab" * 16 + "@send.example.org", "bounces@send.example.org"):
        box.add(text.replace("To: wed_ride-bounces@grizz.org", f"To: {to}").encode())
    ran = cli("bounces", "--maildir", tmp_path / "Maildir", "--config", news.config_file)
    assert ran.code == 0 and ran.out.startswith("2 messages read, 0 hard bounces") and "2 not ours" in ran.out
    assert stored(news, "reader0001@example.net").status == "active"
