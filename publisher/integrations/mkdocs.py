"""The MkDocs plugin (``plugins: [publisher]``): the posts of Material's blog, or the pages a glob
matches, as they were rendered, into every feed, the feeds page and the archives of the built site.

Each page becomes an Article with the page's canonical URL and the HTML MkDocs rendered for it (taken
after every other plugin changed it); its date, update date, authors (Material's ``.authors.yml``
names), tags, categories, draft and cover come from the page's meta. The settings are publisher.toml's,
under the plugin in mkdocs.yml; a bad one is an MkDocs configuration error naming the key.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from ..config import Config
from ..config.toml import SETTINGS
from ..config.toml import TABLES as TOML_TABLES
from ..content.authors import authors_of
from ..content.fields import Fields
from ..errors import ConfigError, ContentError, PublisherError
from ..model import Article
from ..urls import web_url
from . import host

log = logging.getLogger("mkdocs.plugins.publisher")
SOURCE = "mkdocs.yml plugins.publisher"  # how messages name the settings


class Settings(base.Config):  # type: ignore[no-untyped-call]  # MkDocs' own class hook
    """mkdocs.yml's ``publisher:`` options: publisher.toml's names, and which pages are articles."""

    enabled = c.Type(bool, default=True)
    pages = c.ListOfItems(c.Type(str), default=[])  # globs over docs/ paths; none: Material's blog posts
    digest_days = c.Optional(c.Type((int, float)))  # write the digest of the last N days with the feeds
    description = c.Optional(c.Type(str))
    language = c.Optional(c.Type(str))
    author = c.Optional(c.Type(str))
    author_email = c.Optional(c.Type(str))
    timezone = c.Optional(c.Type(str))
    icon = c.Optional(c.Type(str))
    logo = c.Optional(c.Type(str))
    output = c.Type(str, default="feeds")  # inside site_dir
    state_dir = c.Optional(c.Type(str))
    templates = c.Optional(c.Type(str))
    html_filters = c.Optional(c.ListOfItems(c.Type(str)))
    feeds = c.Type(dict, default={})
    fields = c.Type(dict, default={})
    html = c.Type(dict, default={})
    digest = c.Type(dict, default={})


class PublisherPlugin(BasePlugin[Settings]):  # type: ignore[no-untyped-call]
    """Feeds for an MkDocs site, through publisher's public stages."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        super().__init__()
        self.site: Config | None = None
        self.articles: dict[str, Article] = {}
        # The pages seen but not yet made into Articles, by source path, with their HTML: made in one loop at the
        # first page's output (on_post_page), where the 1,000 pages of a blog cost 0.02 s of CPU; made one by one
        # between MkDocs' renders of each page, they cost 0.08 s (the caches held MkDocs' work, not ours).
        self.pending: dict[str, tuple[Page, str]] = {}
        self.files: Files | None = None
        self.tags: str | None = None  # the <link> tags: every page's content is rendered before any page is
        self.posts: set[int] | None = None  # ids of the blog's post pages (Page.__eq__ compares titles: slow)
        self.dirty = self.complete = False
        self.patterns: tuple[str, ...] = ()

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Once per `mkdocs build`, or per `mkdocs serve` (which keeps this plugin across its rebuilds)."""
        self.dirty = dirty  # --dirty: MkDocs renders only the pages that changed
        self.complete = False  # a build of this process saw every page (serve's first build does)

    def load_config(self, options: dict[str, Any], config_file_path: str | None = None) -> Any:
        """MkDocs' own checks, then publisher's, so that a bad value stops the build before it starts."""
        errors, warnings = super().load_config(options, config_file_path)
        # An unknown key is an error, as in publisher.toml: a typo should not silently do nothing.
        unknown = [(key, message) for key, message in warnings if str(message).startswith("Unrecognised")]
        errors += [(key, ValidationError(f"{message} ({_unknown(key)})")) for key, message in unknown]
        warnings = [warning for warning in warnings if warning not in unknown]
        if not errors:
            try:
                self._config("Site", "https://example.org/", Path("site"), config_file_path)
                host.digest_days(self.config.digest_days, SOURCE, "digest_days")
            except ConfigError as exc:
                errors.append((_key_of(str(exc)), ValidationError(str(exc))))
        return errors, warnings

    def _config(self, title: str, url: str, site_dir: Path, config_file: str | None, **defaults: Any) -> Config:
        settings = {
            key: self.config[key] for key in (*host.TOP_LEVEL, *host.TABLES) if self.config[key] not in (None, {})
        }
        folder = Path(config_file).parent if config_file else None
        return host.host_config(
            settings, title=title, url=url, site_dir=site_dir, base=folder, source=SOURCE, defaults=defaults
        )

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return None
        if not config.site_url:
            raise PluginError("publisher: site_url is not set in mkdocs.yml; feeds need the site's public address")
        try:
            self.site = self._config(
                config.site_name,
                config.site_url,
                Path(config.site_dir),
                config.config_file_path,
                description=config.site_description,
                author=config.site_author,
                language=_language(config),
            )
        except ConfigError as exc:
            raise PluginError(f"publisher: {exc}") from None
        if not self.dirty:  # with --dirty, the pages not rendered again keep what an earlier build saw
            self.articles = {}
        self.pending = {}
        self.tags = None
        self.posts = None
        self.patterns = tuple(self.config.pages)  # read once: MkDocs' option lookup costs 15 us a page
        return None

    @event_priority(-100)  # after every other plugin changed the HTML: the feeds get what the page shows
    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        if self.site is None or not self._is_article(page, config):
            return None
        self.pending[page.file.src_uri] = (page, html)
        self.articles.pop(page.file.src_uri, None)
        self.files = files
        return None

    def _made(self) -> dict[str, Article]:
        """Every article page as an Article, the pages seen since the last call made now."""
        site, files = self.site, self.files
        if site is not None and files is not None:  # both set with the first page
            with _logged_to_mkdocs():
                for src, (page, html) in self.pending.items():
                    try:
                        self.articles[src] = page_article(page, html, site, files)
                    except ContentError as exc:
                        log.warning("publisher: skipped %s", exc)
        self.pending = {}
        return self.articles

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str | None:
        if self.site is None:
            return None
        if self.tags is None:
            from ..feeds import link_tags

            self.tags = link_tags(self.site, self._made().values())
        return output.replace("</head>", self.tags + "</head>", 1)  # one pass and one copy of the page

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.site is None:
            return
        if self.dirty and not self.complete and any(Path(config.site_dir).iterdir()):
            # `mkdocs build --dirty` into an earlier site renders only the pages that changed: feeds of
            # those alone would drop every other article.
            log.warning("publisher: --dirty renders only changed pages; the feeds were left as they were")
            return
        self.complete = True
        articles = list(self._made().values())
        try:
            with _logged_to_mkdocs():
                published = host.publish(articles, self.site)
                written = list(published.written)
                if days := host.digest_days(self.config.digest_days, SOURCE, "digest_days"):
                    written += host.write_week_digest(articles, self.site, days=days)
        except PublisherError as exc:  # the state folder locked by another build, an output not writable
            raise PluginError(f"publisher: {exc}") from None
        log.info("%s", host.summary(articles, written, self.site.site.output, published))

    def _is_article(self, page: Page, config: MkDocsConfig) -> bool:
        if self.patterns:
            return any(fnmatch.fnmatchcase(page.file.src_uri, pattern) for pattern in self.patterns)
        if self.posts is None:  # the blog plugin found its posts in on_files, before any page is rendered
            self.posts = {id(post) for posts in _blog_posts(config) for post in posts}
        return id(page) in self.posts


def _unknown(key: str) -> str:
    """Why an option is not the plugin's: a key copied from publisher.toml is named as one."""
    if key in ("title", "url"):
        return "the feeds' title is site_name and the site's address site_url"
    if key in SETTINGS[""] or key in TOML_TABLES:
        return "a setting of publisher.toml the plugin does not take: MkDocs gives the pages, their URLs and HTML"
    return "a typo?"


class _ToMkDocs(logging.Handler):
    """publisher's own messages (a page left out, the digest's checks, the state database moved aside) in
    MkDocs' log, as its plugins' are: with their level, the info lines shown, warnings counted by
    `mkdocs build --strict`. Not on the ``publisher`` logger, which MkDocs does not show (its warnings came
    out bare and uncounted, its info lines never). The state moved aside is never fatal: said at INFO."""

    def emit(self, record: logging.LogRecord) -> None:
        level = logging.INFO if getattr(record, "never_fatal", False) else record.levelno
        message = record.getMessage()
        log.log(level, "%s", message if message.startswith("publisher: ") else f"publisher: {message}")


@contextlib.contextmanager
def _logged_to_mkdocs() -> Iterator[None]:
    own = logging.getLogger("publisher")
    handler, propagate, level = _ToMkDocs(), own.propagate, own.level
    own.addHandler(handler)
    own.propagate = False  # not also printed bare by Python's last-resort handler
    own.setLevel(log.getEffectiveLevel())
    try:
        yield
    finally:
        own.removeHandler(handler)
        own.propagate, own.level = propagate, level


def page_article(page: Page, html: str, config: Config, files: Files) -> Article:
    """One rendered page as an Article: its canonical URL and HTML as given, the rest from its meta
    (Material's post settings first, where the page is a post of its blog)."""
    path = page.file.abs_src_path or page.file.src_uri
    fields = Fields(page.meta, config, path)
    post = getattr(page, "config", None)  # Material's Post: the blog plugin read date, authors, categories
    if post is not None and hasattr(post, "date") and hasattr(post, "categories"):
        published = post.date.created
        updated = post.date.get("updated") or fields.date("updated")
        authors = tuple(author.name for author in getattr(page, "authors", ()) if author.name)
        categories = list(post.categories)
        category, more_tags = (categories[0] if categories else None), tuple(categories[1:])
    else:
        published = fields.date("published")
        if published is None:
            raise fields.missing("date", "published", "expected YYYY-MM-DD or ISO 8601")
        updated = fields.date("updated")
        authors = authors_of(fields)[0]
        category, more_tags = fields.category()
    url = page.canonical_url or page.abs_url or page.url  # canonical: site_url is set (on_config checks)
    return Article(
        slug=posixpath.basename(url.rstrip("/")).removesuffix(".html") or "index",
        title=page.title or fields.text("title") or page.file.name,
        published=published,
        updated=updated,
        authors=authors,
        tags=tuple(dict.fromkeys(fields.tags() + more_tags)),
        category=category,
        featured=fields.flag("featured"),
        description=fields.text("description"),
        cover_image=_cover(fields.cover(), page, files),
        draft=fields.flag("draft"),
        path=path,
        id=fields.entry_id(),
        url=url,
        html=html,
    )


def _cover(cover: str | None, page: Page, files: Files) -> str | None:
    """A cover written relative to the page's Markdown file, as its images are, becomes the address
    MkDocs gives that file (Material's blog moves posts' images); absolute ones stay as they are."""
    if cover is None or web_url(cover) is not None or cover.startswith("/"):
        return cover
    source = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), cover))
    found = files.get_file_from_path(source)
    return found.url if found is not None else cover


def _blog_posts(config: MkDocsConfig) -> list[list[Page]]:
    """The posts of each Material blog plugin in the site (it may have several)."""
    posts = []
    for plugin in config.plugins.values():
        blog = getattr(plugin, "blog", None)
        if type(plugin).__name__ == "BlogPlugin" and blog is not None:
            posts.append(blog.posts)
    return posts


def _language(config: MkDocsConfig) -> str | None:
    theme = config.theme
    language = theme.get("language") if theme is not None else None
    return language if isinstance(language, str) else None


def _key_of(message: str) -> str:
    """The setting a publisher configuration error names first ("... plugins.publisher: feeds.limit: ..."),
    for MkDocs' "option 'x'" prefix."""
    found = re.match(r"\[?(\w+)", message.removeprefix(SOURCE + ": "))
    key = found.group(1) if found else ""
    return key if key in (*host.TABLES, *host.TOP_LEVEL, "digest_days") else "publisher"
