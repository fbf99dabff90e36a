"""publisher: Markdown articles in; Atom and RSS feeds and an e-mail digest out.

The public API is what ``__all__`` lists; every other module is internal. Names whose modules
pull in heavy libraries (Markdown, feedgen, lxml, YAML) are imported on first use, so that a
build that finds nothing changed never pays for them (see ``__getattr__``).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .config import Config, config_from_mapping, load_config
from .errors import ConfigError, ContentError, EmptyDigest, OutputError, PublisherError, SendError
from .model import Article
from .output import write_feeds
from .select import select

if TYPE_CHECKING:  # type checkers and editors see the lazy names as ordinary imports
    from .content.dates import parse_date
    from .content.load import check, load_article, load_articles, parse_article
    from .email.delivery import DeliveryReport, send_newsletter, send_to_subscribers
    from .email.digest import Digest, render_digest
    from .email.newsletter import DigestCheckFailed, DigestRequest, DigestRun, preview_digest, send_digest, write_digest
    from .email.smtp import SmtpSettings, send_message
    from .email.store import open_journal
    from .email.subscribers import Subscriber, read_subscribers, unsubscribe
    from .email.webarchive import digest_outputs
    from .engine.pipeline import BuildResult, build
    from .engine.store import Store
    from .feeds import link_tags, render_feeds
    from .feeds.websub import ping_hubs

# name -> module that defines it, imported when the name is first asked for
_LAZY = {
    "Store": ".engine.store",
    "BuildResult": ".engine.pipeline",
    "build": ".engine.pipeline",
    "DigestCheckFailed": ".email.newsletter",
    "DigestRequest": ".email.newsletter",
    "DigestRun": ".email.newsletter",
    "preview_digest": ".email.newsletter",
    "send_digest": ".email.newsletter",
    "write_digest": ".email.newsletter",
    "Digest": ".email.digest",
    "render_digest": ".email.digest",
    "link_tags": ".feeds",
    "SmtpSettings": ".email.smtp",
    "send_message": ".email.smtp",
    "ping_hubs": ".feeds.websub",
    "parse_date": ".content.dates",
    "check": ".content.load",
    "load_article": ".content.load",
    "load_articles": ".content.load",
    "parse_article": ".content.load",
    "render_feeds": ".feeds",
    "DeliveryReport": ".email.delivery",
    "send_to_subscribers": ".email.delivery",
    "send_newsletter": ".email.delivery",
    "digest_outputs": ".email.webarchive",
    "Subscriber": ".email.subscribers",
    "open_journal": ".email.store",
    "read_subscribers": ".email.subscribers",
    "unsubscribe": ".email.subscribers",
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
    "Store",
    "Subscriber",
    "__version__",
    "build",
    "check",
    "config_from_mapping",
    "digest_outputs",
    "link_tags",
    "load_article",
    "load_articles",
    "load_config",
    "open_journal",
    "parse_article",
    "parse_date",
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
