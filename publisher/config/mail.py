"""[digest] and [smtp]: the sections of the settings for the e-mail newsletter (see config/sections.py for
how a section's fields are defined and used)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..addresses import address_list, mailbox, no_line_breaks
from ..errors import ConfigError
from . import checks
from .sections import about

# SMTP connections a send may open at once (send --connections): more is no faster at any relay,
# and looks like an attack to most. Here, not in email/connections.py, so that reading the command
# line imports no SMTP or MIME code (every `publisher build` reads it).
MOST_CONNECTIONS = 32

DEFAULT_DIGEST_SUBJECT = (
    "{% if lead %}{{ lead.title }}{% else %}{{ site.title }}: {{ count }} new "
    "article{{ '' if count == 1 else 's' }}{% endif %}"
)


@dataclass(frozen=True)
class Digest:
    """[digest]: the e-mail digest and its web archive."""

    subject: str = field(
        default=DEFAULT_DIGEST_SUBJECT,
        metadata=about(
            "The subject line: a Jinja2 template with `site`, `articles`, `lead` (the first featured article, or none) "
            "and `count`."
        ),
    )
    limit: int = field(default=20, metadata=about("Most articles in a digest; featured ones are kept first."))
    full_bodies: bool = field(default=False, metadata=about("Whole articles instead of descriptions."))
    url: str | None = field(
        default=None,
        metadata=about(
            'Where the digest is on the web, for the "View this e-mail in your browser" link; unset: the issue\'s page '
            "in the web archive."
        ),
    )
    from_: str | None = field(
        default=None,
        metadata=about(
            "The From header; unset: the site title with `author_email`, else `newsletter@` the site's host.",
            key="from",
        ),
    )
    to: str | None = field(
        default=None, metadata=about("The To header; unset: `undisclosed-recipients:;` for your ESP to fill.")
    )
    reply_to: str | None = field(default=None, metadata=about("The Reply-To header."))
    unsubscribe_url: str | None = field(
        default=None,
        metadata=about(
            "Footer link and `List-Unsubscribe`; an https URL also gives one-click `List-Unsubscribe-Post` (RFC 8058). "
            "With `send --subscribers`, `{token}`, `{email}`, `{name}` and merge fields are filled in per subscriber."
        ),
    )
    unsubscribe_mailto: str | None = field(default=None, metadata=about("An address for `List-Unsubscribe` by mail."))
    subscribe_url: str | None = field(
        default=None,
        metadata=about(
            "Where readers reach the subscription web app (`publisher serve`), e.g. "
            "`https://example.org/newsletter/`: its confirmation links are made from it, never from a request's "
            "Host header."
        ),
    )
    postal_address: str | None = field(
        default=None, metadata=about("The footer's postal address line (anti-spam laws ask for one).")
    )
    utm_source: str | None = field(default=None, metadata=about("`utm_source` added to links to the site's own host."))
    utm_medium: str | None = field(default=None, metadata=about("`utm_medium` added to links to the site's own host."))
    utm_campaign: str | None = field(
        default=None, metadata=about("`utm_campaign` added to links to the site's own host.")
    )
    cover_size: str = field(
        default="1200x630",
        metadata=about(
            "Shape assumed for remote covers and unsized images (`WIDTHxHEIGHT`): sets their height in the e-mail."
        ),
    )
    budget: int = field(
        default=90_000,
        metadata=about(
            "Bytes of HTML after inlining; over it, whole bodies and then the oldest items give way (Gmail clips "
            "messages over 102 KB)."
        ),
    )
    list_id: str | None = field(
        default=None,
        metadata=about(
            "The `List-Id` header (RFC 2919), e.g. `Site news <news.example.org>`; unset: the site title and "
            '`newsletter.` the site\'s host; `""`: none.'
        ),
    )
    bounce_address: str | None = field(
        default=None,
        metadata=about(
            "The envelope sender (where bounces go) of each message of `send --subscribers`; `{token}` in it "
            "(e.g. `bounces+{token}@example.org`) ties each bounce to its subscriber (VERP). Unset: the From address."
        ),
    )
    soft_bounce_limit: int = field(
        default=3,
        metadata=about("Soft bounces (a full mailbox, a server down) after which an address is not sent to again."),
    )
    feedback_id: str | None = field(
        default=None, metadata=about("The `Feedback-ID` header (Gmail's feedback loop), e.g. `issue:news:example`.")
    )
    video_poster: str | None = field(
        default=None,
        metadata=about("Frontmatter field holding a video's poster image, for videos without their own `poster`."),
    )
    archive: bool = field(
        default=True,
        metadata=about(
            "Write each issue as a web page in `newsletter/` of the output folder, with an index and an Atom feed of "
            "past issues."
        ),
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "digest")
        if not self.subject.strip():
            raise ConfigError("[digest] subject: must not be empty (a Jinja2 template of the subject line)")
        if self.limit < 1:
            raise ConfigError(f"[digest] limit: {self.limit} must be 1 or more")
        if self.soft_bounce_limit < 1:
            raise ConfigError(f"[digest] soft_bounce_limit: {self.soft_bounce_limit} must be 1 or more")
        if self.budget < 1:
            raise ConfigError(f"[digest] budget: {self.budget} must be 1 or more bytes of HTML")
        _ = self.cover_shape  # raises ConfigError for a malformed size
        _check_addresses(self)

    @property
    def cover_shape(self) -> tuple[int, int]:
        """``cover_size`` as (width, height)."""
        width, sep, height = self.cover_size.lower().partition("x")
        if not (sep and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
            raise ConfigError(
                f"[digest] cover_size: {self.cover_size!r} is not a size (expected WIDTHxHEIGHT, e.g. 1200x630)"
            )
        return int(width), int(height)


@dataclass(frozen=True)
class Smtp:
    """[smtp]: the server `publisher send` hands the digest to. The password only ever comes from the
    environment; email/smtp.py's SmtpSettings is this section plus what a run adds (password, timeout)."""

    host: str | None = field(
        default=None,
        metadata=about("The SMTP server `send` delivers to (for a real list, your ESP's relay); `--smtp-host` wins."),
    )
    port: int | None = field(
        default=None, metadata=about("Its port; unset: 465 with `ssl`, else 587. `--smtp-port` wins.")
    )
    starttls: bool = field(
        default=False,
        metadata=about(
            "Upgrade the connection to TLS; a server that does not offer it is an error, never a plain-text send."
        ),
    )
    ssl: bool = field(default=False, metadata=about("TLS from the first byte (implicit TLS, usually port 465)."))
    user: str | None = field(
        default=None,
        metadata=about(
            "User to log in as (`--smtp-user` or `PUBLISHER_SMTP_USER` also work); the password only ever comes from "
            "`PUBLISHER_SMTP_PASSWORD`, never from this file."
        ),
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "smtp")
        _check_smtp(self)


def _check_addresses(digest: Digest) -> None:
    """The [digest] addresses and header values: exit 2 (ConfigError) for anything that would write a
    header other than the one meant: CR/LF, a second mailbox in From, junk after an address."""
    if digest.from_ is not None:
        mailbox(digest.from_, "[digest] from")
    if digest.to is not None:
        address_list(digest.to, "[digest] to")
    if digest.reply_to is not None:
        address_list(digest.reply_to, "[digest] reply_to")
    if digest.unsubscribe_mailto is not None:
        mailto = no_line_breaks(digest.unsubscribe_mailto, "[digest] unsubscribe_mailto")
        mailbox(mailto.removeprefix("mailto:").split("?", 1)[0], "[digest] unsubscribe_mailto")
    if digest.bounce_address is not None:
        _check_bounce_address(digest.bounce_address)
    for key, value in (
        ("[digest] unsubscribe_url", digest.unsubscribe_url),
        ("[digest] url", digest.url),
        ("[digest] list_id", digest.list_id),
        ("[digest] feedback_id", digest.feedback_id),
    ):
        if value is not None:
            no_line_breaks(value, key)


def _check_smtp(smtp: Smtp) -> None:
    for name in ("host", "user"):
        value = getattr(smtp, name)
        if isinstance(value, str):
            no_line_breaks(value, f"[smtp] {name}")
    if smtp.starttls and smtp.ssl:
        raise ConfigError(
            "[smtp] starttls and ssl cannot both be on: ssl is TLS from the start (port 465), "
            "starttls upgrades a plain connection (port 587); choose the one the server offers"
        )
    if smtp.port is not None and not 0 < smtp.port < 65536:
        raise ConfigError(f"[smtp] port: {smtp.port!r} is not a port number (587 for STARTTLS, 465 for SSL)")


def _check_bounce_address(value: str, what: str = "[digest] bounce_address") -> None:
    """One address, with at most a {token} (VERP), in the part before the @: a ConfigError (exit 2) otherwise."""
    local, at, _ = value.rpartition("@")
    if value.count("{token}") > 1 or ("{token}" in value and "{token}" not in local):
        raise ConfigError(f"{what}: {value!r} may hold one {{token}}, in the part before the @")
    if re.search(r"\{(?!token\})", value) or not at:
        raise ConfigError(f"{what}: {value!r} is not an address (expected e.g. bounces+{{token}}@example.org)")
    no_line_breaks(value, what)
    mailbox(value.replace("{token}", "0" * 32), what)
