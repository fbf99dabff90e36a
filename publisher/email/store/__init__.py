"""The newsletter's own database: ``newsletter.sqlite3`` in the state folder, beside the build's cache.

It holds the newsletter's records, which (unlike the build's cache) cannot be made again:

- ``subscribers``: each address with its status (pending, active, unsubscribed, bounced,
  complained), when it last changed, and its soft bounces; ``subscriber_changes`` keeps the time
  and reason of every change (subscribers.py);
- ``digests`` and ``digest_articles``: the digest history (each --since-last cut-off, what it
  covered); ``issues`` and ``deliveries``: issues sent to each subscriber, and the delivery journal
  that makes each go out exactly once (journal.py);
- ``attempts``: recent signups per address and per client, for the web app's rate limits;
- ``meta``: what the database is, a note when the records were lost, and the skipped articles the
  last digest or send named (each is named once).

A send or a digest holds the newsletter's lock (``newsletter.lock``, an flock the kernel releases
however the run ends) for its whole length, so two never interleave; a build takes the state
folder's lock, never this one, so the two run side by side. Every other change (a signup, an
unsubscribe, an import) is one short transaction that needs no lock: SQLite serialises them. A
damaged database is moved aside with a warning saying what was lost, and a new one started
(database.py). All of the newsletter's SQL is in this package; every function takes the open
``sqlite3.Connection`` and every change is a transaction.
"""

from .database import DB_NAME, LOCK_NAME, open_journal, open_newsletter, peek_newsletter, transaction
from .journal import (
    StoredIssue,
    delivery_of_address,
    delivery_of_token,
    finish_issue,
    forget_delivery,
    forget_lost_history,
    issue_started,
    last_digest,
    named_problems,
    record_delivery,
    record_digest,
    record_named_problems,
    record_reply,
    recorded,
    start_issue,
    stored_issue,
    unfinished_issue,
    unread_replies,
)
from .subscribers import (
    STATUSES,
    SUPPRESSED,
    SubscriberRecord,
    add_soft_bounce,
    allow_attempt,
    changes,
    counts,
    import_subscribers,
    set_status,
    subscriber,
    subscribers,
    suppressed,
)

__all__ = [
    "DB_NAME",
    "LOCK_NAME",
    "STATUSES",
    "SUPPRESSED",
    "StoredIssue",
    "SubscriberRecord",
    "add_soft_bounce",
    "allow_attempt",
    "changes",
    "counts",
    "delivery_of_address",
    "delivery_of_token",
    "finish_issue",
    "forget_delivery",
    "forget_lost_history",
    "import_subscribers",
    "issue_started",
    "last_digest",
    "named_problems",
    "open_journal",
    "open_newsletter",
    "peek_newsletter",
    "record_delivery",
    "record_digest",
    "record_named_problems",
    "record_reply",
    "recorded",
    "set_status",
    "start_issue",
    "stored_issue",
    "subscriber",
    "subscribers",
    "suppressed",
    "transaction",
    "unfinished_issue",
    "unread_replies",
]
