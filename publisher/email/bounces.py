"""Bounces and complaints: what each one does to a subscriber, and how a bounce finds its subscriber.

- A hard bounce (the address does not exist: a 5xx at send time, or a DSN's ``Action: failed``)
  and a complaint (the reader pressed "this is spam": an ARF report, RFC 5965) suppress the
  address at once: ``bounced`` or ``complained`` in the newsletter's database.
- A soft bounce (a full mailbox, a server down for days: a DSN's ``Action: delayed``, or a 4xx the
  send gave up on) is counted; at ``[digest] soft_bounce_limit`` of them the address is suppressed.
- A 5xx whose enhanced status code is 5.7.x is about the message or the sender (a spam filter, an
  IP block list, DMARC), not the address: it counts as a soft bounce, so that one blocked send
  never suppresses a whole domain's readers.

VERP (``[digest] bounce_address = "bounces+{token}@example.org"``): each message's envelope sender
carries a token of its delivery (the unsubscribe token, in lower-case hex so that no mail system's
case folding breaks it), so a DSN sent back to that address names its subscriber even when the
report itself hides or rewrites the address.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import sqlite3
from dataclasses import dataclass

from .store import add_soft_bounce, delivery_of_token, set_status, subscriber

log = logging.getLogger("publisher")

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")  # RFC 3463: class.subject.detail


@dataclass(frozen=True)
class Outcome:
    """What a bounce or complaint did to one address: its status after it, and why."""

    address: str
    kind: str  # "hard", "soft" or "complaint"
    status: str  # the address's status now: "bounced", "complained", or "active" (a soft bounce counted)
    reason: str


def refused_at_send(
    db: sqlite3.Connection, address: str, code: int, reply: str, issue: str, soft_limit: int
) -> Outcome:
    """A 5xx reply to a message of ``issue``: a hard bounce, or a soft one when it is about the message
    (5.7.x policy: spam filters, block lists, DMARC)."""
    reason = f"{code} {reply} (refused at the send of {issue})"
    enhanced = _ENHANCED.search(reply)
    if enhanced and enhanced.group(2) == "7":
        return soft_bounce(db, address, reason, soft_limit)
    return hard_bounce(db, address, reason)


def hard_bounce(db: sqlite3.Connection, address: str, reason: str) -> Outcome:
    set_status(db, address, "bounced", reason)
    return Outcome(address.lower(), "hard", "bounced", reason)


def complaint(db: sqlite3.Connection, address: str, reason: str) -> Outcome:
    set_status(db, address, "complained", reason)
    return Outcome(address.lower(), "complaint", "complained", reason)


def soft_bounce(db: sqlite3.Connection, address: str, reason: str, limit: int) -> Outcome:
    """Count one soft bounce; at ``limit`` of them the address is suppressed (``bounced``)."""
    known = subscriber(db, address)
    if known is None:  # a reader of a list kept in a CSV file: the count needs a row
        set_status(db, address, "active", "a soft bounce of a message sent to a list file")
    elif known.status != "active":
        return Outcome(address.lower(), "soft", known.status, reason)
    count = add_soft_bounce(db, address)
    if count >= limit:
        return hard_bounce(db, address, f"{count} soft bounces, the last: {reason}")
    return Outcome(address.lower(), "soft", "active", f"soft bounce {count} of {limit}: {reason}")


def verp_address(template: str, token: str) -> str:
    """``template``'s {token} filled with ``token`` as lower-case hex (22 characters of URL-safe base64 are
    case-sensitive; some mail systems lower-case a local part)."""
    return template.replace("{token}", base64.urlsafe_b64decode(token + "==").hex())


def verp_delivery(template: str, addresses: list[str], db: sqlite3.Connection) -> tuple[str, str] | None:
    """(address, issue) of the delivery one of ``addresses`` (where a bounce was delivered to) is the
    VERP address of, or None."""
    local, _, domain = template.rpartition("@")
    before, _, after = local.partition("{token}")
    pattern = re.compile(
        re.escape(before) + "([0-9a-f]{32})" + re.escape(after) + "@" + re.escape(domain), re.IGNORECASE
    )
    for address in addresses:
        found = pattern.fullmatch(address.strip())
        if found:
            try:
                token = base64.urlsafe_b64encode(bytes.fromhex(found.group(1))).rstrip(b"=").decode("ascii")
            except (ValueError, binascii.Error):
                continue
            delivery = delivery_of_token(db, token)
            if delivery is not None:
                return delivery
    return None
