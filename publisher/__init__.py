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
    from .delivery import DeliveryReport, send_newsletter, send_to_subscribers
    from .digest import Digest, render_digest
    from .engine import BuildResult, build
    from .feeds import link_tags, render_feeds
    from .load import check, load_article, load_articles, parse_article
    from .newsletter import DigestCheckFailed, DigestRequest, DigestRun, preview_digest, send_digest, write_digest
    from .send import SmtpSettings, send_message
    from .subscribers import Subscriber, open_journal, read_subscribers, unsubscribe
    from .webarchive import digest_outputs
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
    "link_tags": ".feeds",
    "SmtpSettings": ".send",
    "send_message": ".send",
    "ping_hubs": ".websub",
    "check": ".load",
    "load_article": ".load",
    "load_articles": ".load",
    "parse_article": ".load",
    "render_feeds": ".feeds",
    "DeliveryReport": ".delivery",
    "send_to_subscribers": ".delivery",
    "send_newsletter": ".delivery",
    "digest_outputs": ".webarchive",
    "Subscriber": ".subscribers",
    "open_journal": ".subscribers",
    "read_subscribers": ".subscribers",
    "unsubscribe": ".subscribers",
}

__all__ = [
    "Article",
    "BuildResult",
    "Config",
    "ConfigError",
    "ContentError",
    "DeliveryReport",
    "Digest",
    "DigestCheckFailed",
    "DigestRequest",
    "DigestRun",
    "EmptyDigest",
    "OutputError",
    "PublisherError",
    "SendError",
    "SmtpSettings",
    "Subscriber",
    "__version__",
    "build",
    "check",
    "digest_outputs",
    "link_tags",
    "load_article",
    "load_articles",
    "load_config",
    "open_journal",
    "parse_article",
    "ping_hubs",
    "preview_digest",
    "read_subscribers",
    "render_digest",
    "render_feeds",
    "select",
    "send_digest",
    "send_message",
    "send_newsletter",
    "send_to_subscribers",
    "unsubscribe",
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
