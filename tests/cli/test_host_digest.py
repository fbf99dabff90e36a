"""The digest from a host: the MkDocs plugin writes the week's digest with the feeds (`digest_days`), and
`publisher send --message` delivers that file through a real SMTP server (aiosmtpd) with no second copy
of the articles: the message holds MkDocs' pages as MkDocs rendered them."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest

from tests.mailserver import smtp_server

pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[test]')")

MKDOCS_YML = """\
site_name: Plain Notes
site_url: https://plain.example.org/
plugins:
  - publisher:
      pages: ["notes/*.md"]
      digest_days: 7
      digest:
        from: Plain Notes <news@plain.example.org>
        to: readers@plain.example.org
        unsubscribe_url: https://plain.example.org/unsubscribe
        postal_address: 1 Example Street, Springfield
"""
SEND_TOML = """\
title = "Plain Notes"
url = "https://plain.example.org/"
[smtp]
host = "127.0.0.1"
port = {port}
"""


@pytest.fixture(scope="module")
def written_digest(tmp_path_factory):
    """A plain MkDocs site whose three notes are from the last three days, built: its site folder."""
    tmp_path = tmp_path_factory.mktemp("host-digest")
    (tmp_path / "docs" / "notes").mkdir(parents=True)
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (tmp_path / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    today = datetime.now(UTC).date()
    for n in (1, 2, 3):
        day = today - timedelta(days=n)
        (tmp_path / "docs" / "notes" / f"n{n}.md").write_text(
            f"---\ndate: {day}\n---\n# Note {n}\n\nThe body of note {n}, with `code`.\n", encoding="utf-8"
        )
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "site"


def test_the_plugin_writes_the_weeks_digest_and_its_web_page(written_digest):
    feeds = written_digest / "feeds"
    assert {"digest.html", "digest.txt", "digest.eml"} <= {p.name for p in feeds.iterdir()}
    html = (feeds / "digest.html").read_text(encoding="utf-8")
    for n in (1, 2, 3):
        assert f"https://plain.example.org/notes/n{n}/" in html
    assert list((feeds / "newsletter").glob("*-plain-notes-3-new-articles.html"))


def test_publisher_send_delivers_the_digest_the_plugin_wrote(written_digest, cli, tmp_path):
    with smtp_server() as (server, recorder):
        config = tmp_path / "publisher.toml"
        config.write_text(SEND_TOML.format(port=server.port), encoding="utf-8")
        ran = cli("send", "--config", config, "--message", written_digest / "feeds" / "digest.eml")
    assert ran.code == 0, ran.err
    [received] = recorder.messages
    assert received.mail_from == "news@plain.example.org"
    assert received.rcpt_tos == ("readers@plain.example.org",)
    arrived = message_from_bytes(received.data, policy=policy.default)
    written = message_from_bytes((written_digest / "feeds" / "digest.eml").read_bytes(), policy=policy.default)
    assert arrived["Subject"] == written["Subject"]
    assert arrived["Message-ID"] != written["Message-ID"]  # a send is not a copy of the file
    assert arrived.get_body(("html",)).get_content() == written.get_body(("html",)).get_content()
    assert "The body of note 1" in arrived.get_body(("plain",)).get_content()


def test_send_message_refuses_a_file_that_is_not_a_digest(cli, tmp_path):
    config = tmp_path / "publisher.toml"
    config.write_text(SEND_TOML.format(port=25), encoding="utf-8")
    (tmp_path / "x.eml").write_text("not a message\n", encoding="utf-8")
    ran = cli("send", "--config", config, "--message", tmp_path / "x.eml")
    assert ran.code == 2 and "not a digest message" in ran.err
    ran = cli("send", "--config", config, "--message", tmp_path / "missing.eml")
    assert ran.code == 2 and "cannot be read" in ran.err
