"""The subscription web app: signing up with double opt-in, and unsubscribing, as a WSGI application that
can be mounted anywhere (``publisher serve`` runs it under waitress; gunicorn in production).

Its pages (templates/subscription.html.j2) are:

- ``/``: the signup form; its POST records the address as pending (rate-limited per address and per
  client, in the newsletter's database) and mails a confirmation link: a token signed with
  PUBLISHER_SIGNUP_SECRET that expires (itsdangerous);
- ``/confirm?token=...``: the page that link opens, with a button whose POST makes them active;
- ``/unsubscribe?token=...``: the page a message's unsubscribe link opens (the token of the delivery
  journal), with a button; its POST, and the RFC 8058 one-click POST (``List-Unsubscribe=One-Click``)
  a mail client sends to the same address, unsubscribe at once, answering 200 with no redirect.

A GET never changes anything: corporate link scanners (Microsoft Safe Links, Proofpoint) open every
link of a message, and an unsubscribe or a confirmation that acted on a GET would be done by them.
Requests are handled with werkzeug; each opens the newsletter's database for its own transaction.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..addresses import address_list
from ..config import Config
from ..errors import ConfigError, PublisherError
from ..templates import render_template, template_env
from .smtp import SmtpSettings, send_message
from .store import allow_attempt, delivery_of_token, open_newsletter, set_status, subscriber

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SIGNUP_SECRET_ENV = "PUBLISHER_SIGNUP_SECRET"
CONFIRM_SALT = "publisher signup confirmation"  # a token signed for this purpose is good for no other
ONE_CLICK = "List-Unsubscribe=One-Click"  # RFC 8058 section 3.1: the body of the one-click POST
# The largest request body the app reads: its forms have two short fields. `publisher serve` gives it to
# waitress too, which otherwise takes a body of up to 1 GB into a temporary file before the app sees it.
FORM_LIMIT = 16 * 1024


@dataclass(frozen=True)
class Limits:
    """How many signups the app takes in ``window`` seconds: per address (so nobody's inbox is flooded
    with confirmations) and per client address (so one client cannot fill the list)."""

    per_address: int = 3
    per_client: int = 20
    window: float = 3600.0
    confirm_days: float = 2.0  # how long a confirmation link works


class SubscriptionApp:
    """The WSGI application. ``secret`` signs the confirmation links; ``smtp`` delivers them; ``proxies``
    reverse proxies in front (their X-Forwarded-For names the client the rate limits count)."""

    def __init__(
        self, config: Config, *, secret: str, smtp: SmtpSettings, limits: Limits = Limits(), proxies: int = 0
    ) -> None:
        from ..urls import web_url

        url = config.digest.subscribe_url
        if not url or web_url(url) is None:
            raise ConfigError(
                f"[digest] subscribe_url: {url!r} is not the app's absolute http(s) address "
                "(e.g. https://example.org/newsletter/); confirmation links are made from it"
            )
        if len(secret) < 16:
            raise ConfigError(f"{SIGNUP_SECRET_ENV}: set it to a long random string (16 characters or more)")
        self.config, self.smtp, self.limits = config, smtp, limits
        self.url = url if url.endswith("/") else url + "/"
        self.signer = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT)
        self.templates = template_env(config)
        self.wsgi = ProxyFix(self._handle, x_for=proxies) if proxies else self._handle
        self.routes = Map(
            [
                Rule("/", endpoint="signup", methods=["GET", "POST"]),
                Rule("/confirm", endpoint="confirm", methods=["GET", "POST"]),
                Rule("/unsubscribe", endpoint="unsubscribe", methods=["GET", "POST"]),
            ]
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.wsgi(environ, start_response)

    def _handle(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = request.max_form_memory_size = FORM_LIMIT
        try:
            endpoint, _ = self.routes.bind_to_environ(environ).match()
            handler: Callable[[Request], Response] = getattr(self, f"_{endpoint}")
            response = handler(request)
        except MethodNotAllowed as exc:
            response = self._page(request, "error", exc.code or 405, message="This page does not take that request.")
            response.headers["Allow"] = ", ".join(exc.valid_methods or ())
        except NotFound:
            response = self._page(request, "error", 404, message="There is no such page.")
        except HTTPException as exc:  # a body too large, a malformed form
            response = self._page(request, "error", exc.code or 400, message="The request could not be read.")
        return response(environ, start_response)

    # -- pages -----------------------------------------------------------------------------------

    def _signup(self, request: Request) -> Response:
        if not _changes(request):
            return self._page(request, "signup")
        if request.form.get("website"):  # the field people never see: only a bot fills it in
            return self._page(request, "check-inbox")
        address = _one_address(request.form.get("email", ""))
        if address is None:
            message = "Please give one e-mail address, like name@example.org."
            return self._page(request, "signup", 400, message=message, email=request.form.get("email", ""))
        with open_newsletter(self.config, lock=False) as db:
            limits = {
                "address": (_inbox(address), self.limits.per_address),
                "client": (_client(request.remote_addr), self.limits.per_client),
            }
            if not allow_attempt(db, limits, self.limits.window):
                response = self._page(
                    request, "error", 429, message="Too many signups from here; please try again later."
                )
                response.headers["Retry-After"] = str(int(self.limits.window))
                return response
            known = subscriber(db, address)
            if known is None:
                set_status(db, address, "pending", "signup form", name=request.form.get("name", "").strip()[:200])
        # The same page whatever the address's status: the form never tells who is subscribed.
        if known is None or known.status in ("pending", "unsubscribed"):
            self._mail_confirmation(address)
        return self._page(request, "check-inbox")

    def _confirm(self, request: Request) -> Response:
        token = request.form.get("token") if _changes(request) else request.args.get("token")
        try:
            signed, at = self.signer.loads(
                token or "", max_age=int(self.limits.confirm_days * 86400), return_timestamp=True
            )
            address = str(signed)
        except SignatureExpired:
            return self._page(
                request, "error", 400, message="This confirmation link has expired: please sign up again."
            )
        except BadSignature:
            return self._page(
                request, "error", 400, message="This confirmation link is not valid: please sign up again."
            )
        if not _changes(request):  # the page a link scanner may open as well: a button, nothing done
            return self._page(request, "confirm", token=token)
        with open_newsletter(self.config, lock=False) as db:
            # A link used again after its reader unsubscribed, bounced or complained changes nothing.
            set_status(db, address, "active", "confirmed the signup", asked=at.isoformat(timespec="seconds"))
            known = subscriber(db, address)
        if known is None or known.status != "active":
            return self._page(
                request, "error", 400, message="This confirmation link is no longer valid: please sign up again."
            )
        return self._page(request, "confirmed")

    def _unsubscribe(self, request: Request) -> Response:
        token = (request.args.get("token") or request.form.get("token") or "").strip()
        with open_newsletter(self.config, lock=False) as db:
            found = delivery_of_token(db, token) if token else None
            if found is None:
                return self._page(
                    request, "error", 404, message="This unsubscribe link is not known; please write to us."
                )
            if not _changes(request):  # the page with the button: a link scanner's GET changes nothing
                return self._page(request, "unsubscribe", token=token)
            one_click = request.form.get("List-Unsubscribe") == "One-Click"
            reason = (
                f"one-click unsubscribe (RFC 8058) from {found[1]}" if one_click else f"unsubscribe page, {found[1]}"
            )
            set_status(db, found[0], "unsubscribed", reason)
        return self._page(request, "unsubscribed")  # 200 and no redirect: RFC 8058 clients do not follow one

    # -- parts -----------------------------------------------------------------------------------

    def _page(self, request: Request, page: str, status: int = 200, **context: Any) -> Response:
        html = render_template(
            self.config,
            "subscription.html.j2",
            env=self.templates,
            page=page,
            site=self.config.site,
            root=request.script_root,  # where the app is mounted: its forms post below it
            **context,
        )
        response = Response(html, status=status, content_type="text/html; charset=utf-8")
        # Tokens ride in the address: never cached, never sent on as a Referer; the page runs no script.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        return response

    def confirm_link(self, address: str) -> str:
        return urljoin(self.url, "confirm") + "?" + urlencode({"token": self.signer.dumps(address)})

    def _mail_confirmation(self, address: str) -> None:
        from .message import addressed_message

        link = self.confirm_link(address)
        message: EmailMessage = addressed_message(self.config)
        message.replace_header("To", address)
        message["Subject"] = f"Confirm your subscription to {self.config.site.title}"
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid("confirm", domain=urlsplit(self.config.site.url).hostname or "localhost")
        text = render_template(
            self.config, "confirm-mail.txt.j2", autoescape=False, site=self.config.site, link=link, address=address
        )
        message.set_content(text)
        try:
            send_message(message, self.smtp)
        except PublisherError as exc:  # the page still answers; the reader can sign up again later
            import logging

            logging.getLogger("publisher").warning("%s: the confirmation was not sent: %s", address, exc)


def _changes(request: Request) -> bool:
    """True for the one method that may change a subscription. Every route also answers HEAD (werkzeug adds
    it to each GET rule, and a prefetcher or link checker sends it), so a page asks this rather than
    whether the method is GET: a HEAD read as "not a GET" was a POST."""
    return request.method == "POST"


def _inbox(address: str) -> str:
    """The inbox ``address`` reaches, as the per-address limit counts it: a+news@x.org and A+x@X.ORG
    are a@x.org (subaddresses, RFC 5233, reach one inbox at nearly every provider), the domain in
    its ASCII form (IDNA), so a flood of spellings is one address's flood of confirmations."""
    local, _, domain = address.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:  # a name the codec refuses (a label over 63 characters): counted as written
        pass
    return f"{local.split('+', 1)[0].casefold()}@{domain.lower()}"


def _client(remote: str | None) -> str:
    """The client as the per-client limit counts it: an IPv4 address, or an IPv6 address's /64 (one
    host or one customer is given a whole /64, and can send from any of its 2**64 addresses)."""
    try:
        ip = ipaddress.ip_address(remote or "")
    except ValueError:
        return remote or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1, as a dual-stack socket names an IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _one_address(value: str) -> str | None:
    """The form's address if it is exactly one plain address (no name, no list), else None."""
    value = value.strip()
    if not value or len(value) > 254:
        return None
    try:
        boxes = address_list(value, "email")
    except ConfigError:
        return None
    return boxes[0].address if len(boxes) == 1 and boxes[0].address == value and not boxes[0].name else None


def create_app(config: Config, *, proxies: int = 0) -> SubscriptionApp:
    """The app of ``config``'s site, its secrets from the environment (never from publisher.toml): the
    signing secret from PUBLISHER_SIGNUP_SECRET, the SMTP password from PUBLISHER_SMTP_PASSWORD."""
    from ..config.toml import PASSWORD_ENV, USER_ENV

    if not config.smtp.host:
        raise ConfigError("[smtp] host: the app mails confirmation links; set the SMTP server")
    server = config.smtp if config.smtp.user else replace(config.smtp, user=os.environ.get(USER_ENV) or None)
    smtp = SmtpSettings.of(server, password=os.environ.get(PASSWORD_ENV))
    return SubscriptionApp(config, secret=os.environ.get(SIGNUP_SECRET_ENV, ""), smtp=smtp, proxies=proxies)


def app_from_environment() -> SubscriptionApp:
    """The app for a WSGI server, ``gunicorn 'publisher.email.web:app_from_environment()'``: the site's
    publisher.toml from PUBLISHER_CONFIG (default ./publisher.toml), the number of reverse proxies in front
    from PUBLISHER_PROXIES (default 0), secrets as create_app reads them."""
    from ..config import load_config

    proxies = os.environ.get("PUBLISHER_PROXIES", "0")
    if not proxies.isdigit():
        raise ConfigError(f"PUBLISHER_PROXIES: {proxies!r} is not a number of reverse proxies (0, 1, ...)")
    return create_app(load_config(os.environ.get("PUBLISHER_CONFIG") or "publisher.toml"), proxies=int(proxies))
