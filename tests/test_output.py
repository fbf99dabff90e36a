from __future__ import annotations

import os
import stat

import pytest

import publisher
from publisher.output import write_atomic


def test_write_feeds_writes_and_creates_subfolders(tmp_path):
    written = publisher.write_feeds({"atom.xml": b"<a/>", "tags/news.atom.xml": b"<b/>"}, tmp_path / "out")
    assert written == ["atom.xml", "tags/news.atom.xml"]
    assert (tmp_path / "out" / "tags" / "news.atom.xml").read_bytes() == b"<b/>"


def test_unchanged_files_are_not_rewritten(tmp_path):
    publisher.write_feeds({"atom.xml": b"same"}, tmp_path)
    target = tmp_path / "atom.xml"
    os.utime(target, (1_000_000_000, 1_000_000_000))
    inode = target.stat().st_ino
    assert publisher.write_feeds({"atom.xml": b"same"}, tmp_path) == []
    assert target.stat().st_mtime == 1_000_000_000 and target.stat().st_ino == inode


def test_changed_files_are_replaced_by_rename(tmp_path):
    target = tmp_path / "atom.xml"
    target.write_bytes(b"old")
    old_inode = target.stat().st_ino
    assert write_atomic(target, b"new") is True
    assert target.read_bytes() == b"new"
    assert target.stat().st_ino != old_inode  # a new file was renamed over the old one
    assert [p.name for p in tmp_path.iterdir()] == ["atom.xml"]  # no temporary file left behind


def test_new_files_are_readable_by_the_web_server(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "rss.xml", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "rss.xml").stat().st_mode) == 0o644


def test_existing_permissions_are_kept(tmp_path):
    target = tmp_path / "rss.xml"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize("name", ["../escape.xml", "/etc/passwd", "tags/../../escape.xml"])
def test_nothing_is_written_outside_the_output_folder(tmp_path, name):
    out = tmp_path / "out"
    with pytest.raises(publisher.errors.OutputError, match="outside the output folder"):
        publisher.write_feeds({name: b"x"}, out)
    assert not (tmp_path / "escape.xml").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_is_a_clear_error_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "atom.xml"
    target.write_bytes(b"old")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(publisher.errors.OutputError, match="previous file is unchanged"):
            write_atomic(target, b"new")
    finally:
        tmp_path.chmod(0o755)
    assert target.read_bytes() == b"old"


def test_a_target_that_cannot_be_replaced_is_a_clear_error(tmp_path):
    (tmp_path / "atom.xml").mkdir()
    with pytest.raises(publisher.errors.OutputError, match="atom.xml"):
        publisher.write_feeds({"atom.xml": b"x"}, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["atom.xml"]
