"""[digest] and [smtp]: the sections of the settings for the e-mail newsletter (see config/sections.py for
how a section's fields are defined and used)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..email.addresses import check_mail_settings
from ..errors import ConfigError
from . import checks
from .sections import about

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
        check_mail_settings(self)

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
        checks.check_smtp(self)
