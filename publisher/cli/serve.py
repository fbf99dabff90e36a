"""`publisher serve`: the subscription web app (signup with double opt-in, unsubscribe) under waitress."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from ..errors import ConfigError
from .common import add_config_flag, config_from_args, port_number, whole_number


def add_serve_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = commands.add_parser(
        "serve",
        help="run the subscription web app: signup with double opt-in, unsubscribe pages, RFC 8058 one-click",
        description="Run the subscription web app under waitress (a pure-Python WSGI server; see "
        "docs/newsletter.md for gunicorn). Its address is [digest] subscribe_url; the confirmation links are "
        "signed with the PUBLISHER_SIGNUP_SECRET environment variable and mailed through [smtp] (password from "
        "PUBLISHER_SMTP_PASSWORD). Put it behind the site's web server for TLS.",
    )
    add_config_flag(serve)
    serve.add_argument("--host", default="127.0.0.1", help="listen on this address (default: 127.0.0.1)")
    serve.add_argument("--port", type=port_number(1), default=8025, help="listen on this port (default: 8025)")
    serve.add_argument(
        "--threads",
        type=whole_number("threads", 1, 64),
        default=4,
        metavar="N",
        help="requests served at once (default: 4)",
    )
    serve.add_argument(
        "--proxies",
        type=whole_number("proxies", 0, 10),
        default=0,
        metavar="N",
        help="reverse proxies in front of the app (default: 0): their X-Forwarded-For names the client the "
        "rate limits count",
    )
    serve.set_defaults(run=run_serve, content=None, out=None, quiet=0, verbose=0)


def run_serve(args: argparse.Namespace) -> int:
    try:
        from waitress.server import create_server

        from ..email.web import FORM_LIMIT, create_app
    except ImportError as exc:
        raise ConfigError(f"publisher serve needs the web extras: pip install 'publisher[web]' ({exc})") from None
    config = config_from_args(args)
    app = create_app(config)
    # Mounted where [digest] subscribe_url says: a proxy passing /newsletter/... on unchanged reaches it.
    prefix = urlsplit(app.url).path.rstrip("/")
    # Behind N proxies, waitress itself takes the client from X-Forwarded-For (and drops the header otherwise).
    proxy = {"trusted_proxy": "*", "trusted_proxy_count": args.proxies, "trusted_proxy_headers": "x-forwarded-for"}
    server = create_server(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        url_prefix=prefix,
        ident="publisher",
        max_request_body_size=FORM_LIMIT,  # refused from its Content-Length, before a byte is buffered
        **(proxy if args.proxies else {}),
    )
    print(f"serving {app.url} at http://{args.host}:{args.port}{prefix}/ (Ctrl-C stops)", flush=True)
    server.run()
    return 0
