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

Damage to the database found by any of them (``StateDamaged``: engine/damage.py) moves it aside
with one warning, records in the fresh one what the last load or take found (its files parsed
again, as a full build parses them), and does the stage again against it: the caller gets what a
first call gives, never the error. ``build`` and the plugins recover through these stages.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from operator import attrgetter, is_
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from ..config import Config
from ..content import OUTSIDE, SourceFile, listing
from ..guard import ArticleFailed
from ..markup.cache import HtmlCache
from ..model import Article
from ..output import remove_outputs, write_inside
from ..select import select
from . import snapshot
from .damage import StateDamaged
from .fingerprint import file_stat, fingerprint_key, settings_key
from .incremental import Loaded, load_changed
from .rendered import Rendered, memo_key, still
from .snapshot import snapshot_key
from .state import StateStore, open_folder

_EVERY_FIELD = attrgetter(*(f.name for f in dataclasses.fields(Article)))
P = ParamSpec("P")
R = TypeVar("R")


def _recovering(stage: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """A stage that finds the database damaged moves it aside and runs again against the fresh one."""

    @functools.wraps(stage)
    def run(store: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return stage(store, *args, **kwargs)
        except StateDamaged as damage:
            store._afresh(damage)
        return stage(store, *args, **kwargs)

    return run


class Store:
    """The state database of ``folder`` (created on first use), its lock held until ``close``. A stage
    that finds it damaged moves it aside (one warning) and goes on as a first call would."""

    def __init__(self, folder: str | Path, *, lock_timeout: float = 60.0) -> None:
        self._opened: AbstractContextManager[StateStore] | None = open_folder(Path(folder), lock_timeout=lock_timeout)
        self._start(self._opened.__enter__())

    @classmethod
    def on(cls, state: StateStore) -> Store:
        """A Store over a database already open (the build's)."""
        store = cls.__new__(cls)
        store._opened = None
        store._start(state)
        return store

    def _start(self, state: StateStore) -> None:
        self.state = state
        self.loaded = Loaded()  # what the last load found: each article's file digest and path
        self.unrenderable: list[ArticleFailed] = []  # the articles the last render left out
        self.selected: tuple[list[Article], int] | None = None  # the last ``select`` from the load's order
        self.config: Config | None = None  # the Config of the last load or take, which its settings are of
        self.made: list[str] = []  # the outputs the last write made (the others: as written, or as kept)
        self.entries_made: list[str] = []  # the articles (Article.key) whose entries it made
        # Records the last load or take in a fresh database; given the store when called, as a reference to it
        # would make a cycle that only the garbage collector frees (8 ms at exit for 10,000 articles).
        self._again: Callable[[Store], None] | None = None

    def close(self) -> None:
        if self._opened is not None:
            self._opened.__exit__(None, None, None)
            self._opened = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @_recovering
    def load(
        self, files: list[SourceFile], outside: list[str], config: Config, *, root: str | Path | None = None
    ) -> Loaded:
        """Every article and problem of ``files``, parsing only what the store does not know, recorded.

        With the content folder they were listed from (``root``) a listing the last load saw as it
        is now gives back that load's articles from one snapshot (engine/snapshot.py)."""
        settings = settings_key(config)
        self.selected, self.config, self._again = None, config, None
        # Records of files and their HTML serve every output folder; they need the same settings.
        same = self.state.get("settings") == settings
        key = snapshot_key(settings, root, files, outside) if root is not None else None
        kept = self.state.snapshot(key) if same and key is not None else None
        other = self.state.snapshot(None) if same and key is not None and not kept else None  # another listing's
        # The folder listed again, not this listing kept alive (2 MB of peak memory at 10,000 files).
        relist = functools.partial(listing, root, config) if root else lambda: (files, outside)
        again = functools.partial(Store._load_again, listing=relist, config=config, root=root)
        if kept:
            try:
                self.loaded = snapshot.decode(kept, config)
                self.loaded.snapshot, self._again = key, again
                return self.loaded
            except ValueError:
                kept = None  # made again below
        prior, urls = snapshot.prior(other, config)
        # The records are by path under the content folder: those of another folder are checked by digest.
        folder = str(Path(root).resolve()) if root is not None else None
        moved = same and folder is not None and self.state.get("content_root") != folder
        loaded = load_changed(self.state if same else None, files, outside, config, prior, urls, verify=moved)
        reported = set(self.state.get("outside_reported", []))  # links out are not files: not recorded
        loaded.fresh_errors = [e for e in loaded.fresh_errors if e.reason != OUTSIDE or e.path not in reported]
        outside_now = sorted(e.path for e in loaded.errors if e.reason == OUTSIDE and e.path)
        changed = loaded.rows or loaded.gone or not same or moved or outside_now != sorted(reported)
        if changed or (key is not None and kept is None):  # a commit costs ~10 ms
            with self.state.transaction():
                if changed:
                    self.state.update_sources(loaded.rows, loaded.gone, forget_all=not same)
                    self.state.put("settings", settings)
                    self.state.put("outside_reported", outside_now)
                    if folder is not None:
                        self.state.put("content_root", folder)
                if key is not None:
                    self.state.store_snapshot(key, snapshot.encode(loaded, config))
        loaded.snapshot = key
        self.loaded, self._again = loaded, again
        return loaded

    def _load_again(
        self, listing: Callable[[], tuple[list[SourceFile], list[str]]], config: Config, root: str | Path | None
    ) -> None:
        """That load once more, into a fresh database; the caller's articles are kept as it gave them."""
        kept = self.loaded, self.selected
        self.load(*listing(), config, root=root)
        self.loaded, self.selected = kept

    def _afresh(self, damage: StateDamaged) -> None:
        """Move the damaged database aside (one warning) and record in the fresh one what the last load or
        take found: the stage that found the damage runs again as after it, and the next call is warm."""
        self.state.start_afresh(damage)
        if self._again is not None:
            self._again(self)

    @_recovering
    def take(self, articles: Iterable[Article], config: Config) -> None:
        """Articles a host made (``Article(url=, html=)`` from its pages, no file of ours), as ``load``
        leaves files: each known by its URL and a digest of every field, its HTML included, so that
        render keeps its HTML and pieces and write skips the outputs it is not in, until the page
        changes (the MkDocs and Pelican plugins: publisher/integrations/). An article without a file
        path is kept in memory only, as the HTML cache keeps those."""
        settings = settings_key(config)
        self.config, self._again = config, None
        self._take_settings(settings)
        loaded = Loaded()
        for article in articles:
            if article.path is None:
                continue  # kept in memory only, as the HTML cache keeps articles without a file
            loaded.articles.append(article)
            fields = repr(_EVERY_FIELD(article))  # one C call for every field: 13 ms for 1,000 pages, not 16
            loaded.shas[article.path] = hashlib.sha256(fields.encode("utf-8", "surrogatepass")).hexdigest()
            loaded.rels[article.path] = article.url or article.path
        self.loaded, self._again = loaded, functools.partial(Store._take_settings, settings=settings)

    def _take_settings(self, settings: str) -> None:
        if self.state.get("settings") != settings:
            with self.state.transaction():
                self.state.put("settings", settings)

    def select(self, articles: Iterable[Article], now: datetime | None) -> list[Article]:
        """``select(articles, now=now)``; for the very articles of the last load, from their order kept
        with them (the published are the oldest up to ``now``, newest first: a bisection, not a sort)."""
        loaded = self.loaded
        if (
            loaded.oldest is None
            or now is None
            or now.tzinfo is None
            or not isinstance(articles, list)
            or len(articles) != len(loaded.articles)
            or not all(map(is_, articles, loaded.articles))
        ):
            self.selected = None
            return select(articles, now=now)
        oldest = list(map(articles.__getitem__, loaded.oldest))
        cut = bisect_right(oldest, now, key=attrgetter("published"))
        published = oldest[:cut][::-1]
        self.selected = published, cut
        return published

    @_recovering
    def render(self, published: list[Article], config: Config, *, strict: bool = False) -> Rendered:
        """The outputs of ``published`` (newest first) with each article's HTML made once and stored.

        The HTML the outputs need and the store does not hold is rendered first, each article within
        its time budget (guard.py); one that fails is left out (``unrenderable``, recorded as its
        file's problem) and the outputs planned again without it (``strict``: its error is raised).
        When ``published`` are articles of the last load and were rendered so before (the same files,
        settings and cover sizes), what each output is made of is known: nothing is planned until an
        output has to be made.
        """
        settings = self.state.get("settings", "")
        self.unrenderable = []
        again = functools.partial(self._render_again, published, config, strict)
        other = settings if config is self.config else settings_key(config)
        if other != settings:
            # Another Config than the articles were loaded with (another title, other feeds): what the store
            # holds was made under the load's, so it answers for nothing here; each output is made and compared.
            outputs, html = self._plan(published, config, strict, other)
            return Rendered(dict.fromkeys((o.filename for o in outputs), None), lambda: (outputs, html), again)
        key = self._published_key(published, settings)
        # What the outputs of the snapshot's articles were made of (engine/state.py drops it with them).
        recorded = self.state.get("rendered") if key is not None else None
        known = recorded["made"] if isinstance(recorded, dict) and recorded.get("key") == key else None
        if known is not None and all(file_stat(Path(path))[0] == size for path, size in known["covers"]):
            memos = dict(zip(known["names"], known["memos"], strict=True))
            return Rendered(memos, lambda: self._plan(published, config, strict), again)
        outputs, html = self._plan(published, config, strict)
        covers: dict[str, int] = {}
        memos = {o.filename: memo_key(o, settings, html.shas, config, covers) for o in outputs}
        if key is not None and not self.unrenderable:
            made = {"names": list(memos), "memos": list(memos.values()), "covers": sorted(covers.items())}
            with self.state.transaction():
                self.state.put("rendered", {"key": key, "made": made})
        return Rendered(memos, lambda: (outputs, html), again)

    def _render_again(
        self, published: list[Article], config: Config, strict: bool, damage: StateDamaged | None
    ) -> Rendered:
        """That render once more, after ``damage`` moved the database aside (None: moved already)."""
        if damage is not None:
            self._afresh(damage)
        return self.render(published, config, strict=strict)

    def _plan(
        self, published: list[Article], config: Config, strict: bool, other: str | None = None
    ) -> tuple[list[Any], HtmlCache]:
        """The outputs of ``published`` and the HTML they need, rendered first (see ``render``); under
        ``other`` settings than the load's, with none of the articles known."""
        from ..feeds import plan_outputs
        from .prerender import prerender

        known = self._known(published) if other is None else ({}, {})
        html = HtmlCache(config, self.state, *known, other or self.state.get("settings", ""))
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
        return outputs, html

    def _known(self, published: list[Article]) -> tuple[dict[str, str], dict[str, str]]:
        """The file digests and store places of those of ``published`` that are the very articles the last
        load or take gave. One its caller changed (``dataclasses.replace(article, title=...)``) keeps its
        file's path but not what the file made, so its HTML, entries and outputs are made afresh."""
        loaded = self.loaded
        if loaded.index is None:
            loaded.index = dict(zip(map(id, loaded.articles), range(len(loaded.articles)), strict=True))
        index, shas, rels = loaded.index, loaded.shas, loaded.rels
        known = [a.path for a in published if a.path in shas and id(a) in index]
        return {path: shas[path] for path in known}, {path: rels[path] for path in known}

    def _published_key(self, published: list[Article], settings: str) -> str | None:
        """What the outputs of ``published`` are made of besides their covers, as one digest: None unless
        each is an article the last load gave (the same object), known by its place in that load."""
        loaded = self.loaded
        if loaded.snapshot is None:
            return None
        if self.selected is not None and self.selected[0] is published:  # by ``select``: known by where it cut
            return hashlib.sha256(f"{settings}\n{loaded.snapshot}\n{self.selected[1]}".encode()).hexdigest()
        if loaded.index is None:
            loaded.index = dict(zip(map(id, loaded.articles), range(len(loaded.articles)), strict=True))
        places = list(map(loaded.index.get, map(id, published)))
        if None in places:
            return None
        made_of = f"{settings}\n{loaded.snapshot}\n".encode() + array("q", cast(list[int], places)).tobytes()
        return hashlib.sha256(made_of).hexdigest()

    def write(self, feeds: Mapping[str, bytes], out: str | Path, written: list[str]) -> tuple[list[str], list[str]]:
        """Write ``feeds`` into ``out``, adding the names rewritten to ``written``; returns the names
        left unchanged and those removed (recorded in ``out`` by an earlier call, no longer made).

        Damage found on the way (here, or by ``feeds`` making an output) moves the database aside, and
        every output is written again against the fresh one, ``feeds`` planned again: each is made and
        compared, so a file written before the damage was found ends as a cold call writes it."""
        removed: list[str] = []
        try:
            return self._write(feeds, out, written, removed), removed
        except StateDamaged as damage:
            self._afresh(damage)
        if isinstance(feeds, Rendered):
            feeds.replan(None)
        unchanged = self._write(feeds, out, written, removed)
        return [name for name in unchanged if name not in written], removed

    def _write(self, feeds: Mapping[str, bytes], out: str | Path, written: list[str], removed: list[str]) -> list[str]:
        folder = str(Path(out).resolve())
        previous = self.state.outputs(folder)
        unchanged: list[str] = []
        changed = False  # a file of ``out`` written anew or removed
        with self.state.transaction():
            for name in list(feeds):
                memo = feeds.memos.get(name) if isinstance(feeds, Rendered) else None
                known = previous.get(name)
                same = memo is not None and known is not None and known[3] == memo
                # The file as last written (only asked where it decides something: a memo to compare or keep).
                present = memo is not None and known is not None and still(Path(out) / name, known)
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
                if data is None:  # made here: StateDamaged reaches write, not Rendered's own recovery
                    data = feeds.make(name) if isinstance(feeds, Rendered) else feeds[name]
                if not write_inside(out, name, data):
                    unchanged.append(name)
                else:
                    changed = True
                    if name not in written:
                        written.append(name)
                size, mtime_ns = file_stat(Path(out) / name)
                sha = known[0] if kept and known else hashlib.sha256(data).hexdigest()
                # Its bytes are kept only where the folder lost a file it was given (MkDocs empties its site
                # folder before each build): from then on it is written from them. Not on a first write nor
                # for a file that was there (publisher build's folder): keeping every output of a cold
                # 10,000-article build cost 0.5 s and 30 MB more (peak 152 MB against 120).
                keep = memo is not None and not kept and known is not None and not present
                self.state.record_output(folder, name, sha, size, mtime_ns, memo, data if keep else None)
                del data
            if isinstance(feeds, Rendered):
                self.made = list(feeds.made)
                self.entries_made = sorted(feeds.planned.parts.kept.made) if feeds.planned is not None else []
            gone = sorted(set(previous) - set(feeds))
            gone_now = remove_outputs(gone, out)
            removed += gone_now
            self.state.forget_outputs(folder, gone)
            if changed or gone_now:
                # The folder no longer holds what the last build wrote (a library caller with another ``now`` or
                # Config wrote it): that build's nothing-changed check must not vouch for it. A build writes
                # its fingerprint again after this.
                self.state.put(fingerprint_key(folder), None)
        return unchanged
