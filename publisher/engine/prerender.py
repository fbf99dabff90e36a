"""Rendering many articles' HTML before the outputs are made, on both cores when it pays.

A cold build of a site with archives renders every article once; that is most of its time after
parsing, and each article is independent of the others. When there are at least ``PARALLEL_MIN``
to render and a second core, a forked process (forked.py) renders the second half while this one
renders the first half into the state store; its results are then copied over, a batch at a time.
Nothing is held in memory but a batch of HTML, and if the helper fails its half is simply
rendered here, when an output needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import IO, Any, Protocol

from ..errors import ContentError
from ..guard import ArticleFailed, rendered_html
from ..model import Article
from .forked import Forked, put
from .state import StateStore

log = logging.getLogger("publisher")

# Articles to render from which a second process is started. Measured on this 2-core machine, the fork
# costs about 0.1 s of CPU time (the copy of the process, its pages copied on write on both sides, the
# results read back), about 500 articles' rendering (0.2 ms each, Markdown or a host's HTML): a cold
# `publisher build` of 1,000 articles took 0.08 s more CPU with it, and MkDocs' 1,000-post blog 0.1 s
# more CPU and no less wall time (0.22-0.31 s against 0.21-0.24 s). From 2,000, the half handed over
# is worth twice the fork in wall time.
PARALLEL_MIN = 2000
BATCH = 200  # articles' HTML per pickled batch from the helper


class HtmlStore(Protocol):
    config: Any

    def key(self, article: Article) -> tuple[str, str] | None: ...
    def store_html(self, rel: str, key: str, html: str) -> None: ...


def prerender(articles: Sequence[Article], html: HtmlStore, store: StateStore) -> list[ArticleFailed]:
    """Render ``articles`` into the state store (those that do not come from files are left for later).

    Each within its time budget (guard.py); returns the articles that could not be rendered, with why.
    """
    jobs = [(article, where) for article in articles if (where := html.key(article)) is not None]
    theirs = jobs[len(jobs) // 2 :]
    helper = None
    if len(jobs) >= PARALLEL_MIN:
        helper = Forked.start(lambda out: _render_into(out, theirs, html.config), store.folder)
    mine = jobs[: len(jobs) // 2] if helper is not None else jobs
    failed = []
    try:
        for article, (rel, key) in mine:
            try:
                html.store_html(rel, key, rendered_html(article, html.config))
            except ArticleFailed as failure:
                failed.append(failure)
        if helper is not None:
            by_rel = {rel: article for article, (rel, _) in jobs}
            for batch in helper.results():
                for rel, key, text, problem in batch:
                    if problem is None:
                        html.store_html(rel, key, text)
                    else:  # reported here, without spending the article's budget again
                        failed.append(ArticleFailed(by_rel[rel], problem))
    finally:
        if helper is not None:
            helper.stop()
    return failed


def _render_into(out: IO[bytes], jobs: list[tuple[Article, tuple[str, str]]], config: Any) -> None:
    """In the helper: batches of (rel, key, html, None), or (rel, key, "", its ContentError) for a failure."""
    batch: list[tuple[str, str, str, ContentError | None]] = []
    for article, (rel, key) in jobs:
        try:
            batch.append((rel, key, rendered_html(article, config), None))
        except ArticleFailed as failure:
            batch.append((rel, key, "", failure.error))  # pickled as it is (ContentError.__reduce__)
        if len(batch) >= BATCH:
            put(out, batch)
            batch = []
    put(out, batch)
