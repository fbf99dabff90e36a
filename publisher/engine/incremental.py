"""Loading what changed: the content folder against the ``sources`` table of the state store.

An unchanged file (same size and mtime, or else the same SHA-256 of its bytes) gives back its
recorded article or its recorded error without being parsed; only new and changed files are
parsed, the second half of them in a forked process when there are many (YAML is most of a cold
build's time, and the machine usually has a second core). Everything found is returned with the
rows to write, so that the caller records it in the same transaction as the outputs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..content import SourceFile, outside_link, read_bytes
from ..errors import ContentError
from ..model import Article
from .records import decode, dumps, encode, error_from_record, error_record
from .state import StateStore

if TYPE_CHECKING:
    from .forked import Forked

log = logging.getLogger("publisher")

# Files to parse from which a second process is started: at 10,000 it took a cold build from 2.5 s
# to 1.8 s (benchmarks/README.md); below about a thousand the fork costs more than it saves.
PARALLEL_MIN = 1000


@dataclass
class Loaded:
    """What the content folder holds now, and what to record of it."""

    articles: list[Article] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)  # every current problem, in path order
    fresh_errors: list[ContentError] = field(default_factory=list)  # not reported by an earlier run
    # Problems recorded with no file (one that cannot be read, two files with one address): fresh on every load.
    again: list[ContentError] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # sources rows to insert or replace
    gone: list[str] = field(default_factory=list)  # rels recorded before and no longer present
    snapshot: str | None = None  # the key of the listing they were loaded from (engine/snapshot.py)
    index: dict[int, int] | None = None  # id() of each of ``articles`` -> its place, once asked for (Store.render)
    oldest: list[int] | None = None  # the places of the articles but drafts, oldest first (``select`` reversed)
    urls: dict[int, str] = field(default_factory=dict)  # id() of an article -> its URL, as the load made them
    url_text: str | None = None  # a snapshot's: every article's URL, one a line, split when a load needs them
    # ``shas`` and ``rels`` as a snapshot gives them: made when first asked for (a render that plans)
    later: Callable[[], tuple[dict[str, str], dict[str, str]]] | None = None
    _shas: dict[str, str] = field(default_factory=dict)
    _rels: dict[str, str] = field(default_factory=dict)

    @property
    def shas(self) -> dict[str, str]:
        """article path -> SHA-256 of its file"""
        self._made()
        return self._shas

    @property
    def rels(self) -> dict[str, str]:
        """article path -> its path under the content folder"""
        self._made()
        return self._rels

    def _made(self) -> None:
        if self.later is not None:
            self._shas, self._rels = self.later()
            self.later = None


def load_changed(
    store: StateStore | None,
    files: list[SourceFile],
    outside: list[str],
    config: Config,
    prior: dict[str, Article] | None = None,
    prior_urls: dict[int, str] | None = None,
    verify: bool = False,
) -> Loaded:
    """Every article and load error of ``files``, parsing only what ``store`` does not know.

    ``prior``: the articles of the last load by their files' paths under the content folder (its
    snapshot), taken as they are for the files unchanged since, instead of their records decoded;
    ``prior_urls``: their URLs by id(), not made again to find two articles with one address.
    ``verify``: the records are of another content folder's files, whose sizes and mtimes prove nothing
    here (a copy made with ``cp -p``): each file's SHA-256 decides."""
    from ..content import load  # YAML and friends: only now that something may have to be read

    known = _known(store, decode=not prior)
    if verify:
        known = {rel: (-1, -1, *row[2:]) for rel, row in known.items()}
    loaded = Loaded()
    for path in outside:
        _error(loaded, outside_link(path), fresh=True)
    unknown = [f for f in files if f.rel not in known or known[f.rel][:2] != (f.size, f.mtime_ns)]
    helper = _start_helper(unknown[len(unknown) // 2 :], config) if len(unknown) >= PARALLEL_MIN else None
    try:
        _load_each(loaded, files, known, helper, config, load.article_from_bytes, prior or {})
    finally:
        if helper is not None:
            helper.forked.stop()
    loaded.gone = sorted(known)
    duplicates: list[ContentError] = []
    loaded.urls = dict(prior_urls or {})
    loaded.articles = load.one_per_url(loaded.articles, config, duplicates, strict=False, quiet=True, urls=loaded.urls)
    for duplicate in duplicates:  # depends on two files, so it is not recorded with either: reported every run
        _error(loaded, duplicate, fresh=True, again=True)
    return loaded


def _load_each(
    loaded: Loaded,
    files: list[SourceFile],
    known: dict[str, tuple[Any, ...]],
    helper: _Helper | None,
    config: Config,
    parse: Any,
    prior: dict[str, Article],
) -> None:
    """Add each file's article or error to ``loaded``: as the last load gave it, as recorded, as the helper
    parsed it, or parsed here."""
    for source in files:
        row = known.pop(source.rel, None)
        got = helper.result(source.rel) if helper is not None and source.rel in helper.rels else None
        raw = None
        if got is None and row is not None:
            if row[:2] != (source.size, source.mtime_ns):
                try:
                    raw = read_bytes(source.path)
                except ContentError as exc:
                    _error(loaded, exc, fresh=True, again=True)
                    continue
                if hashlib.sha256(raw).hexdigest() != row[2]:
                    row = None
                else:  # touched, not changed: the same record under the new size and mtime
                    row = (source.size, source.mtime_ns, *row[2:])
                    sha, kind, record, reported = row[2:]
                    text = record if isinstance(record, str) else dumps(record).decode()
                    loaded.rows.append((source.rel, source.size, source.mtime_ns, sha, kind, text, reported))
            before = prior.get(source.rel) if row is not None and row[3] == "article" else None
            if row is not None and before is not None and before.path == source.path:  # the snapshot: from these rows
                _article(loaded, before, source, row[2])
                continue
            if row is not None and _take(loaded, source, row, config):
                continue
        if got is None:
            try:
                raw = read_bytes(source.path) if raw is None else raw
            except ContentError as exc:
                _error(loaded, exc, fresh=True, again=True)
                continue
            kind, digest, payload, article = _parse(raw, source, config, parse)
            if article is not None:  # parsed here: the object itself, not its record decoded again
                _article(loaded, article, source, digest)
            elif kind == "error":
                _error(loaded, error_from_record(source.path, payload), fresh=True)
            if payload is None:
                continue  # fields JSON cannot hold exactly: parsed again on every run
        else:
            kind, digest, payload = got
            if not _take(loaded, source, (source.size, source.mtime_ns, digest, kind, payload, 0), config):
                continue
        # Errors are reported when first seen, so they are recorded as reported.
        loaded.rows.append((source.rel, source.size, source.mtime_ns, digest, kind, dumps(payload).decode(), 1))


def _known(store: StateStore | None, *, decode: bool = True) -> dict[str, tuple[Any, ...]]:
    """rel -> (size, mtime_ns, sha256, kind, record, reported) as recorded; each record as its JSON text
    unless ``decode`` (most of them will be: the text of those that will not is never decoded)."""
    if store is None:
        return {}
    rows = store.sources()
    if not decode:
        return {
            rel: (size, mtime, sha, kind, record, reported) for rel, size, mtime, sha, kind, record, reported in rows
        }
    try:  # one call for every record: several times faster than one json.loads per row
        records = json.loads("[" + ",".join(row[5] for row in rows) + "]")
    except ValueError:
        return {}  # a record that is not JSON: parse every file again
    return {
        rel: (size, mtime, sha, kind, record, reported)
        for (rel, size, mtime, sha, kind, _, reported), record in zip(rows, records, strict=True)
    }


def _take(loaded: Loaded, source: SourceFile, row: tuple[Any, ...], config: Config) -> bool:
    """Add the article or error a sources row describes; False when the row cannot be used."""
    _, _, digest, kind, record, reported = row
    try:
        values = json.loads(record) if isinstance(record, str) else record
        if kind == "error":
            _error(loaded, error_from_record(source.path, values), fresh=not reported)
            return True
        if values is None:
            return False
        article = decode(values, source.path, config)
    except (TypeError, ValueError, KeyError, IndexError):
        return False  # a record that does not make an Article: parse the file instead
    _article(loaded, article, source, digest)
    return True


def _article(loaded: Loaded, article: Article, source: SourceFile, digest: str) -> None:
    loaded.articles.append(article)
    loaded.shas[source.path] = digest
    loaded.rels[source.path] = source.rel


def _error(loaded: Loaded, exc: ContentError, *, fresh: bool, again: bool = False) -> None:
    loaded.errors.append(exc)
    if fresh and exc.is_problem:  # a file that is not an article is counted, never reported
        loaded.fresh_errors.append(exc)
    if again:
        loaded.again.append(exc)


def _parse(raw: bytes, source: SourceFile, config: Config, parse: Any) -> tuple[str, str, Any, Article | None]:
    """(kind, SHA-256, record, article) of one file's bytes: the article's fields, or the error's."""
    digest = hashlib.sha256(raw).hexdigest()
    try:
        article, _ = parse(raw, source.path, config, rel=source.rel)
    except ContentError as exc:
        return "error", digest, error_record(exc), None
    return "article", digest, encode(article), article


def _start_helper(sources: list[SourceFile], config: Config) -> _Helper | None:
    """A forked process (forked.py) parsing ``sources`` while this one parses the rest."""
    from .forked import Forked, put  # pickle and signal: not for a load that parses little

    forked = Forked.start(lambda out: put(out, _parse_all(sources, config)), config.site.state_dir or None)
    return None if forked is None else _Helper(forked, {source.rel for source in sources})


class _Helper:
    """The forked parse's results: only plain values cross (the JSON-ready records); anything it
    could not do (a file it could not read, a helper that died) is parsed here instead."""

    def __init__(self, forked: Forked, rels: set[str]) -> None:
        self.forked = forked
        self.rels = rels
        self.results: dict[str, tuple[str, str, Any]] | None = None

    def result(self, rel: str) -> tuple[str, str, Any] | None:
        if self.results is None:
            self.results = next(self.forked.results(), {})
        return self.results.get(rel)


def _parse_all(sources: list[SourceFile], config: Config) -> dict[str, tuple[str, str, Any]]:
    """In the helper process: rel -> (kind, SHA-256, record) for each file it could read."""
    from ..content.load import article_from_bytes

    results: dict[str, tuple[str, str, Any]] = {}
    for source in sources:
        try:
            raw = read_bytes(source.path)  # never a FIFO or a device, never more than READ_CEILING
        except ContentError:
            continue
        kind, digest, payload, _ = _parse(raw, source, config, article_from_bytes)
        if payload is not None:  # an article whose fields JSON cannot hold is parsed by the parent
            results[source.rel] = (kind, digest, payload)
    return results
