"""Frontmatter values -> Article fields, by the configured names, with errors naming the key.

Loose values are read the way authors mean them (``title: 2025`` is text, ``tags: news`` one tag,
``featured: "yes"`` true); anything unclear is an error naming the field and what was expected.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.presets import not_an_article
from ..errors import NOT_AN_ARTICLE, ContentError, printable
from ..text import repair_line
from ..urls import web_url
from .dates import parse_date, read_date
from .plain import plain_line

if TYPE_CHECKING:
    from ..config import Config

log = logging.getLogger("publisher")

__all__ = ["NOT_AN_ARTICLE", "Fields", "kind", "not_an_article", "parse_date", "read_date"]

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0", ""}
# Words generators write in a status field (Pelican's "Status: draft"; "hidden" is unlisted).
_DRAFT_WORDS = {"draft": True, "hidden": True, "published": False, "public": False}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_COVER_KEYS = ("image", "src", "url", "path", "teaser", "overlay_image")


class Fields:
    """Reads Article fields out of frontmatter, by the configured names, with errors naming the key."""

    def __init__(self, meta: Mapping[str, Any], config: Config, path: str | Path | None) -> None:
        self.meta = meta
        self.config = config
        self.path = path
        self.separators = config.preset_rules.separators
        self.lookup, every_name = _lookup(config)
        self.used = set(every_name.intersection(meta))

    def names(self, name: str) -> tuple[str, ...]:
        return tuple(key for key, _ in self.lookup[name])

    def raw(self, name: str) -> tuple[str, Any]:
        """(key as configured, value); the first configured name present with a non-null value wins.
        The key keeps a leading "!" (read inverted) for ``flag``."""
        pairs = self.lookup[name]
        for key, configured in pairs:
            value = self.meta.get(key)
            if value is None and "." in key:
                value = nested(self.meta, key)
            if value is not None:
                return configured, value
        return pairs[0][0] if pairs else name, None

    def missing(self, what: str, name: str, expected: str) -> ContentError:
        """ "no date: looked for publishDate, pubDate, date (expected ...)": names every key tried."""
        return ContentError(
            self.path, None, f"no {what}: looked for {', '.join(self.names(name))} ({expected})", reason=f"no {what}"
        )

    def error(self, key: str, message: str, reason: str = "invalid field") -> ContentError:
        return ContentError(self.path, key.lstrip("!"), message, reason=reason)

    def text(self, name: str) -> str | None:
        key, value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.error(key, f"{value!r} is a yes/no value, expected text (quote it)")
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(key, f"expected text, got {kind(value)}")
        return repair_line(value) or None

    def address(self, name: str) -> str | None:
        """A URL field: an http(s) address is made a valid URI; other text is kept as written (a
        publication's name); an address that cannot be parsed is dropped with a warning."""
        value = self.text(name)
        if not value:
            return None
        try:
            return _web_uri(value)
        except ValueError as exc:  # "http://[::1"
            self.warn(self.raw(name)[0], f"{value[:200]!r} is not a usable address ({exc}); dropped")
            return None

    def warn(self, key: str, message: str) -> None:
        where = printable(str(self.path)) if self.path is not None else "<article>"
        log.warning("%s: %s: %s", where, key.lstrip("!"), message)

    def cover(self) -> str | None:
        """The cover image: text, the first of a list (Hugo's ``images``), or a mapping's image or path
        (jekyll-seo-tag's ``image: {path: ...}``, Minimal Mistakes' ``header: {teaser: ...}``)."""
        key, value = self.raw("cover_image")
        if isinstance(value, list):
            value = next((v for v in value if v), None)
        if isinstance(value, dict):
            value = next((value[k] for k in _COVER_KEYS if isinstance(value.get(k), str)), None)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(key, f"expected an image address, got {kind(value)}")
        value = repair_line(value)
        if not value:
            return None
        # The one URL policy (urls.py): http(s) only, relative to the site; javascript:, data:, file: never.
        if web_url(value, self.config.site.url) is None:
            self.warn(key, f"{value[:200]!r} is not an http(s) address; dropped")
            return None
        try:
            return _web_uri(value, always=True)
        except ValueError as exc:
            self.warn(key, f"{value[:200]!r} is not a usable address ({exc}); dropped")
            return None

    def date(self, name: str) -> datetime | None:
        key, value = self.raw(name)
        if value is None:
            return None
        try:
            return parse_date(value, self.config)
        except ContentError as exc:
            raise self.error(key, exc.message, reason=exc.reason) from None

    def flag(self, name: str) -> bool:
        key, value = self.raw(name)
        inverted = key.startswith("!")
        if value is None:
            return False
        if isinstance(value, bool):
            return value != inverted
        if isinstance(value, int) and value in (0, 1):
            return bool(value) != inverted
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE | _FALSE:
                return (word in _TRUE) != inverted
            if name == "draft" and word in _DRAFT_WORDS:
                return _DRAFT_WORDS[word]
        raise self.error(key, f"{value!r} is not a yes/no value (expected true or false)")

    def names_list(self, name: str, what: str, found: tuple[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
        """(key, items) of a list field: a list, or text (split where the preset says so)."""
        key, value = found or self.raw(name)
        if value is None:
            return key, ()
        if isinstance(value, str) and not self.separators:
            text = repair_line(value)
            return key, (text,) if text else ()
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            separator = self.separators.get(key.lstrip("!"))
            value = str(value).split(separator or None) if separator else [value]
            if separator and separator != " ":
                value = [v.strip() for v in value]
        if not isinstance(value, list):
            raise self.error(key, f"expected a list of {what}, got {kind(value)}")
        items = []
        for item in value:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                item = item["name"]
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                text = repair_line(str(item))
                if text:
                    items.append(text)
            elif item is not None:
                raise self.error(key, f"expected a list of {what}, found {kind(item)} in it")
        return key, tuple(dict.fromkeys(items))

    def tags(self) -> tuple[str, ...]:
        return self.names_list("tags", "tags")[1]

    def category(self) -> tuple[str | None, tuple[str, ...]]:
        """A list of categories gives the first as the category and the rest as tags."""
        key, value = found = self.raw("category")
        if isinstance(value, dict):
            raise self.error(key, "expected a category name or a list of names")
        _, names = self.names_list("category", "categories", found)
        return (names[0] if names else None), names[1:]

    def title(self) -> str | None:
        """The title as plain text: Markdown and HTML in it rendered (content/plain.py)."""
        value = self.text("title")
        return plain_line(value)[0] if value else value

    def entry_id(self) -> str | None:
        """The frontmatter id when it is an absolute URI (tag:, urn:, http:), as Atom ids must be (RFC
        4287 4.2.6). Other text (Astro's and Docusaurus' short names, ``id: nix-0.9``) is no entry id:
        it is ignored with a warning and ``[feeds] entry_id`` gives the id, as for an article without one."""
        key, value = self.raw("id")
        if value is None or isinstance(value, (bool, list, dict)):
            return None  # not text: no id, and the article is still published
        text = repair_line(str(value))
        if not text:
            return None
        if not _SCHEME.match(text) or " " in text:
            self.warn(
                key,
                f"{text[:200]!r} is not a URI, so it is no entry id; ignored ([feeds] entry_id makes this "
                "entry's id; [fields] id = [] stops reading it)",
            )
            self.used.discard(key.lstrip("!"))  # kept in extra, for templates
            return None
        from ..urls import uri

        return uri(text)


def nested(meta: Mapping[str, Any], dotted: str) -> Any:
    """``params.author`` (Hugo) or ``extra.author`` (Zola): the value under mappings, else None."""
    value: Any = meta
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _lookup(config: Config) -> tuple[dict[str, tuple[tuple[str, str], ...]], frozenset[str]]:
    """Per field, (frontmatter key, name as configured) pairs; and every key. Made once per Config
    (10,000 files would otherwise strip the same "!" from the same names 200,000 times)."""
    found = config.__dict__.get("_field_lookup")
    if found is None:
        pairs = {name: tuple((n.lstrip("!"), n) for n in names) for name, names in config.fields.items()}
        found = (pairs, frozenset(key for both in pairs.values() for key, _ in both))
        object.__setattr__(config, "_field_lookup", found)  # a cache on the frozen Config, not a setting
    return found


def _web_uri(value: str, *, always: bool = False) -> str:
    """An http(s) address (or, with ``always``, any address) as a valid URI; other text as written."""
    if always or value.lower().startswith(("http://", "https://")):
        from ..urls import uri

        return uri(value)
    return value


def kind(value: Any) -> str:
    """What a frontmatter value is, in words, with its article: "a list", "text", ..."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}"
