"""One load's articles as one blob: how a load that finds the content listing unchanged hands back
10,000 Articles in about 30 ms instead of 10,000 records decoded and checked one by one (0.2 s).

The blob is marshal data: plain values only (marshal makes no object of ours and runs nothing), each
article its instance dictionary with the dates as ISO 8601 text and the body left to be read from
its file, as a loaded article's always is. An article that holds anything else (a YAML date in
``extra``, a body given as something else) makes no snapshot: the load then goes the long way.

It is kept in the state store under a key that covers all the articles are made from: the listing
(each file's path, size and mtime, the links out), every setting with publisher's code and the
libraries (``settings_key``), the content folder as given and as resolved, and this Python. The
store drops it whenever it records a file (engine/state.py), so it never outlives its rows either.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import marshal
import sys
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..config import Config
from ..content import SourceFile, read_body
from ..content.permalinks import article_url
from ..errors import ContentError
from ..model import Article, DeferredBody, FileBody
from ..select import newest_first
from .fingerprint import listing_digest
from .incremental import Loaded
from .records import Unstorable, decode_datetime, encode_datetime

FORMAT = 2
NONE = b""  # stored under a listing whose articles cannot be kept: the long way, without trying again
_PLACEHOLDER = "0001-01-01T00:00:00+00:00"  # the date of an article whose date is in ``dates``
_SHARED = {"category", "author", "authors", "author_urls"}  # immutable, and the same in many articles
_PUT_BACK = {"_body", "published", "updated"}
# Article fields whose default the class holds: an article with that very value need not (10,000 dictionaries
# of 14 items instead of 22 here: half the memory, read in two thirds of the time).
_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(Article) if f.default is None or f.default is False or f.default == ()
}


def snapshot_key(settings: str, root: str | Path, files: list[SourceFile], outside: list[str]) -> str:
    """What the articles of ``files`` are made from, as one digest."""
    made_of = [str(FORMAT), sys.version, settings, str(root), str(Path(root).resolve())]
    return hashlib.sha256("\0".join([*made_of, listing_digest(files, outside)]).encode()).hexdigest()


def encode(loaded: Loaded, config: Config) -> bytes:
    """``loaded`` as one blob; NONE when an article holds what the blob cannot give back equal.

    Each article is its instance dictionary without the dates and the body (``decode`` puts them back
    a column at a time) and without the fields that hold their class's default (None, False, an empty
    tuple: the class attribute answers for them, as it does for any dataclass field); text and
    tuples that many articles share (a category, tags, an author) are written once.
    """
    rows, published, bodies, shas, rels = [], [], [], [], []
    dates: list[tuple[int, str, Any]] = []  # (index, field, value) of the dates not in plain offsets
    shared: dict[Any, Any] = {}
    plain: dict[Any, bool] = {}  # tzinfo -> whether ISO 8601 gives its dates back (a fixed offset)
    read: dict[int, bool] = {}  # id(body) -> whether it reads the article's file (one FileBody for many)
    try:
        for i, article in enumerate(loaded.articles):
            state = article.__dict__
            body = state["_body"]
            if isinstance(body, str):
                bodies.append((i, body))
            elif isinstance(body, FileBody):
                if id(body) not in read:
                    read[id(body)] = _reads_its_file(body, article, config)
                if not read[id(body)]:
                    return NONE
            elif not isinstance(body, DeferredBody) or not _reads_its_file(body, article, config):
                return NONE
            zone = article.published.tzinfo
            if plain.get(zone) is None:
                plain[zone] = isinstance(encode_datetime(article.published), str)
            published.append(article.published.isoformat() if plain[zone] else _PLACEHOLDER)
            if not plain[zone]:  # in a zone of the tz database: put back after the others
                dates.append((i, "published", encode_datetime(article.published)))
            if article.updated is not None:
                dates.append((i, "updated", encode_datetime(article.updated)))
            if isinstance(body, FileBody):  # from a snapshot: its dictionary holds only what one keeps
                fields = state.copy()
                del fields["_body"], fields["published"]
                fields.pop("updated", None)
            else:
                fields = {
                    name: shared.setdefault(value, value) if name in _SHARED else value
                    for name, value in state.items()
                    if name not in _PUT_BACK and _DEFAULTS.get(name, _PUT_BACK) is not value
                }
                if "tags" in fields:
                    fields["tags"] = shared.setdefault(
                        article.tags, tuple(shared.setdefault(t, t) for t in article.tags)
                    )
            rows.append(fields)
            shas.append(bytes.fromhex(loaded.shas[article.path or ""]))
            rels.append(loaded.rels[article.path or ""])
        again = {id(e) for e in loaded.again}
        errors = [(e.path, e.field, e.message, e.line, e.reason, id(e) in again) for e in loaded.errors]
        files = None if rels == [a.file for a in loaded.articles] else rels  # as a rule, rels are the articles' files
        folder = _folder(loaded.articles)
        if folder is not None:  # each path is the folder and the file: made again by decode
            for fields in rows:
                fields.pop("path", None)
        urls = [loaded.urls.get(id(a)) or article_url(a, config) for a in loaded.articles]
        url_text = "\n".join(urls) if not any("\n" in url for url in urls) else None  # split by a later load
        places = {id(article): i for i, article in enumerate(loaded.articles)}
        oldest = [places[id(a)] for a in reversed(newest_first([a for a in loaded.articles if not a.draft]))]
        made = (FORMAT, rows, published, dates, bodies, b"".join(shas), files, errors, oldest, folder, url_text)
        return marshal.dumps(made)
    except (Unstorable, ValueError, KeyError, TypeError):  # marshal refuses all but plain types, subclasses too
        return NONE


def decode(data: bytes, config: Config) -> Loaded:
    """The Loaded that ``encode`` made ``data`` of, with nothing to record; ValueError when it is not one."""
    enabled = gc.isenabled()
    gc.disable()  # 10,000 articles' objects at once: collections would cost more than the decoding
    try:
        return _decode(data, config)
    except (EOFError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"not a snapshot ({exc})") from None
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                # The articles live as long as the caller keeps them; the next young collection would
                # examine every one (12 ms at 10,000). They go to the oldest generation now, where two
                # collections would have put them, unexamined. Not when the caller froze objects of
                # its own (a server before it forks): unfreeze would thaw those.
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def prior(kept: bytes | None, config: Config) -> tuple[dict[str, Article], dict[int, str]]:
    """The articles of the snapshot another listing left (the last load's) by path under the content
    folder, and their URLs by id(): those of files unchanged since are taken as they are (0.03 s for
    10,000, against 0.13 s for their records decoded and 0.04 s for their URLs made again)."""
    if not kept:
        return {}, {}
    try:
        before = decode(kept, config)
    except ValueError:
        return {}, {}
    rels, text = before.rels, before.url_text
    urls = dict(zip(map(id, before.articles), text.split("\n"), strict=True)) if text is not None else {}
    return {rels[article.path or ""]: article for article in before.articles}, urls


def _decode(data: bytes, config: Config) -> Loaded:
    version, rows, published, dates, bodies, shas, files, errors, oldest, folder, url_text = marshal.loads(data)
    if version != FORMAT:
        raise ValueError(f"snapshot format {version!r}")
    # A column at a time, each a map over C functions: no Python code runs per article.
    count, put = len(rows), dict.__setitem__
    body = FileBody(partial(read_body, config=config))  # one for all: 10,000 objects fewer to make and to collect
    _consume(map(put, rows, repeat("published"), map(datetime.fromisoformat, published)))
    _consume(map(put, rows, repeat("_body"), repeat(body, count)))
    if folder is not None:
        _consume(map(put, rows, repeat("path"), map(folder.__add__, map(itemgetter("file"), rows))))
    for i, text in bodies:
        rows[i]["_body"] = text
    for i, name, when in dates:
        rows[i][name] = decode_datetime(when)
    articles = list(map(object.__new__, repeat(Article, count)))
    _consume(map(object.__setattr__, articles, repeat("__dict__"), rows))  # as Article made them: checked then

    def later() -> tuple[dict[str, str], dict[str, str]]:
        paths = [article.path or "" for article in articles]
        digests = [shas[i : i + 32].hex() for i in range(0, len(shas), 32)]
        rels = files if files is not None else [article.file for article in articles]
        return dict(zip(paths, digests, strict=True)), dict(zip(paths, rels, strict=True))

    loaded = Loaded(articles=articles, later=later, oldest=oldest, url_text=url_text)
    for path, field, message, line, reason, again in errors:
        error = ContentError(path, field, message, line=line, reason=reason)
        loaded.errors.append(error)
        if again:
            loaded.again.append(error)
            if error.is_problem:
                loaded.fresh_errors.append(error)
    return loaded


def _folder(articles: list[Article]) -> str | None:
    """What each article's path is its file under the content folder after, when that is one text for all."""
    if not articles or not articles[0].path or not articles[0].file or not articles[0].path.endswith(articles[0].file):
        return None
    folder = articles[0].path[: -len(articles[0].file)]
    return folder if all(a.file is not None and a.path == folder + a.file for a in articles) else None


def _consume(calls: Iterator[Any]) -> None:
    deque(calls, maxlen=0)


def _reads_its_file(body: DeferredBody | FileBody, article: Article, config: Config) -> bool:
    """Whether ``body`` is read from the article's own file under ``config``, as a load makes it."""
    read: Any = body.read
    if not isinstance(read, partial) or read.func is not read_body:
        return False
    if isinstance(body, FileBody):
        return read.args == () and len(read.keywords) == 1 and read.keywords.get("config") is config
    return not read.keywords and len(read.args) == 2 and str(read.args[0]) == article.path and read.args[1] is config
