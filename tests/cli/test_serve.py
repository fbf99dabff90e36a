"""`publisher serve`: what it needs before it listens (its address, a secret from the environment, an
SMTP server) is a usage error (exit 2) naming the setting. It running for real is in
tests/cli/test_signup_browser.py."""

from __future__ import annotations

from tests.test_send import send_site


def test_serve_names_what_it_needs_before_it_listens(site, cli, monkeypatch):
    news = send_site(site, 2525)
    monkeypatch.setenv("PUBLISHER_SIGNUP_SECRET", "a signing secret for the tests")
    ran = cli.on(news, "serve", now=None)
    assert ran.code == 2 and "[digest] subscribe_url: None is not the app's absolute http(s) address" in ran.err
    news.configure(digest={"subscribe_url": "https://send.example.org/newsletter/"})
    monkeypatch.setenv("PUBLISHER_SIGNUP_SECRET", "short")
    ran = cli.on(news, "serve", now=None)
    assert ran.code == 2 and "PUBLISHER_SIGNUP_SECRET: set it to a long random string" in ran.err
    monkeypatch.delenv("PUBLISHER_SIGNUP_SECRET")
    assert cli.on(news, "serve", now=None).code == 2  # unset is as short as can be
    news.configure(smtp={"host": None})
    ran = cli.on(news, "serve", now=None)
    assert ran.code == 2 and "[smtp] host: the app mails confirmation links" in ran.err
    assert "Traceback" not in ran.err


def test_serve_flags_take_whole_numbers_in_range(site, cli):
    news = send_site(site, 2525)
    for flag, value in (("--threads", "0"), ("--threads", "many"), ("--proxies", "-1"), ("--port", "70000")):
        ran = cli.on(news, "serve", flag, value, now=None)
        assert ran.code == 2 and f"argument {flag}" in ran.err, (flag, value)
