"""``publisher.Store``: the build's state store opened on a folder, which makes the public stages
incremental for any caller::

    with publisher.Store(".publisher") as store:
        articles = publisher.load_articles("content/", config, store=store)
        feeds = publisher.render_feeds(articles, config, store=store)
        publisher.write_feeds(feeds, "feeds/", store=store)

Each stage with a store does only what changed since the last call on that folder, by the same
methods ``publisher.build`` calls (engine/pipeline.py adds the lock, the nothing-changed fast
path, the problems said once, and the records of the run):

- ``load``: files unchanged since the last call give back their recorded article or error
  without being read (engine/incremental.py);
- ``take``: articles a host made from its pages (``Article(url=, html=)``) are known by a digest
  of their fields, as files are by theirs;
- ``render``: each article's HTML comes from the store (rendered once, on both cores when there
  is much of it: engine/prerender.py), and the feeds come back as ``Rendered``, a mapping whose
  bytes are made only when asked for;
- ``write``: an output whose articles and settings are unchanged and whose file still holds what
  was written is not made at all, nor is one whose file is gone (a host's emptied site folder) and
  whose bytes the store kept: those are written; any other is made, written atomically when its
  bytes changed, and its pieces dropped once no later output needs them; outputs the store
  recorded in that folder and no longer made are removed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from ..config import Config
from ..content import OUTSIDE, SourceFile
from ..guard import ArticleFailed
from ..markup.cache import HtmlCache
from ..model import Article
from ..output import remove_outputs, write_inside
from .fingerprint import file_stat, settings_key
from .incremental import Loaded, load_changed
from .state import StateStore, open_folder

_EVERY_FIELD = operator.attrgetter(*(f.name for f in dataclasses.fields(Article)))


class Store:
    """The state database of ``folder`` (created on first use), its lock held until ``close``."""

    def __init__(self, folder: str | Path, *, lock_timeout: float = 60.0) -> None:
        self._opened: AbstractContextManager[StateStore] | None = open_folder(Path(folder), lock_timeout=lock_timeout)
        self.state = self._opened.__enter__()
        self.loaded = Loaded()  # what the last load found: each article's file digest and path
        self.unrenderable: list[ArticleFailed] = []  # the articles the last render left out
        self.made: list[str] = []  # the outputs the last write made (the others: as written, or as kept)
        self.entries_made: list[str] = []  # the articles (Article.key) whose entries it made

    @classmethod
    def on(cls, state: StateStore) -> Store:
        """A Store over a database already open (the build's)."""
        store = cls.__new__(cls)
        store._opened = None
        store.state, store.loaded, store.unrenderable, store.made, store.entries_made = state, Loaded(), [], [], []
        return store

    def close(self) -> None:
        if self._opened is not None:
            self._opened.__exit__(None, None, None)
            self._opened = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def load(self, files: list[SourceFile], outside: list[str], config: Config) -> Loaded:
        """Every article and problem of ``files``, parsing only what the store does not know, recorded."""
        settings = settings_key(config)
        # Records of files and their HTML serve every output folder; they need the same settings.
        same = self.state.get("settings") == settings
        loaded = load_changed(self.state if same else None, files, outside, config)
        reported = set(self.state.get("outside_reported", []))  # links out are not files: not recorded
        loaded.fresh_errors = [e for e in loaded.fresh_errors if e.reason != OUTSIDE or e.path not in reported]
        outside_now = sorted(e.path for e in loaded.errors if e.reason == OUTSIDE and e.path)
        if loaded.rows or loaded.gone or not same or outside_now != sorted(reported):  # a commit costs ~10 ms
            with self.state.transaction():
                self.state.update_sources(loaded.rows, loaded.gone, forget_all=not same)
                self.state.put("settings", settings)
                self.state.put("outside_reported", outside_now)
        self.loaded = loaded
        return loaded

    def take(self, articles: Iterable[Article], config: Config) -> None:
        """Articles a host made (``Article(url=, html=)`` from its pages, no file of ours), as ``load``
        leaves files: each known by its URL and a digest of every field, its HTML included, so that
        render keeps its HTML and pieces and write skips the outputs it is not in, until the page
        changes (the MkDocs and Pelican plugins: publisher/integrations/). An article without a file
        path is kept in memory only, as the HTML cache keeps those."""
        settings = settings_key(config)
        if self.state.get("settings") != settings:
            with self.state.transaction():
                self.state.put("settings", settings)
        loaded = Loaded()
        for article in articles:
            if article.path is None:
                continue  # kept in memory only, as the HTML cache keeps articles without a file
            fields = repr(_EVERY_FIELD(article))  # one C call for every field: 13 ms for 1,000 pages, not 16
            loaded.shas[article.path] = hashlib.sha256(fields.encode("utf-8", "surrogatepass")).hexdigest()
            loaded.rels[article.path] = article.url or article.path
        self.loaded = loaded

    def render(self, published: list[Article], config: Config, *, strict: bool = False) -> Rendered:
        """The outputs of ``published`` (newest first) with each article's HTML made once and stored.

        The HTML the outputs need and the store does not hold is rendered first, each article within
        its time budget (guard.py); one that fails is left out (``unrenderable``, recorded as its
        file's problem) and the outputs planned again without it (``strict``: its error is raised).
        """
        from ..feeds import plan_outputs
        from .prerender import prerender

        settings = self.state.get("settings", "")
        html = HtmlCache(config, self.state, self.loaded.shas, self.loaded.rels, settings)
        self.unrenderable = []
        with self.state.transaction():
            while True:
                outputs = plan_outputs(published, config)
                needed = {id(a): a for output in outputs for a in output.entries}
                failed = prerender([a for a in needed.values() if not html.stored(a)], html, self.state)
                if not failed:
                    break
                if strict:
                    raise failed[0].error
                self.unrenderable += failed
                dropped = {id(failure.article) for failure in failed}
                published = [a for a in published if id(a) not in dropped]  # others may move up
            rels = self.loaded.rels
            if self.unrenderable:
                self.state.record_errors(
                    {rels[f.article.path]: f.error for f in self.unrenderable if f.article.path in rels}
                )
        memos = {o.filename: _memo_key(o, settings, self.loaded.shas, config) for o in outputs}
        return Rendered(outputs, memos, config, html)

    def write(self, feeds: Mapping[str, bytes], out: str | Path, written: list[str]) -> tuple[list[str], list[str]]:
        """Write ``feeds`` into ``out``, adding the names rewritten to ``written``; returns the names
        left unchanged and those removed (recorded in ``out`` by an earlier call, no longer made)."""
        folder = str(Path(out).resolve())
        previous = self.state.outputs(folder)
        unchanged: list[str] = []
        with self.state.transaction():
            for name in list(feeds):
                memo = feeds.memos.get(name) if isinstance(feeds, Rendered) else None
                known = previous.get(name)
                same = memo is not None and known is not None and known[3] == memo
                # The file as last written (only asked where it decides something: a memo to compare or keep).
                present = memo is not None and known is not None and _still(Path(out) / name, known)
                fine = same and present
                # A file gone or not as written (MkDocs empties its site folder before each build) whose
                # parts did not change is written again from the bytes kept, not made again.
                data = self.state.output_bytes(folder, name, known[0]) if same and known and not fine else None
                kept = data is not None
                if (fine or kept) and isinstance(feeds, Rendered):
                    feeds.skip(name)
                if fine:
                    unchanged.append(name)
                    continue
                data = feeds[name] if data is None else data
                if not write_inside(out, name, data):
                    unchanged.append(name)
                elif name not in written:
                    written.append(name)
                size, mtime_ns = file_stat(Path(out) / name)
                sha = known[0] if kept and known else hashlib.sha256(data).hexdigest()
                # Its bytes are kept where the folder may not keep them: a first write, or a file that was
                # gone. Not for a file that was there (publisher build's folder): +25 ms for one changed
                # article of 3,000, for nothing, unless the folder is emptied (then they are kept next time).
                keep = memo is not None and not kept and not present
                self.state.record_output(folder, name, sha, size, mtime_ns, memo, data if keep else None)
                del data
            if isinstance(feeds, Rendered):
                self.made, self.entries_made = list(feeds.made), sorted(feeds.parts.kept.made)
            gone = sorted(set(previous) - set(feeds))
            removed = remove_outputs(gone, out)
            self.state.forget_outputs(folder, gone)
        return unchanged, removed


class Rendered(Mapping[str, bytes]):
    """The outputs of one render, by file name in the order they are made: each output's bytes are
    made when asked for, and an article's pieces dropped once every output holding it was made or
    skipped (so asking in order keeps only the articles still to come in memory)."""

    def __init__(self, outputs: list[Any], memos: dict[str, str | None], config: Config, html: HtmlCache) -> None:
        from ..feeds import Parts

        self.outputs = {output.filename: output for output in outputs}
        self.memos = memos  # what each output is made of, as one digest (None: not from known files)
        self.config = config
        self.html = html
        self.parts = Parts(config, html, kept=_Entries(html, config))
        self.remaining: dict[int, int] = {}  # id(article) -> outputs not yet made or skipped that hold it
        self.done: set[str] = set()
        self.made: list[str] = []  # the outputs whose bytes were asked for, in order
        for output in outputs:
            for article in output.entries:
                self.remaining[id(article)] = self.remaining.get(id(article), 0) + 1

    def __getitem__(self, name: str) -> bytes:
        from ..feeds import render_output

        if self.html.store is None:
            data = render_output(self.outputs[name], self.config, self.parts)
        else:
            with self.html.store.transaction():  # the entries it keeps: one commit, not one a row
                data = render_output(self.outputs[name], self.config, self.parts)
        self.made.append(name)
        self.skip(name)
        return data

    def skip(self, name: str) -> None:
        """``name`` will not be asked for (again): its articles' pieces may go once no other output needs them."""
        if name in self.done:
            return
        self.done.add(name)
        for article in self.outputs[name].entries:
            self.remaining[id(article)] -= 1
            if self.remaining[id(article)] == 0:
                self.parts.release(article)
                self.html.release(article)

    def __iter__(self) -> Iterator[str]:
        return iter(self.outputs)

    def __len__(self) -> int:
        return len(self.outputs)


class _Entries:
    """Each article's entries (feeds/parts.py KEPT) in the state store, under the key of its HTML
    (every setting, its file's SHA-256) and its cover file's size (an enclosure's length)."""

    def __init__(self, html: HtmlCache, config: Config) -> None:
        self.html = html
        self.config = config
        self.keys: dict[str, tuple[str, str] | None] = {}  # by Article.key: one stat of the cover a build
        self.made: set[str] = set()  # the articles (Article.key) whose entries were made, not found kept

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


def _memo_key(output: Any, settings: str, shas: dict[str, str], config: Config) -> str | None:
    """What an output is made of, as one digest: None when an entry does not come from a known file.

    An output is decided by its key (spec, dates, the feeds a page lists ...) and its entries'
    files, under the same settings.
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
            parts.append(str(file_stat(cover)[0]) if cover is not None else "-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _still(path: Path, known: tuple[str, int, int, str | None]) -> bool:
    """The file holds what was recorded: the same size and mtime, or else the same SHA-256."""
    sha, size, mtime_ns, _ = known
    if file_stat(path) == (size, mtime_ns):
        return True
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha
    except OSError:
        return False
