"""Articles -> JSON Feed 1.1 bytes (https://www.jsonfeed.org/version/1.1/).

The same entries as the Atom and RSS feeds: the same ids (the permalink), the same sanitised HTML,
summary and cover. Keys keep one fixed order and no value comes from the clock, so an unchanged
site gives byte-identical files, like the XML feeds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from .enclosure import cover_enclosure
from .model import Article, Config
from .render import summary
from .text import one_line
from .urls import web_url

if TYPE_CHECKING:
    from .feeds import FeedSpec

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def render_json_feed(spec: FeedSpec, config: Config, html: Callable[[Article], str]) -> bytes:
    """One JSON Feed document for ``spec``; ``html`` gives an article's sanitised body."""
    feed_url = config.feeds_base + spec.filename
    feed: dict[str, Any] = {
        "version": VERSION,  # the spec asks for it first
        "title": one_line(spec.title),
        "home_page_url": config.url,
        "feed_url": feed_url,
        "description": one_line(config.description or config.title),
    }
    # user_comment is for people who open the raw file in a browser (spec: "Linking to a Feed").
    comment = f"This is a JSON Feed. To follow {one_line(config.title)} in a feed reader, add {feed_url}"
    if config.feeds_index_url:
        comment += f"; every feed of this site, and how to subscribe: {config.feeds_index_url}"
    feed["user_comment"] = comment + "."
    if config.icon:
        icon = urljoin(config.url, config.icon)
        feed["icon"] = icon
        feed["favicon"] = icon
    feed["authors"] = [{"name": one_line(config.author or config.title), "url": config.url}]
    feed["language"] = config.language
    if config.hubs:  # JSON Feed 1.1 "hubs": the same WebSub hubs the Atom and RSS feeds announce
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in config.hubs]
    feed["items"] = [_item(article, config, html(article)) for article in spec.entries]
    text = json.dumps(feed, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def _item(article: Article, config: Config, content: str) -> dict[str, Any]:
    url = config.article_url(article)
    item: dict[str, Any] = {"id": url, "url": url}  # the same id as the Atom entry and the RSS guid
    source = web_url(article.source)
    if source:
        item["external_url"] = source
    item["title"] = one_line(article.title) or article.slug
    item["content_html"] = content
    text = one_line(summary(article, content))
    if text:
        item["summary"] = text
    enclosure = cover_enclosure(article, config)
    if enclosure is not None:
        if enclosure.type.startswith("image/"):
            item["image"] = enclosure.url
            item["banner_image"] = enclosure.url
        attachment: dict[str, Any] = {"url": enclosure.url, "mime_type": enclosure.type}
        if enclosure.length:
            attachment["size_in_bytes"] = enclosure.length
        item["attachments"] = [attachment]
    item["date_published"] = _rfc3339(article.published)
    item["date_modified"] = _rfc3339(article.last_modified)
    if article.author:
        item["authors"] = [{"name": one_line(article.author)}]
    names = [*article.tags, *([article.category] if article.category else [])]
    tags = [t for t in dict.fromkeys(one_line(n) for n in names) if t]
    if tags:
        item["tags"] = tags
    return item


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat()
