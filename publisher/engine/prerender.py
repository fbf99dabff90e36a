"""Rendering many articles' HTML before the outputs are made, on both cores when it pays.

A cold build of a site with archives renders every article once; that is most of its time after
parsing, and each article is independent of the others. When there are at least ``PARALLEL_MIN``
to render and a second core, a forked process renders the second half into a database of its own
(in the state folder) while this one renders the first half into the state store; the rows are
then copied over, a batch at a time. Nothing is held in memory but one article's HTML, and if the
helper fails its half is simply rendered here.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

from ..errors import ContentError
from ..guard import ArticleFailed, rendered_html
from ..model import Article
from .state import StateStore

log = logging.getLogger("publisher")

# Articles to render from which a second process is started. Measured here (benchmarks/README.md):
# a fork and its database cost about 30 ms, about a hundred articles' rendering.
PARALLEL_MIN = 400
HELPER_DB = "render-helper.sqlite3"


class HtmlStore(Protocol):
    config: Any

    def key(self, article: Article) -> tuple[str, str] | None: ...
    def store_html(self, rel: str, key: str, html: str) -> None: ...


def prerender(articles: Sequence[Article], html: HtmlStore, store: StateStore) -> list[ArticleFailed]:
    """Render ``articles`` into the state store (those that do not come from files are left for later).

    Each within its time budget (guard.py); returns the articles that could not be rendered, with why.
    """
    jobs = [(article, where) for article in articles if (where := html.key(article)) is not None]
    helper = _Helper.start(jobs[len(jobs) // 2 :], html.config, store) if len(jobs) >= PARALLEL_MIN else None
    mine = jobs[: len(jobs) // 2] if helper is not None else jobs
    failed = []
    for article, (rel, key) in mine:
        try:
            html.store_html(rel, key, rendered_html(article, html.config))
        except ArticleFailed as failure:
            failed.append(failure)
    if helper is not None:
        by_rel = {rel: article for article, (rel, _) in jobs}
        for rel, message, reason in helper.collect(html):
            article = by_rel[rel]
            failed.append(ArticleFailed(article, ContentError(article.path, None, message, reason=reason)))
    return failed


class _Helper:
    def __init__(self, pid: int, path: str) -> None:
        self.pid = pid
        self.path = path

    @classmethod
    def start(cls, jobs: list[tuple[Article, tuple[str, str]]], config: Any, store: StateStore) -> _Helper | None:
        if (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
            return None
        path = str(store.folder / HELPER_DB)
        _remove(path)
        try:
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:  # the helper: render, write its own database, leave without running any cleanup
            code = 1
            try:
                code = _render_into(path, jobs, config)
            finally:
                os._exit(code)
        return cls(pid, path)

    def collect(self, html: HtmlStore) -> list[tuple[str, str, str]]:
        """Wait for the helper and copy its rows into the state store; what it missed stays unrendered.
        Returns (rel, message, reason) of each article it could not render."""
        _, status = os.waitpid(self.pid, 0)
        failed: list[tuple[str, str, str]] = []
        try:
            if os.waitstatus_to_exitcode(status) != 0:
                log.debug("the render helper failed; its articles are rendered when an output needs them")
                return []
            source = sqlite3.connect(self.path)
            try:
                rows = source.execute("SELECT rel, key, html FROM html")
                while batch := rows.fetchmany(200):
                    for rel, key, text in batch:
                        html.store_html(rel, key, text)
                failed = source.execute("SELECT rel, message, reason FROM failed").fetchall()
            finally:
                source.close()
        except sqlite3.DatabaseError:
            pass
        finally:
            _remove(self.path)
        return failed


def _render_into(path: str, jobs: list[tuple[Article, tuple[str, str]]], config: Any) -> int:
    logging.getLogger("publisher").disabled = True  # the parent reports, in order
    db = sqlite3.connect(path, isolation_level=None)
    # A scratch file, read once and removed: no journal, no syncing.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("CREATE TABLE html (rel TEXT PRIMARY KEY, key TEXT NOT NULL, html TEXT NOT NULL)")
    db.execute("CREATE TABLE failed (rel TEXT PRIMARY KEY, message TEXT NOT NULL, reason TEXT NOT NULL)")
    db.execute("BEGIN")
    for article, (rel, key) in jobs:
        try:
            text = rendered_html(article, config)
        except ArticleFailed as failure:  # the parent reports it, without spending its budget again
            db.execute(
                "INSERT OR REPLACE INTO failed VALUES (?, ?, ?)", (rel, failure.error.message, failure.error.reason)
            )
            continue
        db.execute("INSERT OR REPLACE INTO html VALUES (?, ?, ?)", (rel, key, text))
    db.execute("COMMIT")
    db.close()
    return 0


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
