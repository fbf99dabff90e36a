"""`publisher preview`: a real process that prints its address, serves over HTTP on 127.0.0.1 and stops on
Ctrl-C; its flags and usage errors; a site template broken where the configuration points."""

from __future__ import annotations

import re
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy

import pytest
from lxml import html as lxml_html

from publisher.cli import build_parser
from publisher.cli.digest import preview_renderer
from tests.conftest import NOW_ARG, PROCESS_ENV, Site, publisher_command
from tests.test_preview import fetch, preview_site, running


@pytest.fixture
def previewed(site) -> Site:
    return preview_site(site)


@contextmanager
def preview_process(site: Site, *args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`publisher preview --port 0 --no-open` in a subprocess; yields it and the address it printed.
    Killed afterwards if the test did not stop it."""
    # A test run started in the background by a non-interactive shell (a CI script's `cmd &`) ignores SIGINT, and
    # children inherit that: the preview, like any program, would then never see the Ctrl-C this file sends. What is
    # tested is a terminal's Ctrl-C, so the child starts with SIGINT's default (a Python handler is reset at exec).
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            publisher_command("preview", "--port", "0", "--no-open", *args),
            cwd=site,
            env=PROCESS_ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, before)
    try:
        line = proc.stdout.readline()
        match = re.fullmatch(r"previewing the digest on (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)\n", line)
        assert match, line + proc.stderr.read()
        yield proc, match[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def stop_with_ctrl_c(proc: subprocess.Popen) -> str:
    """Send SIGINT, check a clean exit, and return what it printed on stderr."""
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    return proc.stderr.read()


def test_publisher_preview_prints_its_address_serves_and_stops_on_ctrl_c(previewed):
    with preview_process(previewed, "--days", "30", "--now", NOW_ARG) as (proc, url):
        with urllib.request.urlopen(url, timeout=60) as response:
            page = lxml_html.document_fromstring(response.read())
        assert [f.get("width") for f in page.findall(".//iframe")] == ["600", "375", "600", "600"]
        with urllib.request.urlopen(url + "digest.eml", timeout=60) as response:
            message = message_from_bytes(response.read(), policy=policy.default)
        assert message["Subject"] == "Sora 2 – what’s new"
        assert not (previewed / "out" / "digest.html").exists()  # a preview writes nothing
        assert "preview stopped" in stop_with_ctrl_c(proc)


def test_publisher_preview_with_a_broken_config_exits_2_before_serving(previewed, cli):
    previewed.configure(url=None)
    ran = cli.on(previewed, "preview", "--port", "0", "--no-open", now=None)
    assert ran.code == 2 and "url: missing" in ran.err


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_publisher_preview_with_a_port_outside_0_to_65535_is_a_usage_error(previewed, cli, port):
    ran = cli.on(previewed, "preview", "--port", port, "--no-open", now=None)
    assert ran.code == 2
    assert f"argument --port: '{port}' is not a port number (0 to 65535)" in ran.err


def test_publisher_preview_of_an_empty_window_keeps_serving_and_says_so(previewed):
    with preview_process(previewed, "--days", "1", "--now", NOW_ARG) as (proc, url):
        for _ in range(2):  # and still serving after the first
            with urllib.request.urlopen(url, timeout=60) as response:
                page = lxml_html.document_fromstring(response.read())
            assert page.findtext(".//h1") == "Nothing to preview"
            assert "nothing was published in the window" in page.findtext(".//pre")
        err = stop_with_ctrl_c(proc)
    assert "no digest written" not in err
    # Said once, however often the page is reloaded (the page says it on every load).
    said = "nothing new in the window (the newest article is from 2026-11-20; --since 2026-11-20 takes it)"
    assert err.count(f"publisher: {said}: the preview keeps serving and its page says so") == 1


def test_preview_offers_only_the_flags_it_honours(capsys):
    # preview writes and sends nothing, so it has no exit-code checks and takes no lock.
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["preview", "--help"])
    help_text = capsys.readouterr().out
    for flag in ("--days", "--since", "--until", "--since-last", "--force", "--featured-only", "--limit", "--strict"):
        assert flag in help_text
    for flag in ("--check", "--fail-if-empty", "--lock-timeout"):
        assert flag not in help_text
        with pytest.raises(SystemExit) as exited:
            parser.parse_args(["preview", flag, *(["1"] if flag == "--lock-timeout" else [])])
        assert exited.value.code == 2
    for command in ("digest", "send"):
        args = parser.parse_args([command, "--check", "--fail-if-empty", "--lock-timeout", "5"])
        assert args.check and args.fail_if_empty and args.lock_timeout == 5


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("<html>\n<body>\n{% for article in articles %}\n<p>{{ article.title }</p>\n</body>\n", 4),  # syntax
        ("<html>\n<body>\n<p>{{ no_such_name.title }}</p>\n</body>\n", 3),  # fails only when rendered
    ],
)
def test_a_broken_site_template_is_named_with_its_line_on_the_error_page(previewed, source, line):
    # The template folder comes from the config, as a site sets it; the page must say where to look.
    broken = previewed / "templates" / "digest.html.j2"
    broken.write_text(source)
    args = build_parser().parse_args(
        ["preview", "--config", str(previewed.config_file), "--days", "30", "--now", NOW_ARG]
    )
    with running(preview_renderer(args)) as server:
        status, _, body = fetch(server, "/")
        assert status == 500
        message = lxml_html.document_fromstring(body).findtext(".//pre")
        assert f"{broken}:{line}:" in message, message
        broken.unlink()
        assert fetch(server, "/")[0] == 200


def test_the_preview_says_each_warning_once_however_often_it_is_reloaded(previewed, caplog):
    # A skipped article and the check's findings (no unsubscribe address here) are said by the first
    # render; each reload renders again, and says only what is new.
    previewed.add("broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    args = build_parser().parse_args(
        ["preview", "--config", str(previewed.config_file), "--days", "30", "--now", NOW_ARG]
    )
    with caplog.at_level("WARNING", logger="publisher"), running(preview_renderer(args)) as server:
        for _ in range(3):
            assert fetch(server, "/")[0] == 200
        said = [r.getMessage() for r in caplog.records]
        assert len(said) == len(set(said)) and any("broken.md" in line for line in said), said
        assert any(line.startswith("digest check: ") for line in said), said
        previewed.add("broken.md", "---\ntitle: Broken\npublishDate: 2025-14-45\n---\n")
        assert fetch(server, "/")[0] == 200
        assert [r.getMessage() for r in caplog.records][len(said) :] == [
            f"skipped {previewed.content / 'broken.md'}:3: publishDate: '2025-14-45' is not a date "
            "(expected YYYY-MM-DD or ISO 8601)"
        ]
