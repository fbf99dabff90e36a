"""The preview server, fetched over real HTTP on 127.0.0.1: the page, the three digest files,
re-rendering on reload, and errors shown as pages instead of stopping the server."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from lxml import html as lxml_html

from publisher.cli import main
from tests.conftest import write_article

FEATURED = """
---
title: Sora 2 – what’s new
publishDate: 2026-11-20
featured: true
seoDescription: The lead article of the week.
coverImage: https://img.example.org/sora.png
---
Body of the lead article.
"""

OTHER = """
---
title: A smaller note
publishDate: 2026-11-18
---
Body of the note.
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_article(tmp_path / "content", "sora.md", FEATURED)
    write_article(tmp_path / "content", "note.md", OTHER)
    (tmp_path / "templates").mkdir()
    return tmp_path


@contextmanager
def preview_process(site: Path, *args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`publisher preview --port 0 --no-open` in a subprocess; yields it and the address it printed.
    Killed afterwards if the test did not stop it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher", "preview", "--port", "0", "--no-open", *args],
        cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
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


def test_publisher_preview_prints_its_address_serves_and_stops_on_ctrl_c(site):
    (site / "publisher.toml").write_text(
        'title = "Preview Site"\nurl = "https://example.org/"\ncontent = "content"\noutput = "out"\n'
        'templates = "templates"\n', encoding="utf-8")
    with preview_process(site, "--days", "30", "--now", "2026-11-25T12:00:00Z") as (proc, url):
        with urllib.request.urlopen(url, timeout=60) as response:
            page = lxml_html.document_fromstring(response.read())
        assert [f.get("width") for f in page.findall(".//iframe")] == ["600", "375", "600", "600"]
        with urllib.request.urlopen(url + "digest.eml", timeout=60) as response:
            message = message_from_bytes(response.read(), policy=policy.default)
        assert message["Subject"] == "Sora 2 – what’s new"
        assert not (site / "out" / "digest.html").exists()  # a preview writes nothing
        assert "preview stopped" in stop_with_ctrl_c(proc)


def test_publisher_preview_with_a_broken_config_exits_2_before_serving(site, capsys):
    (site / "publisher.toml").write_text('title = "No url"\n', encoding="utf-8")
    assert main(["preview", "--config", str(site / "publisher.toml"), "--port", "0", "--no-open"]) == 2
    assert "url: missing" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_publisher_preview_with_a_port_outside_0_to_65535_is_a_usage_error(site, capsys, port):
    (site / "publisher.toml").write_text('title = "Preview Site"\nurl = "https://example.org/"\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["preview", "--config", str(site / "publisher.toml"), "--port", port, "--no-open"])
    assert exited.value.code == 2
    assert f"argument --port: '{port}' is not a port number (0 to 65535)" in capsys.readouterr().err


def test_publisher_preview_of_an_empty_window_keeps_serving_and_says_so(site):
    (site / "publisher.toml").write_text(
        'title = "Preview Site"\nurl = "https://example.org/"\ncontent = "content"\noutput = "out"\n',
        encoding="utf-8")
    with preview_process(site, "--days", "1", "--now", "2026-11-25T12:00:00Z") as (proc, url):
        for _ in range(2):  # and still serving after the first
            with urllib.request.urlopen(url, timeout=60) as response:
                page = lxml_html.document_fromstring(response.read())
            assert page.findtext(".//h1") == "Nothing to preview"
            assert "nothing was published in the window" in page.findtext(".//pre")
        err = stop_with_ctrl_c(proc)
    assert "no digest written" not in err
    assert err.count("publisher: nothing new in the window: the preview keeps serving and its page says so") == 2
