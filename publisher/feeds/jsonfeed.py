"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): every feed as ``.json`` besides Atom and RSS.

The same entries as the Atom and RSS feeds: the same ids (the permalink), the same sanitised HTML,
summary and cover. Keys keep one fixed order and no value comes from the clock, so an unchanged
site gives byte-identical files, like the XML feeds. Each item is encoded once per build (Parts)
and spliced into every document that holds it, indented as ``json.dumps(indent=2)`` would.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from ..config import Config
from ..content.permalinks import article_url, entry_id, web_address
from ..model import Article
from ..text import entry_authors, entry_terms, one_line
from .outputs import Output
from .parts import Parts
from .registry import Format, register

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"
ITEM_INDENT = " " * 4  # items sit two levels deep: {"items": [ {...} ]}


def render(output: Output, config: Config, parts: Parts) -> bytes:
    """One JSON Feed document for ``output``."""
    spec = output.spec
    if spec is None:
        raise ValueError(f"{output.filename}: a JSON Feed output needs a feed spec")
    feed_url = config.feeds_base + spec.filename
    feed: dict[str, Any] = {
        "version": VERSION,  # the spec asks for it first
        "title": one_line(spec.title),
        "home_page_url": config.site.url,
        "feed_url": feed_url,
        "description": one_line(config.site.description or config.site.title),
    }
    # user_comment is for people who open the raw file in a browser (spec: "Linking to a Feed").
    comment = f"This is a JSON Feed. To follow {one_line(config.site.title)} in a feed reader, add {feed_url}"
    if config.feeds_index_url:
        comment += f"; every feed of this site, and how to subscribe: {config.feeds_index_url}"
    feed["user_comment"] = comment + "."
    if config.site.icon:
        icon = urljoin(config.site.url, config.site.icon)
        feed["icon"] = icon
        feed["favicon"] = icon
    feed["authors"] = [{"name": one_line(config.site.author or config.site.title), "url": config.site.url}]
    feed["language"] = config.site.language
    if config.feeds.hub:  # JSON Feed 1.1 "hubs": the same WebSub hubs the Atom and RSS feeds announce
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in config.feeds.hub]
    head = json.dumps(feed, ensure_ascii=False, indent=2)  # ends "\n}"; "items" goes last, before it
    items = [parts.piece(article, "json", encoded_item) for article in spec.entries]
    body = "[\n" + ",\n".join(items) + "\n  ]" if items else "[]"
    return f'{head[:-2]},\n  "items": {body}\n}}\n'.encode()


def encoded_item(article: Article, config: Config, parts: Parts) -> str:
    """The article's item, encoded and indented as it sits in the "items" list of a document."""
    text = json.dumps(item(article, config, parts), ensure_ascii=False, indent=2)
    # JSON strings never hold a raw line break, so every line is indented safely.
    return "\n".join(ITEM_INDENT + line for line in text.split("\n"))


def item(article: Article, config: Config, parts: Parts) -> dict[str, Any]:
    url = article_url(article, config)
    content = parts.html(article)
    entry: dict[str, Any] = {"id": entry_id(article, config, url), "url": url}  # the Atom entry's id, the RSS guid
    source = web_address(article.source)
    if source:
        entry["external_url"] = source
    entry["title"] = one_line(article.title) or article.slug
    entry["content_html"] = content
    text = parts.summary(article)
    if text:
        entry["summary"] = text
    enclosure = parts.enclosure(article)
    if enclosure is not None:
        if enclosure.type.startswith("image/"):
            entry["image"] = enclosure.url
            entry["banner_image"] = enclosure.url
        attachment: dict[str, Any] = {"url": enclosure.url, "mime_type": enclosure.type}
        if enclosure.length:
            attachment["size_in_bytes"] = enclosure.length
        entry["attachments"] = [attachment]
    entry["date_published"] = _rfc3339(article.published)
    entry["date_modified"] = _rfc3339(article.last_modified)
    authors = [{"name": name, "url": url} if url else {"name": name} for name, url in entry_authors(article)]
    if authors:
        entry["authors"] = authors
    tags = entry_terms(article)
    if tags:
        entry["tags"] = tags
    return entry


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat()


JSON_FEED = register(
    Format(
        name="json",
        label="JSON Feed",
        media_type=MEDIA_TYPE,
        render=render,
        files={"featured": "featured.json"},
        settings={
            "all": "json",
            "featured": "featured_json",
            "tag": "tag_json_pattern",
            "category": "category_json_pattern",
        },
    )
)
