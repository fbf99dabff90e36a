"""The digest history in the state store: each --since-last digest's cut-off and what it covered.

The next --since-last digest starts where the last one ended (see digest.LATE_ARRIVALS for
articles that arrive late). A history that cannot be read is an error that names --force, never
silently a digest of everything: sending a list last month's articles again is worse than not
sending.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

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


def _lost_reason(lost: object) -> str:
    if isinstance(lost, str):
        return lost
    return "the state database was damaged and moved aside"


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return moment
