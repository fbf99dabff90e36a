"""What a render with a store gives: ``Rendered``, the outputs by name, each made when asked for (and
planned only when the first is), with each article's entries kept in the state store, and what each
output is made of as one digest (``memo_key``), by which ``Store.write`` leaves an output alone.
Damage to the store found while an output is made moves it aside, and the outputs are planned again
against the fresh one (``Rendered.replan``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..config import Config
from ..markup.cache import HtmlCache
from ..model import Article
from .damage import StateDamaged
from .fingerprint import file_stat


class Rendered(Mapping[str, bytes]):
    """The outputs of one render, by file name in the order they are made: each output's bytes are
    made when asked for, and an article's pieces dropped once every output holding it was made or
    skipped (so asking in order keeps only the articles still to come in memory). The outputs are
    planned when the first of them is made (``plan``): when every output is skipped, never.

    ``again(damage)`` is the same render once more, after ``damage`` to the store moved it aside (None:
    it was moved already): see ``replan``."""

    def __init__(
        self,
        memos: dict[str, str | None],
        plan: Callable[[], tuple[list[Any], HtmlCache]],
        again: Callable[[StateDamaged | None], Rendered],
    ) -> None:
        self.memos = memos  # what each output is made of, as one digest (None: not from known files)
        self.plan = plan
        self.again = again
        self.planned: _Planned | None = None
        self.done: set[str] = set()
        self.made: list[str] = []  # the outputs whose bytes were asked for, in order

    def replan(self, damage: StateDamaged | None) -> None:
        """Planned again against the fresh store, after ``damage`` moved the one these outputs were
        planned against aside (None: it was moved already): what each is made of, and its pieces,
        are then the fresh store's, as after a first render."""
        fresh = self.again(damage)
        self.memos, self.plan, self.again = fresh.memos, fresh.plan, fresh.again
        self.planned, self.done, self.made = None, set(), []

    def __getitem__(self, name: str) -> bytes:
        try:
            return self.make(name)
        except StateDamaged as damage:  # asked by the caller itself (Store.write recovers on its own)
            self.replan(damage)
        return self.make(name)

    def make(self, name: str) -> bytes:
        """The bytes of ``name``; StateDamaged when the store is found damaged on the way."""
        from ..feeds import render_output

        if name not in self.memos:
            raise KeyError(name)
        if self.planned is None:
            self.planned = _Planned(*self.plan(), self.done)
        planned = self.planned
        if planned.html.store is None:
            data = render_output(planned.outputs[name], planned.html.config, planned.parts)
        else:
            with planned.html.store.transaction():  # the entries it keeps: one commit, not one a row
                data = render_output(planned.outputs[name], planned.html.config, planned.parts)
        self.made.append(name)
        self.skip(name)
        return data

    def skip(self, name: str) -> None:
        """``name`` will not be asked for (again): its articles' pieces may go once no other output needs them."""
        if name in self.done:
            return
        self.done.add(name)
        if self.planned is not None:
            self.planned.skip(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.memos)

    def __len__(self) -> int:
        return len(self.memos)


class _Planned:
    """A render's outputs as planned, with the pieces of the articles that outputs still to come hold."""

    def __init__(self, outputs: list[Any], html: HtmlCache, done: set[str]) -> None:
        from ..feeds import Parts

        self.outputs = {output.filename: output for output in outputs}
        self.html = html
        self.parts = Parts(html.config, html, kept=_Entries(html, html.config))
        self.remaining: dict[int, int] = {}  # id(article) -> outputs not yet made or skipped that hold it
        for output in outputs:
            if output.filename not in done:
                for article in output.entries:
                    self.remaining[id(article)] = self.remaining.get(id(article), 0) + 1

    def skip(self, name: str) -> None:
        for article in self.outputs[name].entries:
            self.remaining[id(article)] -= 1
            if self.remaining[id(article)] == 0:
                self.parts.release(article)
                self.html.release(article)


class _Entries:
    """Each article's entries (feeds/parts.py KEPT) in the state store, under the key of its HTML
    (every setting, its file's SHA-256) and its cover file's size (an enclosure's length)."""

    def __init__(self, html: HtmlCache, config: Config) -> None:
        self.html = html
        self.config = config
        self.keys: dict[str, tuple[str, str] | None] = {}  # by Article.key: one stat of the cover a build
        self.made: set[str] = set()  # the articles (Article.key) whose entries were made, not found kept

    @property
    def state(self) -> Any:
        """The state store, where the feeds page keeps its compiled template (feeds/page.py)."""
        return self.html.store

    def _where(self, article: Article) -> tuple[str, str] | None:
        from ..feeds.enclosure import cover_file

        if article.key in self.keys:
            return self.keys[article.key]
        found = self.html.key(article)
        where = None
        if found is not None and self.html.store is not None:
            rel, key = found
            cover = str(file_stat(cover_file(article, self.config))[0]) if article.cover_image else ""
            where = rel, hashlib.sha256(f"{key}\0{cover}".encode()).hexdigest()
        self.keys[article.key] = where
        return where

    def get(self, article: Article, name: str) -> bytes | str | None:
        where = self._where(article)
        return None if where is None or self.html.store is None else self.html.store.entry(where[0], name, where[1])

    def put(self, article: Article, name: str, value: bytes | str) -> None:
        self.made.add(article.key)
        where = self._where(article)
        if where is not None and self.html.store is not None:
            self.html.store.store_entry(where[0], name, where[1], value)


def memo_key(output: Any, settings: str, shas: dict[str, str], config: Config, covers: dict[str, int]) -> str | None:
    """What an output is made of, as one digest: None when an entry does not come from a known file.

    An output is decided by its key (spec, dates, the feeds a page lists ...) and its entries'
    files, under the same settings, and the sizes of their covers (added to ``covers``).
    """
    from ..feeds.enclosure import cover_file

    parts = [settings, output.key()]
    for article in output.entries:
        sha = shas.get(article.path) if article.path else None
        if sha is None:
            return None
        parts.append(f"{article.path}\0{sha}")
        if article.cover_image:
            cover = cover_file(article, config)
            if cover is not None:
                covers[str(cover)] = file_stat(cover)[0]
            parts.append(str(covers[str(cover)]) if cover is not None else "-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def still(path: Path, known: tuple[str, int, int, str | None]) -> bool:
    """The file holds what was recorded: the same size and mtime, or else the same SHA-256."""
    sha, size, mtime_ns, _ = known
    if file_stat(path) == (size, mtime_ns):
        return True
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha
    except OSError:
        return False
