"""Each article's HTML as a build asks for it: from this build's memory, else the state store's ``html``
table, else rendered within its budget (and stored). The key covers every setting and the file's
SHA-256, so stored HTML never outlives what made it."""

from __future__ import annotations

import hashlib

from ..config import Config
from ..guard import guarded, render_budget
from ..model import Article
from .state import StateStore


class StoredHtml:
    """An article's HTML: from this build's memory, else the state store, else rendered (and stored)."""

    def __init__(
        self, config: Config, store: StateStore, shas: dict[str, str], rels: dict[str, str], settings: str
    ) -> None:
        self.config = config
        self.store = store
        self.shas = shas
        self.rels = rels
        self.settings = settings  # every setting, library and template: HTML never outlives what made it
        self.memory: dict[int, str] = {}
        self.keys = store.html_keys()

    def key(self, article: Article) -> tuple[str, str] | None:
        """(rel, key) under which the state store keeps the article's HTML; None if it does not come from a file."""
        rel = self.rels.get(article.path or "")
        sha = self.shas.get(article.path or "")
        if not rel or not sha:
            return None
        return rel, hashlib.sha256(f"{self.settings}\0{rel}\0{sha}".encode()).hexdigest()

    def stored(self, article: Article) -> bool:
        found = self.key(article)
        return found is None or self.keys.get(found[0]) == found[1]  # not from a file: rendered when asked

    def store_html(self, rel: str, key: str, html: str) -> None:
        self.store.store_html(rel, key, html)
        self.keys[rel] = key

    def __call__(self, article: Article) -> str:
        from ..markup.html import render_html

        found = self.memory.get(id(article))
        if found is not None:
            return found
        where = self.key(article)
        html = None
        if where is not None and self.keys.get(where[0]) == where[1]:
            html = self.store.html(where[0])
        if html is None:
            # Articles from files were rendered, within their budget, before any output (prerender).
            html = guarded(
                article.path, "rendering", render_html, article, self.config, budget=render_budget(len(article.body))
            )
            if where is not None:
                self.store_html(*where, html)
        self.memory[id(article)] = html
        return html

    def release(self, article: Article) -> None:
        self.memory.pop(id(article), None)
