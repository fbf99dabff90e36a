"""publisher: Markdown articles in; Atom and RSS feeds and an e-mail digest out.

The public API is what ``__all__`` lists; every other module is internal.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("publisher")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0+unknown"

from .config import load_config
from .digest import Digest, EmptyDigest, render_digest
from .discovery import link_tags
from .errors import ConfigError, ContentError, OutputError, PublisherError, SendError
from .feeds import render_feeds
from .load import load_article, load_articles, parse_article
from .model import Article, Config
from .output import write_feeds
from .select import select
from .send import SmtpSettings, send_message
from .websub import ping_hubs

__all__ = [
    "Article",
    "Config",
    "ConfigError",
    "ContentError",
    "Digest",
    "EmptyDigest",
    "OutputError",
    "PublisherError",
    "SendError",
    "SmtpSettings",
    "__version__",
    "link_tags",
    "load_article",
    "load_articles",
    "load_config",
    "parse_article",
    "ping_hubs",
    "render_digest",
    "render_feeds",
    "select",
    "send_message",
    "write_feeds",
]
