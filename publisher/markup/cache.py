"""Each article's HTML, made once: the one cache every render of feeds goes through.

From this render's memory, else the state store's ``html`` table when there is a store (a build,
or a library caller's ``publisher.Store``), else rendered within the article's time budget
(guard.py) and stored. The stored key covers every setting and the file's SHA-256, so stored HTML
never outlives what made it; articles that do not come from a file are kept in memory only.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ..config import Config
from ..guard import rendered_html
from ..model import Article

if TYPE_CHECKING:
    from ..engine.state import StateStore


class HtmlCache:
    """An article's HTML: from memory, else the store, else rendered (and stored)."""

    def __init__(
        self,
        config: Config,
        store: StateStore | None = None,
        shas: dict[str, str] | None = None,
        rels: dict[str, str] | None = None,
        settings: str = "",
    ) -> None:
        self.config = config
        self.store = store
        self.shas = shas or {}  # article path -> SHA-256 of its file
        self.rels = rels or {}  # article path -> path under the content folder
        self.settings = settings  # every setting, library and template: HTML never outlives what made it
        self.memory: dict[str, str] = {}  # by Article.key
        self.keys = store.html_keys() if store is not None else {}

    def key(self, article: Article) -> tuple[str, str] | None:
        """(rel, key) under which the state store keeps the article's HTML; None if it is not kept there."""
        rel = self.rels.get(article.path or "")
        sha = self.shas.get(article.path or "")
        if self.store is None or not rel or not sha:
            return None
        return rel, hashlib.sha256(f"{self.settings}\0{rel}\0{sha}".encode()).hexdigest()

    def stored(self, article: Article) -> bool:
        found = self.key(article)
        return found is None or self.keys.get(found[0]) == found[1]  # not kept: rendered when asked

    def store_html(self, rel: str, key: str, html: str) -> None:
        if self.store is not None:
            self.store.store_html(rel, key, html)
            self.keys[rel] = key

    def __call__(self, article: Article) -> str:
        found = self.memory.get(article.key)
        if found is not None:
            return found
        where = self.key(article)
        html = None
        if where is not None and self.keys.get(where[0]) == where[1]:
            html = self.store.html(where[0]) if self.store is not None else None
        if html is None:
            html = rendered_html(article, self.config)  # ArticleFailed: the caller leaves the article out
            if where is not None:
                self.store_html(*where, html)
        self.memory[article.key] = html
        return html

    def release(self, article: Article) -> None:
        self.memory.pop(article.key, None)
