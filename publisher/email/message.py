"""The digest as a message ready to send (RFC 5322 / 2045), and the send-readiness check."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from email import policy as email_policy
from email import quoprimime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import html as lxml_html

from ..addresses import no_line_breaks
from ..config import Config
from ..text import repair_line
from ..urls import URL_ATTRIBUTES
from .html import EMAIL_FORBIDDEN

# Gmail drops a <style> block over 16 KB and clips HTML over 102 KB.
STYLE_LIMIT = 16 * 1024
UNDISCLOSED = "undisclosed-recipients:;"  # RFC 5322 empty group: the ESP fills in the recipients
# How messages go on the wire: email.policy.SMTP (CRLF, RFC 2047 headers), except that a header set raw
# (List-Unsubscribe) keeps the folding given to it. The default refolds a header line over 78
# characters into RFC 2047 encoded words, and a subscriber's unsubscribe URL is longer than that:
# "=?utf-8?q?=3Chttps=3A//..." is no URL to a mail client. RFC 5322 allows 998 characters a line.
WIRE = email_policy.SMTP.clone(refold_source="none")
WIRE_UTF8 = email_policy.SMTPUTF8.clone(refold_source="none")


def addressed_message(config: Config) -> EmailMessage:
    """An empty message with the digest's From and To: the envelope of a send, known before anything is rendered."""
    message = EmailMessage()
    message["From"] = config.digest.from_ or _default_from(config, urlsplit(config.site.url).hostname or "localhost")
    message["To"] = config.digest.to or UNDISCLOSED
    return message


def build_message(config: Config, *, subject: str, html: str, text: str, date: datetime) -> EmailMessage:
    """multipart/alternative (text/plain, then text/html, both UTF-8) with the headers lists need."""
    host = urlsplit(config.site.url).hostname or "localhost"
    message = addressed_message(config)
    if config.digest.reply_to:
        message["Reply-To"] = config.digest.reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    # Derived from the content, so rendering the same digest twice gives the same message.
    digest_id = hashlib.sha256(f"{subject}\n{html}".encode()).hexdigest()[:16]
    message["Message-ID"] = f"<digest.{date:%Y%m%dT%H%M%S}.{digest_id}@{host}>"
    unsubscribe = [f"<{u}>" for u in (config.digest.unsubscribe_url,) if u]
    if config.digest.unsubscribe_mailto:
        mailto = config.digest.unsubscribe_mailto
        unsubscribe.append(f"<{mailto if mailto.startswith('mailto:') else 'mailto:' + mailto}>")
    if unsubscribe:
        no_line_breaks(", ".join(unsubscribe), "List-Unsubscribe")
        message.set_raw("List-Unsubscribe", ",\n ".join(unsubscribe))  # one address a line; see WIRE
    if config.digest.unsubscribe_url and config.digest.unsubscribe_url.startswith("https://"):
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058 needs an HTTPS URL
    if config.digest.list_id != "":  # "" turns it off
        message["List-Id"] = config.digest.list_id or default_list_id(config.site.title, host)
    if config.digest.feedback_id:
        message["Feedback-ID"] = config.digest.feedback_id
    # MIME-Version on the message only (RFC 2045 section 4): EmailMessage.add_alternative stamped it on the
    # HTML part too, which spam filters score.
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = "multipart/alternative"
    message.attach(_text_part(text, "plain"))
    message.attach(_text_part(html, "html"))
    # Not the random default: the same digest gives the same bytes, so an unchanged digest.eml is not rewritten.
    message.set_boundary(f"=_publisher_{digest_id}")  # "=_" never occurs in quoted-printable text
    return message


def stamped(message: EmailMessage, config: Config, now: datetime | None = None) -> EmailMessage:
    """A copy of ``message`` as it leaves now: Date is the moment of sending and the Message-ID is new.

    The files ``digest`` writes keep the window's end and a Message-ID derived from the content, so
    they stay byte-identical; a message actually sent must not look like a copy of the test send
    before it (Gmail threads and drops messages with a Message-ID it has seen).
    """
    sent = copy.copy(message)
    sent._headers = list(message._headers)  # type: ignore[attr-defined] # the header list is the only state changed
    sent.replace_header("Date", format_datetime(now or datetime.now(UTC)))
    sent.replace_header("Message-ID", make_msgid("digest", domain=urlsplit(config.site.url).hostname or "localhost"))
    return sent


def _text_part(text: str, subtype: str) -> EmailMessage:
    """A UTF-8 quoted-printable text part, byte for byte what ``set_content(text, cte="quoted-printable")``
    makes, encoded a line at a time with each line's encoding kept: the messages of a newsletter to
    each subscriber differ in a few lines (the unsubscribe link), and encoding the whole 37 KB HTML
    part again for every subscriber was two thirds of a message's CPU time."""
    part = EmailMessage()  # only set_content adds a MIME-Version; these parts get none
    part["Content-Type"] = f"text/{subtype}"
    part.set_param("charset", "utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    # bytes.splitlines, as the email package splits a body: only CR, LF and CRLF end a line.
    part.set_payload("".join(_quoted_printable(line) for line in text.encode("utf-8").splitlines()))
    return part


@lru_cache(maxsize=16_384)
def _quoted_printable(line: bytes) -> str:
    # Quoted-printable encodes each line on its own (RFC 2045 section 6.7), so line by line is the same text.
    return quoprimime.body_encode(line.decode("latin-1") + "\n", 78)  # set_content's width (policy.default)


def default_list_id(title: str, host: str) -> str:
    """RFC 2919's List-Id for a site: its title as the phrase and ``newsletter.<host>`` as the id, so that
    filters and mail clients tell the list apart from the site's other mail. A host without a dot
    (localhost) or an IPv6 address gives an id in RFC 2919's unmanaged "localhost" space."""
    domain = host if "." in host and ":" not in host else "localhost"  # an IPv6 literal is no dot-atom either
    return formataddr((repair_line(title), f"newsletter.{domain}"))


def _default_from(config: Config, host: str) -> str:
    email = config.site.author_email or f"newsletter@{host}"
    name, address = parseaddr(email)
    return formataddr((name or config.site.title, address or email))


def check_digest(html: str, message: EmailMessage, *, budget: int) -> list[str]:
    """What would make this digest look broken or be filtered; empty when it is ready to send."""
    problems: list[str] = []
    size = len(html.encode("utf-8"))
    if size > budget:
        problems.append(f"HTML is {size:,} bytes, over the {budget:,}-byte budget (Gmail clips at 102 KB)")
    tree = lxml_html.document_fromstring(html)
    style = sum(len((s.text or "").encode("utf-8")) for s in tree.iter("style"))
    if style > STYLE_LIMIT:
        problems.append(f"<style> holds {style:,} bytes; Gmail drops style blocks over 16 KB")
    for tag in sorted(EMAIL_FORBIDDEN | {"script"}):  # <style> is allowed: the inliner leaves media queries
        found = len(list(tree.iter(tag)))
        if found:
            problems.append(f"{found} <{tag}> element(s) left; mail clients strip or block them")
    for element in tree.iter():
        for attribute in URL_ATTRIBUTES:
            value = element.get(attribute)
            if value is None:
                continue
            scheme = urlsplit(value.strip()).scheme.lower()
            if scheme in ("javascript", "data", "vbscript"):
                problems.append(
                    f"<{element.tag} {attribute}={_short(value)!r}>: a {scheme}: address is blocked "
                    "by mail clients and scored as spam"
                )
            elif not _absolute(value):
                problems.append(f"<{element.tag} {attribute}={value!r}>: a relative URL does not work in e-mail")
            elif element.tag == "img" and attribute == "src" and _unshown_format(value):
                problems.append(
                    f"<img src={value!r}>: {_unshown_format(value)} images are not shown by Outlook "
                    "and some Gmail apps; use JPEG, PNG or GIF (local covers are converted)"
                )
        if element.tag == "img":
            missing = [a for a in ("width", "height", "alt") if element.get(a) is None]
            if missing:
                problems.append(f"<img src={element.get('src')!r}> has no {' or '.join(missing)}")
    body = tree.find("body")
    first = body[0] if body is not None and len(body) else None
    if first is None or "display:none" not in (first.get("style") or "").replace(" ", ""):
        problems.append("no hidden preheader as the first element of <body>")
    for header in ("From", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"):
        if message[header] is None:
            problems.append(f"no {header} header" + (" (set [digest] unsubscribe_url)" if "Unsub" in header else ""))
    return problems


# Formats Outlook (desktop and mobile) and several Gmail apps do not display.
UNSHOWN = {".svg": "SVG", ".svgz": "SVG", ".avif": "AVIF", ".webp": "WebP"}


def _unshown_format(url: str) -> str | None:
    path = urlsplit(url).path.lower()
    return next((name for suffix, name in UNSHOWN.items() if path.endswith(suffix)), None)


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def _absolute(url: str) -> bool:
    scheme = urlsplit(url.strip()).scheme
    return scheme in ("http", "https") or scheme in ("mailto", "tel") or url.startswith("#")
