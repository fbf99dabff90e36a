"""The Pelican plugin (``PLUGINS = ["publisher"]``, or installed with no PLUGINS list): Pelican's
published articles, as Pelican rendered them, into every feed, the feeds page and the archives.

Each article becomes an Article with ``SITEURL/article.url`` and ``article.content`` (its ``{static}``
links resolved against SITEURL); title, dates, authors, category, tags, summary and cover come from
the article and its metadata. Drafts and hidden articles never reach the plugin (Pelican keeps them
apart). Settings: ``PUBLISHER = {...}`` shaped as publisher.toml; ``PUBLISHER_REPLACE_FEEDS = True``
writes our main, category and tag feeds at Pelican's FEED_* paths instead of beside them.
"""

from __future__ import annotations

import logging
import posixpath
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Config
from ..content.dates import parse_date
from ..content.fields import Fields
from ..errors import ConfigError, ContentError, PublisherError
from ..model import Article
from . import host

log = logging.getLogger("publisher")
# Pelican's settings whose paths our feeds take with PUBLISHER_REPLACE_FEEDS (ours -> theirs).
REPLACED = {"atom": "FEED_ALL_ATOM", "rss": "FEED_ALL_RSS"}
PATTERNS = {"category_pattern": "CATEGORY_FEED_ATOM", "tag_pattern": "TAG_FEED_ATOM"}


def register() -> None:
    """Pelican's entry point: connect to the end of the article generator and of the whole run."""
    from pelican.plugins.signals import article_generator_finalized, finalized

    article_generator_finalized.connect(_collect)
    finalized.connect(_publish)


_articles: dict[int, list[Any]] = {}  # id(pelican settings) -> the articles of that run


def _collect(generator: Any) -> None:
    # Pelican's published articles in the default language, as its FEED_ALL_ATOM holds them: drafts,
    # hidden articles and translations are kept apart by Pelican (translations have feeds of their own).
    _articles.setdefault(id(generator.settings), []).extend(generator.articles)


def _publish(pelican: Any) -> None:
    settings = pelican.settings
    found = _articles.pop(id(settings), [])
    try:  # a bad setting, the state folder locked by another build, an output not writable: said, no traceback
        config = pelican_config(settings)
        days = host.digest_days(settings.get("PUBLISHER_DIGEST_DAYS"), "pelicanconf.py", "PUBLISHER_DIGEST_DAYS")
        siteurl = config.site.url.rstrip("/")
        articles = []
        for item in found:
            try:
                articles.append(pelican_article(item, config, siteurl))
            except ContentError as exc:
                log.warning("publisher: skipped %s", exc)
        published = host.publish(articles, config)
        written = list(published.written)
        if days:
            written += host.write_week_digest(articles, config, days=days)
    except PublisherError as exc:
        log.error("publisher: %s", exc)
        return
    log.info("%s", host.summary(articles, written, config.site.output, published))


def pelican_config(settings: dict[str, Any]) -> Config:
    """The Config of a Pelican site: SITENAME, SITEURL (FEED_DOMAIN for the feeds), AUTHOR, TIMEZONE and
    FEED_MAX_ITEMS under ``PUBLISHER``'s settings; with PUBLISHER_REPLACE_FEEDS, Pelican's FEED_* paths."""
    siteurl = settings.get("SITEURL") or ""
    if not siteurl:
        raise ConfigError("SITEURL is not set in pelicanconf.py; feeds need the site's public address")
    mine = settings.get("PUBLISHER") or {}
    if not isinstance(mine, dict):
        raise ConfigError(f"PUBLISHER: expected a dict shaped as publisher.toml, got {type(mine).__name__}")
    for key in host.TABLES:  # a table given as a number or a list: said, where it was a traceback
        if key in mine and not isinstance(mine[key], dict):
            raise ConfigError(
                f"pelicanconf.py PUBLISHER: {key!r}: expected a dict (publisher.toml's [{key}] table), "
                f"got {type(mine[key]).__name__}"
            )
    mine = {key: dict(value) if isinstance(value, dict) else value for key, value in mine.items()}
    domain = (settings.get("FEED_DOMAIN") or siteurl).rstrip("/") + "/"
    if settings.get("PUBLISHER_REPLACE_FEEDS"):
        _take_pelicans_paths(mine, settings)
    feeds = mine.setdefault("feeds", {})
    if isinstance(settings.get("FEED_MAX_ITEMS"), int) and settings["FEED_MAX_ITEMS"] > 0:
        feeds.setdefault("limit", settings["FEED_MAX_ITEMS"])
    output = str(mine.get("output", "feeds")).strip("/")
    feeds.setdefault("url", domain + (output + "/" if output else ""))
    return host.host_config(
        mine,
        title=str(settings.get("SITENAME") or siteurl),
        url=siteurl,
        site_dir=Path(settings["OUTPUT_PATH"]),
        base=Path(settings["PATH"]).parent if settings.get("PATH") else None,
        source="pelicanconf.py PUBLISHER",
        defaults={"author": settings.get("AUTHOR"), "timezone": settings.get("TIMEZONE")},
    )


def _take_pelicans_paths(mine: dict[str, Any], settings: dict[str, Any]) -> None:
    """Our feeds at the paths of Pelican's (FEED_ALL_ATOM's folder is our output folder, so the feeds
    page, JSON Feed and archives go beside them there, never over Pelican's own index.html)."""
    folder = posixpath.dirname(settings.get("FEED_ALL_ATOM") or "feeds/all.atom.xml")
    mine.setdefault("output", folder)
    folder = str(mine["output"]).strip("/")
    feeds = mine.setdefault("feeds", {})

    def under(path: str | None) -> str | None:
        return path.removeprefix(folder + "/") if path and path.startswith(folder + "/") else None

    for ours, theirs in REPLACED.items():
        if name := under(settings.get(theirs)):
            feeds.setdefault(ours, name)
    for ours, theirs in PATTERNS.items():
        pattern = under(settings.get(theirs))
        if pattern and ".atom." in pattern:
            feeds.setdefault(ours, pattern.replace(".atom.", ".{format}."))


def pelican_article(item: Any, config: Config, siteurl: str) -> Article:
    """One Pelican article as an Article: its URL and HTML as Pelican made them, the rest from it."""
    path = getattr(item, "source_path", None)
    meta = {key: _site_path(value) for key, value in item.metadata.items() if key != "date"}  # date: Pelican's
    fields = Fields(meta, config, path)
    summary = meta.pop("summary", None)
    tags = tuple(tag.name for tag in getattr(item, "tags", ()) or ())
    category = getattr(item, "category", None)
    return Article(
        slug=item.slug,
        title=item.title,
        published=_aware(item.date, config) or item.date,
        updated=_aware(getattr(item, "modified", None), config),
        authors=tuple(author.name for author in getattr(item, "authors", ()) or ()),
        tags=tags,
        category=category.name if category is not None else None,
        featured=fields.flag("featured"),
        description=_text(summary) if summary else fields.text("description"),  # Description:, as in a toml site
        cover_image=fields.cover(),
        path=str(path) if path else None,
        id=fields.entry_id(),
        url=f"{siteurl}/{item.url}",
        html=item.get_content(siteurl),
    )


def _aware(moment: datetime | None, config: Config) -> datetime | None:
    """Pelican's dates are aware when TIMEZONE is set; a naive one is read in the site's time zone."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return parse_date(moment, config)


def _site_path(value: Any) -> Any:
    """``{static}/images/a.png`` (Pelican's link syntax, left alone in metadata such as a cover) is the
    site's images/a.png: Pelican writes static files at their path under the content folder."""
    if isinstance(value, str):
        for prefix in ("{static}", "{attach}", "{filename}"):
            if value.startswith(prefix):
                return posixpath.normpath(value.removeprefix(prefix).lstrip("/"))
    return value


def _text(summary: str) -> str:
    """Pelican's summary is HTML; a description is text."""
    import lxml.html

    return " ".join(lxml.html.fragment_fromstring(summary, create_parent="div").text_content().split())
