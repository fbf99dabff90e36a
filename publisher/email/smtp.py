"""SMTP delivery of one message (the digest): plain, STARTTLS or implicit TLS, with optional AUTH.

For a real list the documented path is an ESP's SMTP relay: this hands one message to one server
for the recipients it is given; it is not a mass mailer. Every failure becomes a SendError that
names host:port, what the server said and what to change. The password is never logged.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from email.message import EmailMessage
from email.utils import getaddresses
from ssl import SSLContext
from typing import Any

from ..addresses import address_list, plausible
from ..config.mail import Smtp
from ..config.toml import PASSWORD_ENV, USER_ENV  # noqa: F401 - USER_ENV re-exported here, where it used to live
from ..errors import ConfigError, SendError
from .message import WIRE, WIRE_UTF8

log = logging.getLogger("publisher")

# What a send without a server is told, by the command line and the library alike.
NO_SERVER = "no SMTP server: pass --smtp-host HOST or set [smtp] host in the config"


@dataclass(frozen=True)
class SmtpSettings(Smtp):
    """Where and how to hand the message over: the [smtp] settings (``config.smtp``: host, port,
    starttls, ssl, user) and what a run adds to them, which publisher.toml never holds.

    ``starttls`` upgrades a plain connection (port 587) and refuses to go on without TLS;
    ``ssl`` is implicit TLS from the first byte (port 465). ``port`` defaults to 465 with
    ``ssl``, else 587. ``cafile`` adds a PEM file of CA certificates to trust (a relay with
    its own CA); the system's CAs are always trusted. ``SmtpSettings.of(config.smtp, password=...)``
    makes one from the configuration.
    """

    host: str = field()  # required here, where the section's may be unset (field(): not its default of None)
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    cafile: str | None = None
    # Log in without TLS to a server that is not on loopback; off, such a login is refused before connecting.
    plain_auth: bool = False

    @classmethod
    def of(cls, server: Smtp, **run: Any) -> SmtpSettings:
        """``server``'s settings (``config.smtp``, or a copy with flags applied) with ``run``'s: password,
        timeout, cafile, plain_auth."""
        return cls(**{f.name: getattr(server, f.name) for f in fields(Smtp)}, **run)

    def __post_init__(self) -> None:
        if not self.host or any(c.isspace() for c in self.host) or not _encodable(self.host):
            raise ConfigError(f"smtp host: {self.host!r} is not a host name (e.g. smtp.example.org)")
        super().__post_init__()  # the [smtp] checks: types, port range, starttls or ssl
        if self.port is None:
            object.__setattr__(self, "port", 465 if self.ssl else 587)
        if self.timeout <= 0:
            raise ConfigError(f"smtp timeout: {self.timeout!r} must be more than 0 seconds")

    @property
    def port_number(self) -> int:
        """The port, its default filled in (__post_init__ did: None never remains)."""
        return self.port if self.port is not None else 465 if self.ssl else 587

    @property
    def address(self) -> str:
        """host:port, as messages name the server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def describe(self) -> str:
        """host:port with how it is secured and who logs in; never the password."""
        how = ["TLS" if self.ssl else "STARTTLS" if self.starttls else "no TLS"]
        if self.user:
            how.append(f"as {self.user}")
        return f"{self.address} ({', '.join(how)})"

    def check_login(self) -> None:
        """SendError when there is a user name but no password, or the password would cross the
        network in clear text (no TLS, a server not on loopback, no ``plain_auth``): checked before connecting."""
        if self.user and self.password is None:
            raise SendError(
                f"{self.address}: a user name ({self.user!r}) but no password: "
                f"set the {PASSWORD_ENV} environment variable"
            )
        if self.user and not (self.ssl or self.starttls or self.plain_auth or is_loopback(self.host)):
            raise SendError(
                f"{self.address}: refusing to log in as {self.user!r} without TLS: the password would cross the "
                "network in clear text; add --starttls (port 587) or --ssl (port 465), or [smtp] starttls = true "
                "(--insecure-plain-auth logs in anyway)"
            )

    def tls_context(self) -> SSLContext:  # the name, not ssl.SSLContext: the field ssl hides the module here
        # Certificate and host name checks stay on: a digest is not worth a man in the middle.
        context = ssl.create_default_context()
        if self.cafile:
            try:
                context.load_verify_locations(cafile=self.cafile)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"smtp cafile: {self.cafile}: cannot be read as PEM certificates ({exc})") from None
        return context


def send_message(
    message: EmailMessage, settings: SmtpSettings, *, to: Sequence[str] | None = None, sender: str | None = None
) -> None:
    """Deliver ``message`` through ``settings``' server.

    The envelope recipients are ``to``, else the message's To, Cc and Bcc addresses; the envelope
    sender is ``sender``, else the message's Sender or From. The headers are sent as they are
    (Bcc removed). Raises SendError unless the server accepted the message for every recipient;
    missing addresses and a missing password are reported before connecting.
    """
    envelope_from, recipients = envelope(message, to=to, sender=sender)
    settings.check_login()
    data, utf8 = wire_bytes(message, [envelope_from, *recipients])
    log.info("sending %r to %s via %s", str(message["Subject"] or ""), ", ".join(recipients), settings.describe())

    smtp = open_connection(settings)
    try:
        options = []
        if utf8:
            if not smtp.has_extn("smtputf8"):
                raise SendError(
                    f"{settings.address}: an address is not ASCII and the server does not offer SMTPUTF8; "
                    "use an ASCII address"
                )
            options.append("SMTPUTF8")
        refused = smtp.sendmail(envelope_from, recipients, data, mail_options=options)
    except (OSError, smtplib.SMTPException) as exc:
        raise explain(exc, settings) from None
    finally:
        close_connection(smtp)
    if refused:
        # The server took the message for the others; say exactly who did not get it.
        accepted = [r for r in recipients if r not in refused]
        raise SendError(
            f"{settings.address} accepted the message for {', '.join(accepted)} but refused "
            f"{_refusals(refused)}; check those addresses",
            refused=decoded_refusals(refused),
            temporary=_all_temporary(refused),
        )
    log.info("%s accepted the message for %d recipient(s)", settings.address, len(recipients))


def envelope(
    message: EmailMessage, *, to: Sequence[str] | None = None, sender: str | None = None
) -> tuple[str, list[str]]:
    """The envelope (MAIL FROM, RCPT TO) send_message would use; SendError when either is missing."""
    recipients = _addresses(to, "recipient") if to else _header_addresses(message, "To", "Cc", "Bcc")
    if not recipients:
        raise SendError("no recipients: the message has no To address (pass --to ADDRESS or set [digest] to)")
    if sender:
        envelope_from = _addresses([sender], "sender", one=True)[0]
    else:
        envelope_from = next(iter(_header_addresses(message, "Sender", "From")), "")
    if not envelope_from:
        raise SendError("no sender: the message has no From address (pass --from ADDRESS or set [digest] from)")
    return envelope_from, recipients


def open_connection(settings: SmtpSettings) -> smtplib.SMTP:
    """A connection to ``settings``' server, secured (TLS or STARTTLS as asked) and logged in when there is
    a user: what every send starts with. SendError, naming host:port, when any step fails."""
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        raise explain(exc, settings) from None
    try:
        _secure(smtp, settings)
        if settings.user:
            _login(smtp, settings)
    except (OSError, smtplib.SMTPException) as exc:
        smtp.close()
        raise explain(exc, settings) from None
    except SendError:  # the server answered, but not what a safe send needs (no STARTTLS, no AUTH): say goodbye
        close_connection(smtp)
        raise
    return smtp


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.ssl:
        return smtplib.SMTP_SSL(
            settings.host, settings.port_number, timeout=settings.timeout, context=settings.tls_context()
        )
    return smtplib.SMTP(settings.host, settings.port_number, timeout=settings.timeout)


def _secure(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    smtp.ehlo_or_helo_if_needed()
    if not settings.starttls:
        return
    # smtplib would raise its own error too; ours says why we stop instead of sending in clear text.
    if not smtp.has_extn("starttls"):
        raise SendError(
            f"{settings.address} does not offer STARTTLS, so nothing was sent (never in plain text when "
            "STARTTLS was asked for); use --ssl if the server expects TLS from the start (usually port 465)"
        )
    smtp.starttls(context=settings.tls_context())
    smtp.ehlo()


def _login(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    if not smtp.has_extn("auth"):
        tls = settings.ssl or settings.starttls
        hint = "" if tls else "; most servers offer it only over TLS: add --starttls or --ssl"
        raise SendError(f"{settings.address} does not offer authentication (AUTH){hint}")
    if not (settings.ssl or settings.starttls) and not is_loopback(settings.host):  # only with plain_auth
        log.warning("%s: sending the password without TLS (--insecure-plain-auth)", settings.address)
    smtp.login(settings.user or "", settings.password or "")


def close_connection(smtp: smtplib.SMTP) -> None:
    # The message is accepted once the server answered DATA; a failing QUIT must not undo that.
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def explain(exc: BaseException, settings: SmtpSettings) -> SendError:
    where = settings.address
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = exc.recipients
        return SendError(
            f"{where} refused every recipient: {_refusals(refused)}; check the address (--to or [digest] to)",
            refused=decoded_refusals(refused),
            temporary=_all_temporary(refused),
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return SendError(
            f"{where} refused the sender <{exc.sender}>: {reply_text(exc)}; relays usually accept only the "
            "authenticated account's address or a verified domain (--from or [digest] from)",
            temporary=_temporary(exc.smtp_code),
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendError(
            f"{where}: authentication as {settings.user!r} failed: {reply_text(exc)}; check the user name and "
            f"{PASSWORD_ENV} (many providers want an app password or an API key here)",
            temporary=_temporary(exc.smtp_code),
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return SendError(f"{where} refused the message: {reply_text(exc)}", temporary=_temporary(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPConnectError):
        return SendError(
            f"{where} did not accept the connection: {reply_text(exc)}", temporary=_temporary(exc.smtp_code)
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return SendError(f"{where} answered {reply_text(exc)}", temporary=_temporary(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, TimeoutError):
        exc = exc.__context__  # smtplib reports a reply that never came as a disconnect
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        hint = "" if settings.ssl else "; if the port expects TLS from the start (usually 465), use --ssl"
        return SendError(f"{where} closed the connection unexpectedly ({exc}){hint}", temporary=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SendError(
            f"{where}: TLS failed: the server's certificate was not accepted ({exc.verify_message}); check that "
            "--smtp-host is the name on the certificate, or trust the server's CA (SSL_CERT_FILE)"
        )
    if isinstance(exc, ssl.SSLError):
        hint = (
            "--ssl is for ports that expect TLS from the start (usually 465); use --starttls for 587"
            if settings.ssl
            else "check that the server's TLS setup is sound"
        )
        return SendError(f"{where}: TLS failed ({exc.reason or exc}); {hint}")
    if isinstance(exc, ConnectionRefusedError):
        return SendError(
            f"{where}: connection refused, nothing listens there; check --smtp-host and --smtp-port "
            "(587 for STARTTLS, 465 for --ssl) and that the server is running",
            temporary=True,
        )
    if isinstance(exc, TimeoutError):
        hint = "" if settings.ssl else " (a port that expects TLS from the start needs --ssl)"
        return SendError(
            f"{where}: no answer within {settings.timeout:g} s; check the host and port, and that a firewall "
            f"lets outgoing SMTP through{hint}",
            temporary=True,
        )
    if isinstance(exc, socket.gaierror):
        # Temporary whatever the resolver said: under cron a name that does not resolve is far more often
        # a network or resolver outage than a typo (which the first run by hand shows), so retry later.
        return SendError(
            f"{where}: cannot resolve host {settings.host!r} ({exc.strerror}); check --smtp-host", temporary=True
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendError(f"{where}: {exc}")
    if isinstance(exc, OSError):
        return SendError(f"{where}: {exc.strerror or exc}", temporary=True)
    return SendError(f"{where}: {exc}")


def reply_text(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"<{address}> ({code} {text})" for address, (code, text) in decoded_refusals(refused).items())


def decoded_refusals(refused: dict[str, tuple[int, bytes]]) -> dict[str, tuple[int, str]]:
    return {
        address: (code, " ".join((text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)).split()))
        for address, (code, text) in refused.items()
    }


def _temporary(code: int) -> bool:
    return 400 <= code < 500


def _all_temporary(refused: dict[str, tuple[int, bytes]]) -> bool:
    return all(_temporary(code) for code, _ in refused.values())


def _addresses(values: Sequence[str], role: str, one: bool = False) -> list[str]:
    """The bare addresses in ``values``, each an RFC 5322 address list ("a@x.org, B <b@y.org>"), read
    strictly: a value that is anything more or less than addresses is an error, never half-used."""
    found: list[str] = []
    for value in values:
        try:
            boxes = address_list(value, role)
        except ConfigError:
            boxes = []
        if not boxes or (one and len(boxes) > 1):
            several = "; several are separated by commas" if not one else "; exactly one"
            raise SendError(f"{role} {value!r} is not an e-mail address (expected name@example.org){several}")
        found += [box.address for box in boxes]
    return list(dict.fromkeys(found))


def _header_addresses(message: EmailMessage, *headers: str) -> list[str]:
    values = [str(v) for h in headers for v in (message.get_all(h) or [])]
    # An empty group such as "undisclosed-recipients:;" (the digest's placeholder) yields no address.
    addresses = [address for _, address in getaddresses(values) if address]
    for address in addresses:
        if not plausible(address):
            raise SendError(f"the message's address {address!r} is not an e-mail address")
    return list(dict.fromkeys(addresses))


def wire_bytes(message: EmailMessage, addresses: Sequence[str]) -> tuple[bytes, bool]:
    """The bytes to send (CRLF line ends, RFC 2047 headers) and whether SMTPUTF8 is needed."""
    if message["Bcc"] is not None:
        message = copy.deepcopy(message)
        del message["Bcc"]
    utf8 = not all(a.isascii() for a in addresses)
    return message.as_bytes(policy=WIRE_UTF8 if utf8 else WIRE), utf8


def _encodable(host: str) -> bool:
    # The socket module encodes host names with the idna codec; an empty or over-long (> 63) label fails
    # there with a UnicodeError, not an OSError, so it is caught here, as a setting, instead.
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
