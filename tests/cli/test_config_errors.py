"""Every way a configuration can be wrong ends in one line naming the file and the key, and exit 2
(issue 12): never a traceback, whatever the file holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.cli import main
from tests.conftest import write_article

BASE = 'title = "Site"\nurl = "https://site.example.org/"\ncontent = "content"\noutput = "out"\n'


def site_with(tmp_path: Path, config: bytes | str) -> Path:
    path = tmp_path / "publisher.toml"
    if isinstance(config, str):
        config = config.encode("utf-8")
    path.write_bytes(config)
    write_article(tmp_path / "content", "post.md", "---\ntitle: Post\npublishDate: 2025-12-30\n---\nBody.\n")
    return path


def run(config: Path, command: str = "build") -> int:
    window = ["--days", "30"] if command == "digest" else []
    return main([command, "--config", str(config), "--now", "2026-01-01", *window])


def test_a_config_that_is_not_utf8_names_its_line(tmp_path, capsys):
    config = site_with(tmp_path, BASE.encode() + b'description = "caf\xe9"\n')
    assert run(config) == 2
    assert capsys.readouterr().err == f"publisher: error: {config}:5: not UTF-8 (byte 0xe9); save it as UTF-8\n"


def test_a_config_that_is_a_folder(tmp_path, capsys):
    (tmp_path / "conf.toml").mkdir()
    assert run(tmp_path / "conf.toml") == 2
    folder = tmp_path / "conf.toml"
    assert capsys.readouterr().err == f"publisher: error: {folder}: is a folder, not a configuration file\n"


@pytest.mark.parametrize(("setting", "key"), [
    ('[digest]\nfrom = "News <news@site.example.org>\\r\\nBcc: victim@example.net"', "[digest] from"),
    ('[digest]\nto = "a@example.org\\nCc: b@example.org"', "[digest] to"),
    ('[digest]\nreply_to = "r@example.org\\r\\n"', "[digest] reply_to"),
    ('author_email = "me@example.org\\nX: y"', "author_email"),
])
def test_a_line_break_in_an_address_is_a_config_error(tmp_path, capsys, setting, key):
    config = site_with(tmp_path, BASE + setting + "\n")
    assert run(config, "digest") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"publisher: error: {config}: {key}: ") and "holds a line break" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(("subject", "message"), [
    ("{{ 1/0 }}", "[digest] subject: the template failed: ZeroDivisionError: division by zero"),
    ("{{ site.title.nope() }}", "[digest] subject: 'str object' has no attribute 'nope'"),
    ("{{ '%d' % site.title }}", "[digest] subject: the template failed: TypeError"),
])
def test_a_subject_template_that_raises_is_a_config_error(tmp_path, capsys, subject, message):
    config = site_with(tmp_path, BASE + f"[digest]\nsubject = '''{subject}'''\n")
    assert run(config, "digest") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"publisher: error: {config}: {message}") and len(err.splitlines()) == 1


@pytest.mark.parametrize(("setting", "message"), [
    ("[digest]\nbudget = -1", "[digest] budget: -1 must be 1 or more bytes of HTML"),
    ("max_article_bytes = 0", "max_article_bytes: 0 must be 1 to 67,108,864 bytes"),
    ("max_article_bytes = 100_000_000", "max_article_bytes: 100000000 must be 1 to 67,108,864 bytes"),
    ('icon = "javascript:alert(1)"', "icon: 'javascript:alert(1)' is not an http(s) address"),
    ('[digest]\nunsubscribe_url = "javascript:alert(1)"',
     "[digest] unsubscribe_url: 'javascript:alert(1)' is not an http(s) address"),
])
def test_a_value_out_of_bounds_is_a_config_error_naming_its_key(tmp_path, capsys, setting, message):
    config = site_with(tmp_path, BASE + setting + "\n")
    assert run(config) == 2
    assert capsys.readouterr().err.startswith(f"publisher: error: {config}: {message}")
