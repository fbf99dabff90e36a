"""publisher: Markdown articles in; Atom, RSS and JSON feeds and an e-mail digest out.

The top level is the pipeline: ``load_config`` (or ``Config``), ``load_articles`` (or ``Article``
made by the caller, with its own ``url`` and ``html`` if it has them), ``select``, ``render_feeds``,
``write_feeds``, each incremental when given a ``Store``; ``build`` runs them all with one, as
``publisher build`` does. The feed formats
and what announces feeds (``link_tags``, ``ping_hubs``) are in ``publisher.feeds``, the e-mail digest
in ``publisher.newsletter``, the settings' sections in ``publisher.config``, every error in
``publisher.errors``. Every other module is internal.

Names whose modules pull in heavy libraries (Markdown, feedgen, lxml, YAML) are imported on first use,
so that a build that finds nothing changed never pays for them (see ``__getattr__``).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .config import Config, load_config
from .errors import ConfigError, ContentError, PublisherError
from .model import Article
from .output import write_feeds
from .select import select

if TYPE_CHECKING:  # type checkers and editors see the lazy names as ordinary imports
    from .content.dates import parse_date
    from .content.load import load_articles
    from .engine.pipeline import BuildResult, build
    from .engine.store import Store
    from .feeds import render_feeds

# name -> module that defines it, imported when the name is first asked for
_LAZY = {
    "Store": ".engine.store",
    "BuildResult": ".engine.pipeline",
    "build": ".engine.pipeline",
    "load_articles": ".content.load",
    "parse_date": ".content.dates",
    "render_feeds": ".feeds",
}
# The public modules beside the top level: ``publisher.newsletter.write_digest`` works after ``import publisher``
# (publisher.content: load_article, parse_article and check, beside load_articles).
_MODULES = ("config", "content", "errors", "feeds", "newsletter")

__all__ = [
    "Article",
    "BuildResult",
    "Config",
    "ConfigError",
    "ContentError",
    "PublisherError",
    "Store",
    "__version__",
    "build",
    "load_articles",
    "load_config",
    "parse_date",
    "render_feeds",
    "select",
    "write_feeds",
]


def __getattr__(name: str) -> Any:
    value: Any
    if name == "__version__":
        value = _version()
    elif name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
    elif name in _MODULES:
        value = import_module(f".{name}", __name__)
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
