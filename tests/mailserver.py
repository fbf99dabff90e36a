"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the send tests: it records what arrived,
can refuse named recipients, check a user name and password, and speak STARTTLS or implicit
TLS with a certificate from a throwaway CA (trustme)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "digest-bot", "s3cret pass phrase"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    tls: bool
    authenticated: bool


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps every message and refuses the recipients in ``refuse``."""

    refuse: frozenset[str] = frozenset()
    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=envelope.original_content,
                tls=session.ssl is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return "250 2.0.0 Ok: queued"


def check_password(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    """aiosmtpd's Controller on port 0: the port the system picked is read back before first use."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(recorder: Recorder | None = None, **options) -> Iterator[tuple[_Controller, Recorder]]:
    """Run an SMTP server on 127.0.0.1 (a free port) until the block ends."""
    recorder = recorder or Recorder()
    controller = _Controller(recorder, hostname="127.0.0.1", port=0, **options)
    controller.start()
    try:
        yield controller, recorder
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificates:
    cafile: Path  # the CA a client should trust
    server: ssl.SSLContext  # the server's context with a certificate for 127.0.0.1 and localhost


def certificates(folder: Path) -> Certificates:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    cafile = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return Certificates(cafile=cafile, server=server)


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts the connection and then never says anything (a server that hangs)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]
