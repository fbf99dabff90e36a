"""The newsletter's database (publisher/email/store/): subscribers and their statuses with the time of each
change, counts, imports that never sign up again whoever left, signup rate limits, its own lock, and a
damaged database moved aside saying what was lost. Real SQLite files, as the commands use them."""

from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import closing

import pytest

from publisher.email.store import (
    add_soft_bounce,
    allow_attempt,
    changes,
    counts,
    import_subscribers,
    open_journal,
    open_newsletter,
    set_status,
    subscriber,
    subscribers,
    suppressed,
)
from publisher.errors import LockError
from publisher.newsletter import Subscriber
from tests.conftest import make_config


@pytest.fixture
def db(tmp_path):
    with closing(open_journal(tmp_path / "newsletter.sqlite3")) as connection:
        yield connection


def test_each_change_of_status_is_recorded_with_its_time(db):
    assert set_status(db, "ann@example.net", "pending", "signup form", name="Ann")
    assert set_status(db, "ANN@example.net", "active", "confirmed")
    assert not set_status(db, "ann@example.net", "active", "confirmed again")  # no change, nothing recorded
    assert set_status(db, "ann@example.net", "unsubscribed", "one-click")
    record = subscriber(db, "Ann@Example.NET")
    assert record is not None and (record.status, record.reason, record.subscriber.name) == (
        "unsubscribed",
        "one-click",
        "Ann",
    )
    history = changes(db, "ann@example.net")
    assert [(status, reason) for status, reason, _ in history] == [
        ("pending", "signup form"),
        ("active", "confirmed"),
        ("unsubscribed", "one-click"),
    ]
    assert all(at.endswith("+00:00") for _, _, at in history) and record.changed == history[-1][2]
    assert suppressed(db) == {"ann@example.net"}
    with pytest.raises(ValueError, match="'gone' is not one of pending, active"):
        set_status(db, "ann@example.net", "gone", "?")


def test_an_unsubscribe_never_weakens_a_complaint_or_a_bounce(db):
    for address, status in (("cat@example.net", "complained"), ("dan@example.net", "bounced")):
        set_status(db, address, "active", "confirmed")
        set_status(db, address, status, "report")
        assert not set_status(db, address, "unsubscribed", "one-click in an old issue")
        record = subscriber(db, address)
        assert record is not None and record.status == status


def test_counts_per_status_and_soft_bounces(db):
    import_subscribers(db, [Subscriber(f"r{i}@example.net") for i in range(4)], "imported")
    set_status(db, "r0@example.net", "bounced", "550 5.1.1 no such user")
    set_status(db, "r1@example.net", "complained", "ARF report")
    set_status(db, "new@example.net", "pending", "signup form")
    assert add_soft_bounce(db, "r2@example.net") == 1 and add_soft_bounce(db, "r2@example.net") == 2
    assert add_soft_bounce(db, "stranger@example.net") == 0
    assert counts(db) == {
        "pending": 1,
        "active": 2,
        "unsubscribed": 0,
        "bounced": 1,
        "complained": 1,
        "soft_bounces": 2,
    }
    assert [r.subscriber.email for r in subscribers(db)] == ["r2@example.net", "r3@example.net"]
    set_status(db, "r2@example.net", "active", "confirmed again")  # no change: the count stays
    assert subscriber(db, "r2@example.net").soft_bounces == 2  # type: ignore[union-attr]


def test_an_import_never_signs_up_again_whoever_left_and_activates_the_pending(db):
    set_status(db, "left@example.net", "unsubscribed", "one-click")
    set_status(db, "waiting@example.net", "pending", "signup form")
    people = [
        Subscriber("Left@example.net", "Left"),
        Subscriber("waiting@example.net", "Wait", {"plan": "pro"}),
        Subscriber("new@example.net", "New"),
    ]
    assert import_subscribers(db, people, "imported from list.csv") == (1, 1, 1)
    assert subscriber(db, "left@example.net").status == "unsubscribed"  # type: ignore[union-attr]
    waiting = subscriber(db, "waiting@example.net")
    assert waiting is not None and waiting.status == "active" and dict(waiting.subscriber.fields) == {"plan": "pro"}
    assert import_subscribers(db, people, "again") == (0, 2, 1)  # the same list again changes nothing more


def test_signups_are_limited_per_address_and_per_client(db):
    def attempt(address: str, client: str) -> bool:
        return allow_attempt(db, {"address": (address, 2), "client": (client, 3)}, window=0.5)

    assert attempt("a@example.net", "192.0.2.1") and attempt("a@example.net", "192.0.2.2")
    assert not attempt("a@example.net", "192.0.2.3")  # the address had its two
    assert attempt("b@example.net", "192.0.2.1") and attempt("c@example.net", "192.0.2.1")
    assert not attempt("d@example.net", "192.0.2.1")  # the client had its three (a refused attempt is not counted)
    time.sleep(0.6)
    assert attempt("a@example.net", "192.0.2.1")  # the window moved on


def test_the_newsletter_has_its_own_lock_which_the_build_never_takes(tmp_path):
    from publisher.engine.state import open_state

    config = make_config(state_dir=str(tmp_path / "state"), output=str(tmp_path / "out"))
    with open_newsletter(config):
        with open_state(config, lock_timeout=0):  # a build goes on while a send holds the newsletter
            pass
        with pytest.raises(LockError, match="another send or digest still holds the newsletter"):
            with open_newsletter(config, lock_timeout=0):
                pass
        with open_newsletter(config, lock=False) as db:  # a signup or an unsubscribe needs no lock
            set_status(db, "a@example.net", "pending", "signup form")


def test_a_damaged_database_is_moved_aside_saying_what_was_lost(tmp_path, caplog):
    path = tmp_path / "newsletter.sqlite3"
    with closing(open_journal(path)) as db:
        import_subscribers(db, [Subscriber(f"r{i}@example.net") for i in range(3)], "imported")
        set_status(db, "r0@example.net", "unsubscribed", "by address")
    with open(path, "r+b") as damaged:  # the schema page survives, every table after it is garbage
        damaged.seek(4096)
        damaged.write(b"\xff" * 8192)
    with caplog.at_level(logging.WARNING, "publisher"), closing(open_journal(path)) as db:
        assert counts(db)["active"] == 0
    [warning] = [r.getMessage() for r in caplog.records]
    assert "moved it to newsletter.sqlite3.damaged-" in warning and "Lost with it:" in warning
    assert "the digest history" in warning and "publisher subscribers import" in warning
    assert "unsubscribed" in warning  # what the lost database still says it held, as far as it can be read
    assert len(list(tmp_path.glob("newsletter.sqlite3.damaged-*"))) == 1


def test_a_foreign_database_is_not_taken_for_ours(tmp_path, caplog):
    path = tmp_path / "newsletter.sqlite3"
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE notes (text TEXT)")
        other.commit()
    with caplog.at_level(logging.WARNING, "publisher"), closing(open_journal(path)) as db:
        assert counts(db)["active"] == 0
    assert any("it is not publisher's newsletter database" in r.getMessage() for r in caplog.records)
    with closing(sqlite3.connect(next(tmp_path.glob("newsletter.sqlite3.damaged-*")))) as kept:
        assert kept.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]  # kept, not deleted
