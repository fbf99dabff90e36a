"""The build cache: what the last build read and wrote, so that the next one redoes only what changed.

It is one file in the output folder, ``.publisher-cache`` (JSON Lines, replaced atomically like
every output), and only ever an optimisation: delete it and the next build is a full one with the
same output. Three cases:

1. Nothing changed: same settings (the Config, the template folders, publisher's own code and
   the libraries that shape the output), same listing of the content folder (path, size and
   mtime of every file), the same local cover files, every output still as the last run wrote
   it, and ``now`` still between the newest published article and the next scheduled one. The
   run reads the cache's first line, repeats the last run's reports, and stops: nothing is
   parsed, rendered or written.
2. Some files changed: an unchanged file (same size and mtime, or else the same SHA-256 of its
   bytes) gives back its recorded article, or its recorded error, without being parsed; HTML the
   last run rendered from the same body, URL and allow-list is reused. Only what changed is
   parsed and only what is not in the cache is rendered; write_feeds leaves identical files alone.
3. Anything wrong with the cache (missing, corrupt, truncated, from another format or other
   settings, a folder, unreadable): it is ignored, the build is a full one and writes a new cache.

The output folder is usually served, so the cache holds only what the feeds publish anyway:
published articles' fields and HTML, and load errors. Drafts, articles scheduled for later and
files read with the fallback encoding are not recorded; they are parsed on every run that parses.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .content import SourceFile, read_body, read_bytes, scan
from .errors import ContentError, OutputError
from .model import Article, Config, DeferredBody
from .output import write_atomic
from .templates import template_dirs

log = logging.getLogger("publisher")

CACHE_NAME = ".publisher-cache"
MAGIC = "publisher build cache"
FORMAT = 1
# Libraries whose upgrade can change the output; their installed files are part of the settings.
LIBRARIES = ("markdown", "nh3", "lxml", "feedgen", "ftfy", "yaml", "jinja2", "premailer")
_PACKAGE = Path(__file__).resolve().parent
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_HEADER = 16 << 20
# Files to parse from which a second process is started: at 10,000 it took a cold build from 2.5 s to
# 1.8 s (benchmarks/README.md); this threshold itself is a round guess, not measured finely.
PARALLEL_MIN = 1000


class BuildCache:
    """One build's view of the cache: open it, ask ``unchanged``, else ``load`` and later ``save``."""

    def __init__(self, config: Config, now: datetime) -> None:
        self.config = config
        self.now = now
        self.out = Path(config.output_dir)
        self.file = self.out / CACHE_NAME
        self.settings = settings_key(config)
        header = _read_header(self.file)
        self.header = header if header is not None and header.get("settings") == self.settings else None
        self._previous = header
        self.root = Path(config.content_dir)
        self.files, self.outside = scan(self.root, config.exclude or ()) if self.root.is_dir() else ([], [])
        self.inputs = _listing_digest(self.files, self.outside)
        self._lines: list[bytes] = []  # the records of the next cache, as JSON lines
        self.shas: dict[str, str] = {}  # article path -> SHA-256 of the file it was loaded from
        self._feed_memo: FeedMemo | None = None
        self.published_count = 0  # as the last build counted them (read by ``unchanged``)
        self._repeatable = True  # False when a run logged something the nothing-changed path would not repeat

    # -- case 1 -----------------------------------------------------------------------------

    def unchanged(self, strict: bool = False) -> list[ContentError] | None:
        """The last run's reports when nothing that shapes the output changed since; else None."""
        header = self.header
        if header is None or header.get("inputs") != self.inputs or not self.root.is_dir():
            return None
        try:
            errors = [ContentError(*e) for e in header["errors"]]
            if strict and errors:
                return None  # the full path raises the first of them
            low, high = header["window"]
            moment = _micros(self.now)
            if (low is not None and moment < low) or (high is not None and moment >= high):
                return None  # an article's publish time was crossed (or now went back)
            for name, size, mtime_ns in header["outputs"]:
                if _stat(self.out / name) != (size, mtime_ns):
                    return None
            for path, size, mtime_ns in header["static"]:
                if _stat(Path(path)) != (size, mtime_ns):
                    return None
            self.published_count = int(header["published"])
        except (KeyError, TypeError, ValueError):
            return None
        return errors

    def previous_outputs(self) -> list[str]:
        """The files the last build wrote (whatever its settings): this one removes those it no longer makes."""
        try:
            return [str(name) for name, _, _ in self._previous["outputs"]] if self._previous else []
        except (KeyError, TypeError, ValueError):
            return []

    # -- case 2 -----------------------------------------------------------------------------

    def load(self, *, strict: bool = False, errors: list[ContentError] | None = None) -> list[Article]:
        """Every article, as load_articles gives them, parsing only files the cache does not know."""
        from . import load  # YAML and friends: only now that something has to be read

        if not self.root.is_dir():
            raise ContentError(self.root, None, "no such content folder", reason="missing folder")
        for path in self.outside:
            load.report(ContentError(path, None, "symbolic link to a file outside the content folder; not followed",
                                     reason="link outside content"), errors, strict)
        known = self._read_records()
        unknown = [f for f in self.files if f.rel not in known or
                   (known[f.rel][0][2], known[f.rel][0][3]) != (f.size, f.mtime_ns)]
        helper = _Helper.start(unknown[len(unknown) // 2:], self.config) if len(unknown) >= PARALLEL_MIN else None
        articles = []
        for source in self.files:
            found = known.get(source.rel)
            raw = None
            parsed = helper.result(source.rel) if helper is not None and source.rel in helper.rels else None
            if parsed is not None:
                kind, digest, payload = parsed
                if kind == "e":
                    field, message, at, reason = payload
                    self._keep(["e", source.rel, source.size, source.mtime_ns, digest, payload])
                    load.report(ContentError(source.path, field, message, line=at, reason=reason), errors, strict)
                    continue
                article = _decode(payload, source.path, self.config)
                if _is_published(article, self.now):
                    self._keep(["a", source.rel, source.size, source.mtime_ns, digest, payload])
                self.shas[source.path] = digest
                articles.append(article)
                continue
            if found is not None:
                record, line = found
                if (record[2], record[3]) != (source.size, source.mtime_ns):
                    try:
                        raw = read_bytes(source.path)
                    except ContentError as exc:
                        load.report(exc, errors, strict)
                        continue
                    if hashlib.sha256(raw).hexdigest() != record[4]:
                        found = None
                    else:  # touched, not changed: the same record under the new size and mtime
                        record = [record[0], source.rel, source.size, source.mtime_ns, *record[4:]]
                        line = None
            if found is not None:
                try:
                    if record[0] == "e":
                        field, message, at, reason = record[5]
                        exc = ContentError(source.path, field, str(message), line=at, reason=str(reason))
                        self._keep(record, line)
                        load.report(exc, errors, strict)
                        continue
                    article = _decode(record[5], source.path, self.config)
                except (TypeError, ValueError, KeyError, IndexError):
                    pass  # a record that does not make an Article: parse the file instead
                else:
                    if _is_published(article, self.now):
                        self._keep(record, line)
                    self.shas[source.path] = record[4]
                    articles.append(article)
                    continue
            try:
                raw = read_bytes(source.path) if raw is None else raw
            except ContentError as exc:
                load.report(exc, errors, strict)
                continue
            digest = hashlib.sha256(raw).hexdigest()
            try:
                article, fallback = load.article_from_bytes(raw, source.path, self.config, rel=source.rel)
            except ContentError as exc:
                self._keep(["e", source.rel, source.size, source.mtime_ns, digest,
                            [exc.field, exc.message, exc.line, exc.reason]])
                load.report(exc, errors, strict)
                continue
            if fallback:
                self._repeatable = False  # its warning is logged by the parse, so parse it every run
            elif _is_published(article, self.now):
                values = _encode(article)
                if values is not None:
                    self._keep(["a", source.rel, source.size, source.mtime_ns, digest, values])
            if not fallback:
                self.shas[source.path] = digest
            articles.append(article)
        return load.one_per_url(articles, self.config, errors, strict)

    def _keep(self, record: list[Any], line: bytes | None = None) -> None:
        """Carry a record into the next cache: its line as read when unchanged, else newly written."""
        self._lines.append(line if line is not None else _dumps(record))

    def _read_section(self, which: str) -> list[bytes] | None:
        """The lines of one section ("records", right after the header line, or "html", the rest)
        when its SHA-256 matches the header's."""
        if self.header is None:
            return None
        try:
            length = int(self.header["records"])
            with open(self.file, "rb") as fh:
                fh.readline(_MAX_HEADER)
                if which == "records":
                    data = fh.read(length)
                else:
                    fh.seek(length, os.SEEK_CUR)
                    data = fh.read()
            if hashlib.sha256(data).hexdigest() != self.header[which + "_sha256"]:
                return None
        except (OSError, KeyError, TypeError, ValueError):
            return None
        return data.splitlines()

    def _read_records(self) -> dict[str, tuple[list[Any], bytes]]:
        """rel -> (record, its line), when the records section checks out; else nothing."""
        if self.header is None or self.header.get("fields") != FIELDS:
            return {}
        lines = self._read_section("records")
        if not lines:
            return {}
        records: dict[str, tuple[list[Any], bytes]] = {}
        try:
            parsed = json.loads(b"[" + b",".join(lines) + b"]")  # one call: much faster than one per line
            for record, line in zip(parsed, lines, strict=True):
                if record[0] not in ("a", "e") or len(record) != 6:
                    return {}
                records[str(record[1])] = (record, line)
        except (ValueError, KeyError, TypeError, IndexError):
            return {}
        return records

    def feed_memo(self) -> FeedMemo:
        """Whole feeds the last build wrote, for render.remembered_feed (see FeedMemo)."""
        known = self.header.get("feeds") if self.header else None
        self._feed_memo = FeedMemo(self, known if isinstance(known, dict) else {})
        return self._feed_memo

    def remembered_html(self) -> dict[str, str]:
        """HTML the last build rendered, for render.RenderMemo. Read only when asked for: the
        records are small, but with archives this is the HTML of every published article."""
        lines = self._read_section("html")
        if not lines:
            return {}
        try:
            parsed = json.loads(b"[" + b",".join(lines) + b"]")
            return {str(key): str(value) for key, value in parsed}
        except (ValueError, TypeError):
            return {}

    # -- after the outputs are written -----------------------------------------------------

    def save(self, articles: Iterable[Article], outputs: Iterable[str], html: Mapping[str, str],
             errors: Iterable[ContentError]) -> bool:
        """Record this run (after its outputs were written). Returns False if the cache could not be written."""
        from .enclosure import local_cover

        articles = list(articles)
        published = [a for a in articles if _is_published(a, self.now)]
        later = [a.published for a in articles if not a.draft and a.published > self.now]
        covers = {str(p) for a in published if a.cover_image and (p := local_cover(a.cover_image, self.config))}
        records = b"".join(line + b"\n" for line in self._lines)
        html_part = b"".join(_dumps([key, value]) + b"\n" for key, value in sorted(html.items()))
        header = {
            "cache": MAGIC,
            "format": FORMAT,
            "settings": self.settings,
            "inputs": self.inputs if self._repeatable else None,
            "window": [_micros(max(a.published for a in published)) if published else None,
                       _micros(min(later)) if later else None],
            "outputs": [[name, *_stat(self.out / name)] for name in sorted(outputs)],
            "static": [[path, *_stat(Path(path))] for path in sorted(covers)],
            "errors": [[e.path, e.field, e.message, e.line, e.reason] for e in errors],
            "published": len(published),
            "feeds": self._feed_memo.used if self._feed_memo is not None else {},
            "fields": FIELDS,
            "records": len(records),
            "records_sha256": hashlib.sha256(records).hexdigest(),
            "html_sha256": hashlib.sha256(html_part).hexdigest(),
        }
        data = _dumps(header) + b"\n" + records + html_part
        try:
            if self.file.is_symlink():  # never ours: replace the link itself, whatever it points to
                self.file.unlink()
            write_atomic(self.file, data)
        except (OutputError, OSError) as exc:
            log.warning("%s; the next run will be a full build", exc)
            return False
        return True


class FeedMemo:
    """Feeds by what they are made of, so that one new article does not regenerate ten years of archives.

    A feed's key digests its spec (file name, format, title, kind, links ...), the fallback date
    and, for each entry, the file it was loaded from and that file's SHA-256 (which, under the
    same settings, decide every field and the body), plus the size of a local cover. The bytes
    themselves are not kept: the output file the last build wrote is read back and used only if
    its SHA-256 is still the recorded one. A feed with an entry that does not come from a file is
    always rendered.
    """

    def __init__(self, cache: BuildCache, known: Mapping[str, Any]) -> None:
        self.cache = cache
        self.known = known
        self.used: dict[str, list[str]] = {}

    def feed(self, spec: Any, fallback_updated: datetime, produce: Any) -> bytes:
        key = self._key(spec, fallback_updated)
        if key is not None:
            found = self.known.get(key)
            if isinstance(found, list) and len(found) == 2 and found[0] == spec.filename:
                try:
                    data = (self.cache.out / spec.filename).read_bytes()
                except OSError:
                    data = None
                if data is not None and hashlib.sha256(data).hexdigest() == found[1]:
                    self.used[key] = found
                    return data
        data = produce()
        if key is not None:
            self.used[key] = [spec.filename, hashlib.sha256(data).hexdigest()]
        return data

    def _key(self, spec: Any, fallback_updated: datetime) -> str | None:
        from .enclosure import local_cover

        config = self.cache.config
        parts = [f"{f.name}={getattr(spec, f.name)!r}" for f in dataclasses.fields(spec) if f.name != "entries"]
        parts.append(repr(fallback_updated))
        for article in spec.entries:
            sha = self.cache.shas.get(article.path) if article.path else None
            if sha is None:
                return None
            parts.append(f"{article.path}\0{sha}")
            if config.static_dir and article.cover_image:
                cover = local_cover(article.cover_image, config)
                parts.append(str(_stat(cover)[0]) if cover is not None else "-")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class _Helper:
    """A forked process that parses the second half of the files to parse while this one does the first.

    YAML is most of a full build's time and runs in Python, so a second core halves it. Only plain
    results cross the pipe (the JSON-ready records); anything else (a file read with the fallback
    encoding, an article whose fields do not encode, a helper that died) is parsed here instead.
    """

    def __init__(self, process: Any, receiver: Any, rels: set[str]) -> None:
        self.rels = rels  # the files it parses; the others are parsed here, meanwhile
        self.process = process
        self.receiver = receiver
        self.results: dict[str, tuple[str, str, Any]] | None = None

    @classmethod
    def start(cls, sources: list[SourceFile], config: Config) -> _Helper | None:
        import multiprocessing

        if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return None
        context = multiprocessing.get_context("fork")  # inherits sources and config: nothing to pickle
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_parse_for, args=(sources, config, sender), daemon=True)
        try:
            process.start()
        except OSError:
            return None
        sender.close()
        return cls(process, receiver, {source.rel for source in sources})

    def result(self, rel: str) -> tuple[str, str, Any] | None:
        if self.results is None:
            try:
                self.results = self.receiver.recv()
            except (EOFError, OSError):
                self.results = {}
            self.receiver.close()
            self.process.join()
        return self.results.get(rel)


def _parse_for(sources: list[SourceFile], config: Config, sender: Any) -> None:
    """In the helper process: rel -> (kind, SHA-256, values or error fields) for each file it could do."""
    from .load import article_from_bytes

    log.disabled = True  # this process reports nothing; the parent reports in path order
    results: dict[str, tuple[str, str, Any]] = {}
    for source in sources:
        try:
            raw = read_bytes(source.path)
        except ContentError:
            continue
        digest = hashlib.sha256(raw).hexdigest()
        try:
            article, fallback = article_from_bytes(raw, source.path, config, rel=source.rel)
        except ContentError as exc:
            results[source.rel] = ("e", digest, [exc.field, exc.message, exc.line, exc.reason])
            continue
        values = None if fallback else _encode(article)
        if values is not None:
            results[source.rel] = ("a", digest, values)
    sender.send(results)
    sender.close()


def settings_key(config: Config) -> str:
    """A digest of everything besides the articles that shapes the output."""
    settings = {
        "format": FORMAT,
        "config": {f.name: _plain_setting(getattr(config, f.name)) for f in dataclasses.fields(config)},
        "templates": [_tree(folder) for folder in template_dirs(config)],
        "code": _tree(_PACKAGE, "*.py"),
        "libraries": {name: _library(name) for name in LIBRARIES},
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def _plain_setting(value: Any) -> Any:
    if callable(value):  # a filter passed as a function: its name, the same in every run
        from .content.filters import describe

        return describe(value)
    if isinstance(value, Mapping):
        return {str(k): _plain_setting(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain_setting(v) for v in value]
    return value


def _tree(folder: Path, pattern: str = "*") -> list[list[Any]]:
    """(relative path, size, mtime_ns) of every file below ``folder``."""
    found = []
    for path in sorted(folder.rglob(pattern)):
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            found.append([str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns])
    return [[str(folder)], *found]


def _library(name: str) -> Any:
    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return [spec.origin, *_stat(Path(spec.origin))]


def _listing_digest(files: list[SourceFile], outside: list[str]) -> str:
    listing = "\n".join(f"{f.rel}\t{f.size}\t{f.mtime_ns}" for f in files)
    return hashlib.sha256(f"{listing}\n\n{chr(10).join(outside)}".encode()).hexdigest()


def _read_header(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as fh:
            line = fh.readline(_MAX_HEADER)
        header = json.loads(line)
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict) or header.get("cache") != MAGIC or header.get("format") != FORMAT:
        return None
    return header


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _is_published(article: Article, now: datetime) -> bool:
    return not article.draft and article.published <= now


# -- articles as JSON: exact, or not at all ------------------------------------------------------

# Article fields kept in a record, in order, with how each is written: "d" a datetime (or None),
# "t" a tuple of plain values, "v" a plain JSON value (str, number, bool, None, list, dict).
FIELDS = [
    [f.name, "d" if "datetime" in str(f.type) else "t" if str(f.type).startswith("tuple") else "v"]
    for f in dataclasses.fields(Article) if f.name not in ("body", "path")
]
_NAMES = [name for name, _ in FIELDS]
_ORDER = [f.name for f in dataclasses.fields(Article)]
_BODY, _PATH = _ORDER.index("body"), _ORDER.index("path")
_DATETIMES = [i for i, (_, kind) in enumerate(FIELDS) if kind == "d"]
_TUPLES = [i for i, (_, kind) in enumerate(FIELDS) if kind == "t"]


class _Unstorable(Exception):
    pass


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _encode(article: Article) -> list[Any] | None:
    """The article's fields (not body or path) as JSON values that decode to equal values, or None."""
    values = [getattr(article, name) for name in _NAMES]
    try:
        for i, value in enumerate(values):
            if value is None:
                continue
            kind = FIELDS[i][1]
            if kind == "d":
                values[i] = _encode_datetime(value)
            elif kind == "t":
                if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                    raise _Unstorable
                values[i] = list(value)
            elif not _is_json(value) or isinstance(value, tuple):
                raise _Unstorable
    except _Unstorable:
        return None
    return values


def _encode_datetime(value: Any) -> str | list[Any]:
    if not isinstance(value, datetime):
        raise _Unstorable
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key:
        return [value.replace(tzinfo=None).isoformat(), zone.key, value.fold]
    if type(zone) is timezone:
        plain = timezone(zone.utcoffset(None))
        if zone == plain and zone.tzname(None) == plain.tzname(None):
            return value.isoformat()
    raise _Unstorable


def _is_json(value: Any) -> bool:
    """True when json round-trips it to an equal value of the same types (no tuples, non-str keys, NaN)."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


def _decode(values: list[Any], path: str, config: Config) -> Article:
    if len(values) != len(_NAMES):
        raise ValueError("record does not match the Article fields")
    values = list(values)
    for i in _DATETIMES:
        value = values[i]
        if isinstance(value, str):
            values[i] = datetime.fromisoformat(value)
        elif value is not None:
            naive, key, fold = value
            values[i] = datetime.fromisoformat(naive).replace(tzinfo=ZoneInfo(key), fold=fold)
    for i in _TUPLES:
        if values[i] is not None:
            values[i] = tuple(values[i])
    # Positional arguments, in the dataclass's field order: the cheapest way to build 10,000 of them.
    values.insert(_BODY, DeferredBody(partial(read_body, path, config)))
    values.insert(_PATH, path)
    return Article(*values)
