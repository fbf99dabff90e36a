"""The newsletter's public API: the e-mail digest of a window of articles, written, previewed or sent,
to a list or to each subscriber once. (The code is in publisher/email/; these are the names a caller
uses.)

    from publisher import newsletter

    run = newsletter.write_digest(config, newsletter.DigestRequest(since_last=True))   # publisher digest
    digest = newsletter.render_digest(articles, config, days=7)                       # no state, no files
    newsletter.write_digest_files(digest, config, "public/")

Importing it loads Jinja2, premailer and the rest of the e-mail stack, which a feed build never needs.
"""

from .email.delivery import DeliveryReport, send_newsletter, send_to_subscribers
from .email.digest import Digest, render_digest
from .email.newsletter import DigestCheckFailed, DigestRequest, DigestRun, preview_digest, send_digest, write_digest
from .email.smtp import SmtpSettings, send_message
from .email.store import open_journal
from .email.store.subscribers import Subscriber
from .email.subscribers import read_subscribers, unsubscribe
from .email.webarchive import digest_outputs, write_digest_files

__all__ = [
    "DeliveryReport",
    "Digest",
    "DigestCheckFailed",
    "DigestRequest",
    "DigestRun",
    "SmtpSettings",
    "Subscriber",
    "digest_outputs",
    "open_journal",
    "preview_digest",
    "read_subscribers",
    "render_digest",
    "send_digest",
    "send_message",
    "send_newsletter",
    "send_to_subscribers",
    "unsubscribe",
    "write_digest",
    "write_digest_files",
]
