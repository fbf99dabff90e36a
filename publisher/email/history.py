"""The digest history in the state store: each --since-last digest's cut-off and what it covered.

The next --since-last digest starts where the last one ended (see digest.LATE_ARRIVALS for
articles that arrive late). A history that cannot be read is an error that names --force, never
silently a digest of everything: sending a list last month's articles again is worse than not
sending.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from ..config import Config
from ..engine.state import LOST_HISTORY, StateStore
from ..errors import OutputError
from ..model import DigestState

log = logging.getLogger("publisher")
FIX = "pass --since DATE to say where the next digest starts, or --force to start afresh"


def last_digest(store: StateStore) -> DigestState | None:
    """The previous --since-last digest's state, or None if there was none."""
    lost = store.get(LOST_HISTORY)
    if lost:
        raise OutputError(f"{store.path}: the digest history was lost ({_lost_reason(lost)}); {FIX}")
    row = store.db.execute("SELECT id, until, message_id FROM digests ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    digest_id, until, message_id = row
    try:
        sent = {
            str(slug): _aware(published)
            for slug, published in store.db.execute(
                "SELECT slug, published FROM digest_articles WHERE digest_id = ?", (digest_id,)
            )
        }
        return DigestState(until=_aware(until), sent=sent, message_id=message_id)
    except (ValueError, TypeError) as exc:
        raise OutputError(f"{store.path}: the digest history cannot be read ({exc}); {FIX}") from None


def record_digest(store: StateStore, state: DigestState, *, since: datetime | None, subject: str) -> None:
    """Add a digest to the history (one transaction); clears a lost-history mark."""
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO digests (since, until, message_id, subject, recorded_at) VALUES (?, ?, ?, ?, ?)",
            (
                since.isoformat() if since else None,
                state.until.isoformat(),
                state.message_id,
                subject,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
        db.executemany(
            "INSERT INTO digest_articles (digest_id, slug, published) VALUES (?, ?, ?)",
            [(cursor.lastrowid, slug, when.isoformat()) for slug, when in sorted(state.sent.items())],
        )
        db.execute("DELETE FROM meta WHERE key = ?", (LOST_HISTORY,))


def forget_lost_history(store: StateStore) -> None:
    """--force: start afresh after a lost history (the next record clears the mark for good)."""
    with store.transaction() as db:
        db.execute("DELETE FROM meta WHERE key = ?", (LOST_HISTORY,))


def import_digest_state(store: StateStore, path: Path) -> None:
    """Take an old output folder's ``.digest-state.json`` into the history, then remove the file.

    One that cannot be read marks the history lost, so that the next --since-last digest asks
    for --since or --force, as reading it would have.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = DigestState(
            until=_aware(data["until"]),
            sent={str(slug): _aware(when) for slug, when in data.get("sent", {}).items()},
            message_id=data.get("message_id"),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        with store.transaction():
            store.put(LOST_HISTORY, f"{path} was not a digest state file: {exc}")
    else:
        record_digest(store, state, since=None, subject="(imported from .digest-state.json)")
    try:
        os.unlink(path)
    except OSError:
        pass


def _lost_reason(lost: object) -> str:
    if isinstance(lost, str):
        return lost
    return "the state database was damaged and moved aside"


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return moment


def migrate_output_folder(config: Config, store: StateStore) -> None:
    """Old builds kept their cache, lock and digest state in the output folder: take the digest
    state into the state store, remove the rest, and say so once."""
    out = Path(config.site.output)
    moved = []
    state_file = out / ".digest-state.json"
    if state_file.is_file():
        import_digest_state(store, state_file)
        moved.append(state_file.name)
    for name in (".publisher-cache", ".publisher.lock"):
        path = out / name
        if path.is_file() and not path.is_symlink():
            try:
                os.unlink(path)
            except OSError:
                continue
            moved.append(name)
    if moved:
        log.warning("the state now lives in %s: took %s out of the output folder %s", store.path, ", ".join(moved), out)
