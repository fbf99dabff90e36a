"""A local preview of the digest: a small HTTP server that renders it again on every request,
so an edit to an article, the config or a template shows on the next reload.

    /             the preview page: the digest at 600 px and 375 px side by side, its headers, its text part
    /digest.html  the HTML part, as sent
    /digest.txt   the text part (text/plain; charset=utf-8)
    /digest.eml   the whole message (message/rfc822), the bytes digest.eml holds
    anything else 404

It listens on 127.0.0.1 unless told otherwise, and then answers only requests addressed to a
loopback name, so a web page cannot read the preview through DNS rebinding. A render that fails
shows the error on a 500 page and the server keeps running.
"""

from __future__ import annotations

import html
import logging
import re
import socket
import socketserver
import sys
import webbrowser
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

import jinja2

from ..errors import ConfigError, EmptyDigest, PublisherError
from ..templates import BUNDLED
from .message import WIRE
from .smtp import is_loopback

log = logging.getLogger("publisher")

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class DigestLike(Protocol):
    @property
    def subject(self) -> str: ...
    @property
    def html(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def message(self) -> EmailMessage: ...
    @property
    def articles(self) -> Sequence[Any]: ...


Render = Callable[[], DigestLike]


class PreviewServer(ThreadingHTTPServer):
    """The preview's HTTP server; ``url`` is where it listens (the real port when started on port 0)."""

    daemon_threads = True  # an open browser connection must not keep Ctrl-C waiting

    def __init__(self, render: Render, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.render = render
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), PreviewHandler)
        self.loopback = is_loopback(host)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host up in DNS (getfqdn); a preview has no use for that.
        socketserver.TCPServer.server_bind(self)
        host, self.server_port = self.server_address[:2]
        self.server_name = str(host)  # an IP address as text: AF_INET and AF_INET6 addresses are str

    @property
    def url(self) -> str:
        host = self.server_name
        return f"http://{f'[{host}]' if ':' in host else host}:{self.server_port}/"


def make_preview_server(render: Render, host: str = "127.0.0.1", port: int = 8000) -> PreviewServer:
    """A bound preview server, not yet serving: call ``serve_forever()`` (port 0 picks a free port)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"preview: port {port!r} is not a port number (0 to 65535; 0 picks a free one)")
    try:
        server = PreviewServer(render, host, port)
    except OSError as exc:
        raise PublisherError(
            f"preview: cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "pass --port 0 to pick a free port, or another --port"
        ) from None
    if not server.loopback:
        log.warning("preview: %s is not a loopback address: anyone who can reach it can read the preview", host)
    return server


def serve_preview(render: Render, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True) -> None:
    """Serve the preview until Ctrl-C; prints the address and, unless told not to, opens the browser."""
    server = make_preview_server(render, host, port)
    with server:
        print(f"previewing the digest on {server.url} (Ctrl-C stops)", flush=True)
        if open_browser:
            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("preview stopped", file=sys.stderr, flush=True)


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "publisher-preview"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's name)
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        path = urlsplit(self.path).path
        if self.server.loopback and not self._addressed_to_loopback():
            self._send(403, "text/plain; charset=utf-8", b"the preview answers only to localhost\n", send_body)
            return
        page = PAGES.get(path)
        if page is None:
            self._send(404, "text/plain; charset=utf-8", f"no such page: {path}\n".encode(), send_body)
            return
        try:
            digest = self.server.render()
            content_type, body = page(digest)
        except EmptyDigest as exc:
            self._send(200, "text/html; charset=utf-8", _message_page("Nothing to preview", str(exc)), send_body)
        except Exception as exc:  # noqa: BLE001 (a broken template or article must not stop the preview)
            if isinstance(exc, PublisherError):
                text = str(exc)
                log.error("preview: %s", exc)
            else:
                text = f"{type(exc).__name__}: {exc}"
                log.exception("preview: the digest could not be rendered")
            self._send(
                500, "text/html; charset=utf-8", _message_page("The digest could not be rendered", text), send_body
            )
        else:
            self._send(200, content_type, body, send_body)

    def _addressed_to_loopback(self) -> bool:
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name.strip("[]").lower() in LOOPBACK_NAMES or is_loopback(name.strip("[]"))

    def _send(self, status: int, content_type: str, body: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # every reload renders again
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        log.info("preview: %s", format % args)


def _page(digest: DigestLike) -> tuple[str, bytes]:
    headers = [(name, str(value)) for name, value in digest.message.items()]
    sender = digest.message["From"]
    addresses = getattr(sender, "addresses", ())
    inbox = {
        "sender": (addresses[0].display_name or addresses[0].addr_spec) if addresses else str(sender or ""),
        "subject": digest.subject,
        "preheader": " ".join(getattr(digest, "preheader", "").split())[:140],
    }
    frames = [
        ("desktop, 600 px", 600, digest.html),
        ("phone, 375 px", 375, digest.html),
        ("dark mode, 600 px", 600, dark_mode(digest.html)),
        ("images off, 600 px", 600, images_off(digest.html)),
    ]
    page = (
        _environment()
        .get_template("preview.html.j2")
        .render(digest=digest, headers=headers, size=len(digest.html.encode("utf-8")), inbox=inbox, frames=frames)
    )
    return "text/html; charset=utf-8", page.encode("utf-8")


def dark_mode(html: str) -> str:
    """The digest as a client in dark mode shows it: its prefers-color-scheme: dark rules always on.
    (A frame cannot be put in dark mode on its own; the page around it decides.)"""
    return re.sub(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", "@media all", html)


def images_off(html: str) -> str:
    """The digest as a client that blocks images shows it (many do until the reader asks): no image
    loads, so what shows is each image's alt text and background."""
    policy = '<meta http-equiv="Content-Security-Policy" content="img-src \'none\'">'
    head = re.search(r"<head[^>]*>", html, re.I)
    return html[: head.end()] + policy + html[head.end() :] if head else policy + html


PAGES: dict[str, Callable[[DigestLike], tuple[str, bytes]]] = {
    "/": _page,
    "/digest.html": lambda d: ("text/html; charset=utf-8", d.html.encode("utf-8")),
    "/digest.txt": lambda d: ("text/plain; charset=utf-8", d.text.encode("utf-8")),
    "/digest.eml": lambda d: ("message/rfc822", d.message.as_bytes(policy=WIRE)),
}


def _environment() -> jinja2.Environment:
    # The preview page is publisher's own tool, not the site's e-mail: only the bundled template.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in BUNDLED if d.is_dir()]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _message_page(title: str, text: str) -> bytes:
    title, text = html.escape(title), html.escape(text)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f'<body style="font: 15px/1.5 sans-serif; margin: 24px"><h1 style="font-size: 20px">{title}</h1>\n'
        f'<pre style="white-space: pre-wrap">{text}</pre>\n<p>Fix it and reload.</p></body></html>\n'
    ).encode()
