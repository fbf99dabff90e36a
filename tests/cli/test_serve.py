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


def test_serve_refuses_a_huge_body_before_taking_it(site, monkeypatch):
    """waitress would buffer a body of up to 1 GB in a temporary file before the app saw it: a few such
    POSTs fill a disk. `publisher serve` gives waitress the app's own limit, so it answers at once."""
    import socket
    import subprocess

    from tests.cli.test_signup_browser import free_port
    from tests.conftest import PROCESS_ENV, publisher_command

    news = send_site(site, 2525, digest={"subscribe_url": "https://send.example.org/newsletter/"})
    port = free_port()
    env = {**PROCESS_ENV, "PUBLISHER_SIGNUP_SECRET": "a signing secret for the tests"}
    command = publisher_command("serve", "--config", news.config_file, "--port", str(port))
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().startswith("serving")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(
                b"POST /newsletter/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000000000\r\n\r\nemail=a"
            )
            reply = client.recv(4096)  # before: nothing until the 1 GB came (a timeout here)
        assert reply.startswith(b"HTTP/1.1 413"), reply
    finally:
        server.terminate()
        server.communicate(timeout=10)
