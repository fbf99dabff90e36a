"""publisher: Markdown articles in; Atom and RSS feeds and an e-mail digest out.

The public API is what ``__all__`` lists; every other module is internal. Names whose modules
pull in heavy libraries (Markdown, feedgen, lxml, YAML) are imported on first use, so that a
build that finds nothing changed never pays for them (see ``__getattr__``).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .config import load_config
from .errors import ConfigError, ContentError, EmptyDigest, OutputError, PublisherError, SendError
from .model import Article, Config
from .output import write_feeds
from .select import select

if TYPE_CHECKING:  # type checkers and editors see the lazy names as ordinary imports
    from .digest import Digest, render_digest
    from .discovery import link_tags
    from .engine import BuildResult, build
    from .feeds import render_feeds
    from .load import check, load_article, load_articles, parse_article
    from .newsletter import DigestCheckFailed, DigestRequest, DigestRun, preview_digest, send_digest, write_digest
    from .send import SmtpSettings, send_message
    from .websub import ping_hubs

# name -> module that defines it, imported when the name is first asked for
_LAZY = {
    "BuildResult": ".engine",
    "build": ".engine",
    "DigestCheckFailed": ".newsletter",
    "DigestRequest": ".newsletter",
    "DigestRun": ".newsletter",
    "preview_digest": ".newsletter",
    "send_digest": ".newsletter",
    "write_digest": ".newsletter",
    "Digest": ".digest",
    "render_digest": ".digest",
    "link_tags": ".discovery",
    "SmtpSettings": ".send",
    "send_message": ".send",
    "ping_hubs": ".websub",
    "check": ".load",
    "load_article": ".load",
    "load_articles": ".load",
    "parse_article": ".load",
    "render_feeds": ".feeds",
}

__all__ = [
    "Article",
    "BuildResult",
    "Config",
    "ConfigError",
    "ContentError",
    "Digest",
    "DigestCheckFailed",
    "DigestRequest",
    "DigestRun",
    "EmptyDigest",
    "OutputError",
    "PublisherError",
    "SendError",
    "SmtpSettings",
    "__version__",
    "build",
    "check",
    "link_tags",
    "load_article",
    "load_articles",
    "load_config",
    "parse_article",
    "ping_hubs",
    "preview_digest",
    "render_digest",
    "render_feeds",
    "select",
    "send_digest",
    "send_message",
    "write_digest",
    "write_feeds",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = _version()
    elif name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # costs more than the rest of this file

    try:
        return version("publisher")
    except PackageNotFoundError:  # running from a checkout that was not installed
        return "0+unknown"
