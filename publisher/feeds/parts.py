"""One build's memo of per-article pieces: made once, reused by every output that holds the article.

An article in the main feed is usually also in a tag feed or two, its category's feed and its
year's archive, in three formats each. Its HTML, summary, cover and its entry in each format
(the serialised Atom <entry>, RSS <item>, JSON Feed item) are made the first time an output
needs them and kept until ``release``: the caller releases an article after the last output
that holds it (``last_uses``), so what is kept is bounded by the articles still to come.

With a ``budget`` (bytes of text kept), the articles used least recently are forgotten when
it is exceeded; their pieces are made again if a later output needs them. The output is the
same either way: a budget trades CPU time for memory.

With ``kept`` (a build, or a caller's ``publisher.Store``), the entries also outlive the build,
keyed by the article's file, the settings and its cover: a build after one article changed makes
that article's entries and splices every other one as it was kept.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..config import Config
from ..model import Article
from ..text import one_line
from .enclosure import Enclosure, cover_enclosure

T = TypeVar("T")
# The pieces that are an article's entry in a feed format: the same bytes in every feed holding it.
KEPT = ("atom", "rss", "json")


class Parts:
    """Pieces by article (its key: unique in a build) and by name."""

    def __init__(
        self, config: Config, html: Callable[[Article], str], *, budget: int | None = None, kept: Any = None
    ) -> None:
        self.config = config
        self.budget = budget
        # Where each article's entries (KEPT) outlive the build: ``kept.get(article, name)`` gives one
        # back or None, ``kept.put(article, name, value)`` keeps it (engine/store.py: the state store).
        self.kept = kept
        self.size = 0  # bytes of the text pieces kept
        self._html = html  # the article's sanitised HTML; the caller decides where it comes from
        self._pieces: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def piece(self, article: Article, name: str, make: Callable[[Article, Config, Parts], T]) -> T:
        """The piece ``name`` of ``article``, made with ``make(article, config, parts)`` the first time."""
        pieces = self._pieces.get(article.key)
        if pieces is None:
            pieces = self._pieces[article.key] = {}
        elif self.budget is not None:
            self._pieces.move_to_end(article.key)
        if name in pieces:
            found: T = pieces[name]
            return found
        made = self.kept.get(article, name) if self.kept is not None and name in KEPT else None
        if made is None:
            made = make(article, self.config, self)
            if self.kept is not None and name in KEPT:
                self.kept.put(article, name, made)
        pieces[name] = made
        if isinstance(made, (str, bytes)):
            self.size += sys.getsizeof(made)
            if self.budget is not None:
                self._keep_within(self.budget)
        return made

    def html(self, article: Article) -> str:
        return self.piece(article, "html", lambda a, _config, _parts: self._html(a))

    def summary(self, article: Article) -> str:
        """seoDescription, else the first paragraph of the body as text; on one line."""
        return self.piece(article, "summary", _summary)

    def enclosure(self, article: Article) -> Enclosure | None:
        return self.piece(article, "enclosure", lambda a, config, _parts: cover_enclosure(a, config))

    def has(self, article: Article, name: str) -> bool:
        return name in self._pieces.get(article.key, ())

    def drop(self, article: Article, name: str) -> None:
        """Forget one piece: one only needed to make others, once they are made."""
        pieces = self._pieces.get(article.key)
        if pieces is not None and name in pieces:
            self._forget({name: pieces.pop(name)})

    def release(self, article: Article) -> None:
        """Forget ``article``'s pieces: no later output needs them."""
        self._forget(self._pieces.pop(article.key, None))

    def __len__(self) -> int:
        """How many articles have pieces kept."""
        return len(self._pieces)

    def _keep_within(self, budget: int) -> None:
        # The newest article is the one being rendered; it is never the one forgotten.
        while self.size > budget and len(self._pieces) > 1:
            self._forget(self._pieces.popitem(last=False)[1])

    def _forget(self, pieces: dict[str, Any] | None) -> None:
        for piece in (pieces or {}).values():
            if isinstance(piece, (str, bytes)):
                self.size -= sys.getsizeof(piece)


def _summary(article: Article, config: Config, parts: Parts) -> str:
    from ..markup.html import summary  # Markdown and lxml: imported when something is rendered

    return one_line(summary(article, parts.html(article)))


def last_uses(outputs: Iterable[Any]) -> list[list[Article]]:
    """For each output in order, the articles no later output holds: release them once it is rendered."""
    outputs = list(outputs)
    last: dict[str, int] = {}
    articles: dict[str, Article] = {}
    for index, output in enumerate(outputs):
        for article in output.entries:
            last[article.key] = index
            articles[article.key] = article
    done: list[list[Article]] = [[] for _ in outputs]
    for key, index in last.items():
        done[index].append(articles[key])
    return done
