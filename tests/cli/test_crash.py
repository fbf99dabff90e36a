"""Crashes and overlapping runs: a killed build never leaves a half-written feed, two runs never
interleave, and a full or read-only output or state folder keeps the previous outputs."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree

import publisher
from benchmarks.make_corpus import make_corpus
from publisher.engine.state import open_state
from tests.conftest import NOW, NOW_ARG, PROCESS_ENV, publisher_command, run_publisher, sized, write_article

# Archives off: they would render all 2,000 articles on each of the many builds here, and they
# are written by the same write_feeds path the tag and category feeds already exercise.
CRASH = {
    "title": "Crash",
    "url": "https://crash.example.org/",
    "feeds": {"limit": 2, "tags": True, "categories": True, "archives": False},
}
BUILD = ("build", "--now", NOW_ARG)


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*.xml")}


@pytest.fixture(scope="module")
def corpus_site(site):
    made = site(**CRASH)
    make_corpus(2000, made.content)
    return made


def test_sigkill_at_20_random_moments_leaves_each_feed_old_or_new(corpus_site):
    site = corpus_site
    started = time.monotonic()
    assert run_publisher(*BUILD, cwd=site, timeout=300).returncode == 0
    duration = time.monotonic() - started
    old = snapshot(site / "feeds")
    rng = random.Random(20251125)
    for round_ in range(sized(20, 5)):  # 20 in CI; each round is a killed build and a whole one (20 took a minute)
        # Each round changes what every main feed holds, then kills a build somewhere in its run.
        # Newer than the whole corpus, and each round newer than the one before.
        published = (NOW - timedelta(days=20 - round_)).date().isoformat()
        site.add(
            f"new/round-{round_}.md",
            title=f"Round {round_}",
            date=published,
            tags="[topic-001]",
            body=f"Round {round_} body.",
        )
        proc = subprocess.Popen(
            publisher_command(*BUILD), cwd=site, env=PROCESS_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        middle = snapshot(site / "feeds")
        with closing(sqlite3.connect(site / ".publisher" / "state.sqlite3")) as db:  # whole after any kill
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finished = run_publisher(*BUILD, cwd=site, timeout=300)
        assert finished.returncode == 0, finished.stderr
        new = snapshot(site / "feeds")
        for name, data in middle.items():
            assert data in (old.get(name), new.get(name)), f"round {round_}: {name} is neither old nor new"
            etree.fromstring(data)
        assert feedparser.parse(new["atom.xml"]).entries[0].title == f"Round {round_}"
        assert not [p for p in (site / "feeds").rglob("*.tmp")], "temporary files left after a complete run"
        assert "damaged" not in finished.stderr and sorted(p.name for p in (site / ".publisher").iterdir()) == [
            ".gitignore",
            "state.sqlite3",
        ]
        old = new


def _children(pid: int) -> list[int]:
    try:
        return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Running, or stopped: not gone and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_build_killed_while_its_forked_helper_works_locks_out_no_later_run(site, sent):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to see the build's forked helper")
    made = site(**CRASH)
    make_corpus(1200, made.content)  # from 1,000 files to parse, a cold build forks a helper (forked.py)
    proc = subprocess.Popen(
        publisher_command(*BUILD), cwd=made, env=PROCESS_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not (helpers := _children(proc.pid)) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert helpers, "the build finished without forking a helper: nothing was tested"
    proc.send_signal(sent)
    proc.wait()
    later = run_publisher(*BUILD, "--lock-timeout", "10", cwd=made, timeout=300)
    assert later.returncode == 0, later.stderr
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in helpers), "the helper outlived the build that forked it"
    assert feedparser.parse((made / "feeds" / "atom.xml").read_bytes()).bozo == 0


@pytest.fixture
def small_site(site):
    made = site(title="Lock", url="https://lock.example.org/")
    for i in range(3):
        made.add(f"p{i}.md", title=f"P{i}", date=f"2025-01-0{i + 1}", body="x")
    return made


HOLD_LOCK = (
    "import sys, time, publisher\nfrom publisher.engine.state import open_state\n"
    "with open_state(publisher.load_config(sys.argv[1])):\n    print('locked', flush=True); time.sleep({})"
)


def test_a_second_run_waits_then_exits_75_with_a_clear_message(small_site):
    with open_state(publisher.load_config(small_site / "publisher.toml")):
        started = time.monotonic()
        proc = run_publisher(*BUILD, "--lock-timeout", "1", cwd=small_site, timeout=300)
        waited = time.monotonic() - started
    assert proc.returncode == 75
    assert "another publisher run still holds this state folder after waiting 1 s; try again later" in proc.stderr
    assert waited >= 1
    assert not (small_site / "feeds" / "atom.xml").exists()
    assert run_publisher(*BUILD, cwd=small_site, timeout=300).returncode == 0  # released: the next run goes ahead


def test_a_run_waits_for_the_one_before_it_to_finish(small_site):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK.format(1.5), str(small_site / "publisher.toml")],
        env=PROCESS_ENV,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    proc = run_publisher(*BUILD, "--lock-timeout", "30", cwd=small_site, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert holder.wait() == 0
    assert time.monotonic() - started >= 0.5  # it waited for the holder rather than interleaving
    assert (small_site / "feeds" / "atom.xml").is_file()


def test_a_lock_left_by_a_killed_run_does_not_block(small_site):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK.format(600), str(small_site / "publisher.toml")],
        env=PROCESS_ENV,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (small_site / ".publisher").is_dir()  # the folder stays; its lock does not
    proc = run_publisher(*BUILD, "--lock-timeout", "2", cwd=small_site, timeout=300)
    assert proc.returncode == 0, proc.stderr


def _in_mount_namespace(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a shell script in a private mount namespace (so it can mount tmpfs or read-only binds)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed: cannot make a full or read-only folder")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a mount namespace here: {probe.stderr.decode().strip()}")
    return subprocess.run(
        ["unshare", "-m", "sh", "-ec", script], cwd=cwd, env=PROCESS_ENV, capture_output=True, text=True, timeout=300
    )


def _grow(folder: Path) -> None:
    """Articles large enough that feeds holding them no longer fit in a small folder."""
    paragraph = "Words that fill the disk and then some more words to make the feed larger. " * 40 + "\n\n"
    for i in range(30):
        write_article(
            folder, f"big-{i}.md", f"---\ntitle: Big {i}\npublishDate: 2025-02-{i % 28 + 1:02d}\n---\n" + paragraph * 20
        )


def _fill_up(site: Path, folder: str, size: str, then: str = "") -> subprocess.CompletedProcess:
    """Build on a ``size`` tmpfs mounted on ``folder`` (status in ``first=``), add articles that do not fit,
    build again (``status=``), then run ``then``."""
    _grow(site / "big")
    (site / folder).mkdir()
    cmd = " ".join(publisher_command(*BUILD))
    script = (
        f"mount -t tmpfs -o size={size} tmpfs {folder}\n{cmd}\necho first=$?\nmkdir before && cp -a feeds/. before/"
    )
    return _in_mount_namespace(f"{script}\ncp big/*.md content/\nset +e\n{cmd}\necho status=$?\n{then}", site)


def test_a_full_output_folder_is_a_clear_error_and_keeps_the_previous_feeds(small_site):
    result = _fill_up(small_site.root, "feeds", "256k", then="set -e\ndiff -r before feeds && echo unchanged")
    assert "status=1" in result.stdout, result
    assert "cannot be written (No space left on device); the previous file is unchanged" in result.stderr
    assert "unchanged" in result.stdout, result.stdout
    assert len(list((small_site / "before").glob("*.xml"))) == 2  # atom.xml, rss.xml: nothing is featured


def test_a_read_only_output_folder_is_a_clear_error_and_keeps_the_previous_feeds(small_site):
    assert run_publisher(*BUILD, cwd=small_site, timeout=300).returncode == 0
    before = snapshot(small_site / "feeds")
    _grow(small_site / "content")
    cmd = " ".join(publisher_command(*BUILD))
    result = _in_mount_namespace(
        f"mount --bind feeds feeds && mount -o remount,bind,ro feeds\nset +e\n{cmd}\necho status=$?", small_site
    )
    assert "status=1" in result.stdout, result
    assert "Read-only file system" in result.stderr
    assert snapshot(small_site / "feeds") == before


def test_a_full_state_folder_is_one_line_naming_the_database_and_the_next_run_goes_on(small_site):
    result = _fill_up(small_site.root, ".publisher", "512k")
    assert "first=0" in result.stdout and "status=1" in result.stdout, result
    assert result.stderr.splitlines() == [
        "publisher: error: .publisher/state.sqlite3: cannot be written (No space left on device); "
        "the previous state is unchanged"
    ]
    again = run_publisher(*BUILD, cwd=small_site, timeout=300)  # the disk has room again (the tmpfs is gone)
    assert again.returncode == 0, again.stderr
    assert len(feedparser.parse((small_site / "feeds" / "atom.xml").read_bytes()).entries) == 33


def test_a_full_state_folder_keeps_the_newsletters_records_and_the_next_digest_goes_on(site):
    # The disk fills up between two weekly digests: the newsletter's database is not damaged, only
    # full. Moving it aside lost the subscribers and the history, and the next digest sent everything again.
    news = site(title="Full", url="https://full.example.org/", digest={"unsubscribe_url": "https://full.example.org/u"})
    for day in (21, 22, 23):
        news.add(f"p{day}.md", title=f"P{day}", date=f"2026-11-{day}T08:00:00Z")
    (news / ".publisher").mkdir()
    digest = " ".join(publisher_command("digest", "--since-last", "-q", "--now"))
    result = _in_mount_namespace(
        f"""
        mount -t tmpfs -o size=1m tmpfs .publisher
        {digest} 2026-11-24T12:00:00Z
        dd if=/dev/zero of=.publisher/filler bs=4k 2>/dev/null || true
        printf -- '---\\ntitle: Late\\npublishDate: 2026-11-24T13:00:00Z\\n---\\nx\\n' > content/late.md
        set +e
        {digest} 2026-11-25T12:00:00Z
        echo status=$?
        set -e
        ls .publisher
        rm .publisher/filler
        {digest} 2026-11-25T12:00:00Z
        cat feeds/digest.txt
        """,
        news,
    )
    assert "status=1" in result.stdout, result
    assert result.stderr.splitlines() == [
        "publisher: error: .publisher/newsletter.sqlite3: cannot be written (No space left on device); "
        "the previous state is unchanged"
    ]
    assert "damaged" not in result.stdout
    sent = result.stdout.split("status=1", 1)[1]
    assert "Late" in sent and "P23" not in sent  # after the room came back: only what was new
