"""`publisher subscribers import|export|list` and `send --subscribers` without a file: the subscriber list
in the newsletter's database, moved in and out as CSV, counted per status, and sent to (a real SMTP
server, aiosmtpd, on 127.0.0.1)."""

from __future__ import annotations

import csv
import io
from email import message_from_bytes, policy

from tests.cli.test_subscribers import SECRET, newsletter_site
from tests.mailserver import smtp_server
from tests.test_send import send_site

LIST = (
    "email,name,plan\n"
    "ann@example.net,Ann,pro\n"
    "Bob Stone <Bob@Example.net>,,free\n"  # a display name in the email column
    '"""Doe, Jane"" <jane@example.net>",Jane D.,free\n'  # the name column wins over the display name
    "not an address,Nobody,\n"
)


def counts(ran) -> dict[str, int]:
    return {line[:13].strip(): int(line[13:].replace(",", "")) for line in ran.out.splitlines()}


def test_a_list_goes_in_comes_out_and_is_counted_per_status(site, cli, tmp_path):
    news = site()
    listed = tmp_path / "list.csv"
    listed.write_text(LIST, encoding="utf-8")
    ran = cli.on(news, "subscribers", "import", listed, now=None)
    assert ran.code == 0, ran.err
    assert ran.out == (
        f"{listed}: 3 added, 0 already subscribed (updated), 0 kept out (unsubscribed, bounced or complained); "
        "1 rows skipped\n"
    )
    assert f"{listed}:5: email: 'not an address' is not one e-mail address" in ran.err
    assert cli.on(news, "unsubscribe", "bob@example.net", now=None).code == 0
    listing = cli.on(news, "subscribers", "list", now=None)
    assert counts(listing) == {
        "pending": 0,
        "active": 2,
        "unsubscribed": 1,
        "bounced": 0,
        "complained": 0,
        "soft bounces": 0,
    }

    exported = cli.on(news, "subscribers", "export", now=None)
    rows = list(csv.DictReader(io.StringIO(exported.out)))
    assert [(r["email"], r["name"], r["status"], r["plan"]) for r in rows] == [
        ("ann@example.net", "Ann", "active", "pro"),
        ("Bob@Example.net", "Bob Stone", "unsubscribed", "free"),
        ("jane@example.net", "Jane D.", "active", "free"),
    ]
    assert all(r["changed"].endswith("+00:00") and r["soft_bounces"] == "0" for r in rows)
    only = cli.on(news, "subscribers", "export", "--status", "active", "-o", tmp_path / "active.csv", now=None)
    assert only.code == 0 and only.err == f"{tmp_path / 'active.csv'}: 2 subscribers\n"

    # The export moves the list to another site with who left; the old list again signs nobody up.
    (tmp_path / "all.csv").write_text(exported.out, encoding="utf-8")
    other = site()
    assert cli.on(other, "subscribers", "import", tmp_path / "all.csv", now=None).code == 0
    assert counts(cli.on(other, "subscribers", "list", now=None))["unsubscribed"] == 1
    again = cli.on(other, "subscribers", "import", listed, now=None)
    assert again.out.startswith(f"{listed}: 0 added, 2 already subscribed (updated), 1 kept out")
    assert counts(cli.on(other, "subscribers", "list", now=None))["active"] == 2


def test_send_without_a_file_goes_to_the_active_subscribers_of_the_database(site, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PUBLISHER_UNSUBSCRIBE_SECRET", SECRET)
    with smtp_server() as (server, recorder):
        news = newsletter_site(site, server.port, 3)
        listed = tmp_path / "list.csv"
        listed.write_text(LIST, encoding="utf-8")
        assert cli.on(news, "subscribers", "import", listed, now=None).code == 0
        assert cli.on(news, "unsubscribe", "ann@example.net", now=None).code == 0
        ran = cli.on(news, "send", "--subscribers", "--days", "30")
        assert ran.code == 0, ran.err
        assert "2 sent of 2 subscribers" in ran.out
        to = sorted(str(message_from_bytes(m.data, policy=policy.default)["To"]) for m in recorder.messages)
    assert to == ['"Jane D." <jane@example.net>', "Bob Stone <Bob@Example.net>"]


def test_an_empty_database_is_a_usage_error_before_anything_is_sent(site, cli):
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        ran = cli.on(news, "send", "--subscribers", "--days", "30")
    assert ran.code == 2 and "no subscribers in the list" in ran.err and recorder.messages == []
