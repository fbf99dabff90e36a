"""The build: content folder in, output folder out, redoing only what changed since the last build.

``build(config)`` is what ``publisher build`` runs, for library callers as much as for the
command line. One build, holding the state folder's lock:

1. lists the content folder; when nothing that shapes the output changed (the same files with
   the same sizes and mtimes, the same settings, every output as it was written, no article's
   publish time crossed), it stops there: nothing is parsed, rendered or written;
2. loads the articles, parsing only new and changed files (``incremental``);
3. plans every output and streams them out one at a time: an output whose articles and settings
   are unchanged and whose file still holds what was written is left alone; any other is
   rendered, with each article's HTML made once per build (and kept in the state store for the
   next), written atomically when its bytes changed, and dropped from memory;
4. removes outputs an earlier build made and this one no longer does, and records the run in
   the state store in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..content import scan
from ..errors import ConfigError, ContentError, PublisherError
from ..guard import ArticleFailed
from ..model import Article
from ..output import remove_outputs, remove_stale_temporaries, write_inside
from ..select import is_scheduled, select
from ..text import counted
from .fingerprint import Fingerprint, file_stat, listing_digest, settings_key
from .html_store import StoredHtml
from .state import StateStore, open_state, output_key, record_render_errors, recorded_errors

if TYPE_CHECKING:
    from ..feeds.websub import Ping

log = logging.getLogger("publisher")


@dataclass(frozen=True)
class BuildResult:
    """What one build did. File names are relative to ``output_dir``."""

    output_dir: str
    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    errors: tuple[ContentError, ...] = ()  # every article that could not be loaded, reported or not
    reported: tuple[ContentError, ...] = ()  # the problems new since the last build (logged by this one)
    articles: int = 0  # loaded
    published: int = 0
    nothing_changed: bool = False  # the fast path: nothing was parsed, rendered or written
    pings: tuple[Ping, ...] = field(default=())

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(sorted(self.written + self.unchanged))

    def summary(self) -> str:
        """One line for a person: "1,042 articles, 105 feeds: 3 written, 102 unchanged, 1 skipped"."""
        parts = [f"{len(self.written):,} written", f"{len(self.unchanged):,} unchanged"]
        if self.removed:
            parts.append(f"{len(self.removed):,} removed")
        if self.errors:
            parts.append(f"{len(self.errors):,} skipped")
        return f"{counted(self.published, 'article')}, {counted(len(self.outputs), 'file')}: {', '.join(parts)}"


def build(
    config: Config,
    *,
    now: datetime | None = None,
    strict: bool = False,
    lock_timeout: float = 60.0,
    ping: bool = False,
    ping_timeout: float = 10.0,
) -> BuildResult:
    """Write every output of ``config`` into its output folder, redoing only what changed.

    Problems with single articles are logged on the ``publisher`` logger the first time they
    are seen (a cron job mails them once) and listed in ``BuildResult.errors`` on every build;
    ``strict=True`` raises the first as ContentError instead. With ``ping=True`` the WebSub hubs
    of the feeds that changed are notified after the lock is released.
    """
    now = now or datetime.now(UTC)
    # Checked before anything is read: a hub's timeout of inf or nan would fail only after the writes.
    if not (isinstance(lock_timeout, (int, float)) and math.isfinite(lock_timeout) and lock_timeout >= 0):
        raise ConfigError(f"lock_timeout: {lock_timeout!r} is not a number of seconds (0 or more)")
    if ping and not (isinstance(ping_timeout, (int, float)) and math.isfinite(ping_timeout) and ping_timeout > 0):
        raise ConfigError(f"ping_timeout: {ping_timeout!r} is not a number of seconds (more than 0)")
    content = config.content_folder
    if not content.is_dir():
        raise ConfigError(f"{content}: no such content folder (set --content, or content in the config)")
    with open_state(config, lock_timeout=lock_timeout) as store:
        remove_stale_temporaries(config.output_folder)
        result = _build(config, store, now, strict)
    if ping and result.written:
        from ..feeds.websub import ping_hubs

        out = config.output_folder
        feeds = {name: (out / name).read_bytes() for name in result.written if (out / name).is_file()}
        result = _replace(result, pings=tuple(ping_hubs(feeds, result.written, timeout=ping_timeout)))
    return result


def _replace(result: BuildResult, **changes: Any) -> BuildResult:
    from dataclasses import replace

    return replace(result, **changes)


def _build(config: Config, store: StateStore, now: datetime, strict: bool) -> BuildResult:
    files, outside = scan(config.content_folder, config.site.exclude or ())
    fingerprint = Fingerprint(settings_key(config), listing_digest(files, outside))
    folder = output_key(config)
    recorded = Fingerprint.read(store, config)
    if recorded is not None and recorded.unchanged(fingerprint, store, config, now):
        errors = recorded_errors(store, config, outside)
        if strict and any(e.is_problem for e in errors):
            raise next(e for e in errors if e.is_problem)
        names = tuple(
            name for (name,) in store.db.execute("SELECT name FROM outputs WHERE folder = ? ORDER BY name", (folder,))
        )
        return BuildResult(
            str(config.output_folder),
            unchanged=names,
            errors=tuple(errors),
            articles=recorded.articles,
            published=recorded.published,
            nothing_changed=True,
        )

    from .incremental import load_changed

    # Records of files and their HTML serve every output folder; they only need the same settings,
    # which the last build of any folder recorded.
    same_settings = store.get("settings") == fingerprint.settings
    loaded = load_changed(store if same_settings else None, files, outside, config)
    reported_outside = set(store.get("outside_reported", []))
    fresh = [e for e in loaded.fresh_errors if e.reason != "link outside content" or e.path not in reported_outside]
    problems = [e for e in loaded.errors if e.is_problem]  # files that are not articles are only counted
    if strict and problems:
        raise problems[0]
    for exc in fresh:
        log.warning("skipped %s", exc)
    if not loaded.articles and problems:
        # Every file failed: a wrong [fields] mapping or encoding, not a few bad articles. Writing
        # would replace the live feeds with empty ones.
        raise PublisherError(
            f"none of the {len(problems)} articles could be loaded; nothing written "
            "(check [fields] and the messages above)"
        )
    published = select(loaded.articles, now=now)
    errors = list(loaded.errors)

    with store.transaction():
        if not same_settings:
            store.db.execute("DELETE FROM sources")
            store.db.execute("DELETE FROM html")
        store.db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)", loaded.rows)
        store.db.executemany("DELETE FROM sources WHERE rel = ?", [(rel,) for rel in loaded.gone])
        store.db.executemany("DELETE FROM html WHERE rel = ?", [(rel,) for rel in loaded.gone])
        written, unchanged, unrenderable = _stream_outputs(
            published, config, store, loaded.shas, loaded.rels, fingerprint.settings, strict
        )
        if unrenderable:  # left out of every output, and recorded as the file's problem until it changes
            dropped = {id(failure.article) for failure in unrenderable}
            published = [a for a in published if id(a) not in dropped]
            record_render_errors(store, loaded.rels, unrenderable)
            for failure in unrenderable:
                log.warning("skipped %s", failure.error)
            errors += [failure.error for failure in unrenderable]
            fresh += [failure.error for failure in unrenderable]
        made = set(written) | set(unchanged)
        before = {name for (name,) in store.db.execute("SELECT name FROM outputs WHERE folder = ?", (folder,))}
        removed = remove_outputs(sorted(before - made), config.output_folder)
        store.db.executemany(
            "DELETE FROM outputs WHERE folder = ? AND name = ?", [(folder, name) for name in before - made]
        )
        store.put("settings", fingerprint.settings)
        store.put(
            "outside_reported", sorted(e.path for e in loaded.errors if e.reason == "link outside content" and e.path)
        )
        fingerprint.articles = len(loaded.articles)
        fingerprint.published = len(published)
        fingerprint.window = _window(loaded.articles, published, now)
        fingerprint.statics = _statics(published, config)
        fingerprint.write(store, config)
    if errors and fresh:
        _log_summary(errors, len(published))
    return BuildResult(
        str(config.output_folder),
        written=tuple(written),
        unchanged=tuple(unchanged),
        removed=tuple(removed),
        errors=tuple(errors),
        reported=tuple(fresh),
        articles=len(loaded.articles),
        published=len(published),
    )


def _stream_outputs(
    published: list[Article],
    config: Config,
    store: StateStore,
    shas: dict[str, str],
    rels: dict[str, str],
    settings: str,
    strict: bool = False,
) -> tuple[list[str], list[str], list[ArticleFailed]]:
    """Render and write the outputs one at a time; returns the names written and left unchanged, and
    the articles left out because they could not be rendered.

    First every output is keyed by what it is made of: one whose key and file are as the last
    build left them is not rendered at all. The HTML the others need and the state store does not
    hold is rendered next (on both cores when there is much of it), each article within its time
    budget (guard.py); an article that fails is left out and the outputs planned again without it
    (``strict``: its ContentError is raised), before anything is written. Then the outputs are made
    one by one, each article's pieces dropped as soon as no later output needs them.
    """
    from ..feeds import Parts, plan_outputs, render_output
    from .prerender import prerender

    folder = output_key(config)
    previous = {
        name: (sha, size, mtime_ns, memo)
        for name, sha, size, mtime_ns, memo in store.db.execute(
            "SELECT name, sha256, size, mtime_ns, memo FROM outputs WHERE folder = ?", (folder,)
        )
    }
    out = config.output_folder
    html = StoredHtml(config, store, shas, rels, settings)
    unrenderable: list[ArticleFailed] = []
    while True:
        outputs = plan_outputs(published, config)
        todo: list[tuple[Any, str | None, bool]] = []  # (output, memo key, reuse the file as it is)
        for output in outputs:
            memo = _memo_key(output, settings, shas, config)
            known = previous.get(output.filename)
            reuse = memo is not None and known is not None and known[3] == memo and _still(out / output.filename, known)
            todo.append((output, memo, reuse))
        needed = {id(a): a for output, _, reuse in todo if not reuse for a in output.entries}
        failed = prerender([a for a in needed.values() if not html.stored(a)], html, store)
        if not failed:
            break
        if strict:
            raise failed[0].error
        unrenderable += failed
        dropped = {id(failure.article) for failure in failed}
        published = [a for a in published if id(a) not in dropped]  # and plan again: others may move up
    parts = Parts(config, html)
    remaining: dict[int, int] = {}  # id(article) -> outputs still to render that hold it
    for output, _, reuse in todo:
        if not reuse:
            for article in output.entries:
                remaining[id(article)] = remaining.get(id(article), 0) + 1
    written: list[str] = []
    unchanged: list[str] = []
    for output, memo, reuse in todo:
        if reuse:
            unchanged.append(output.filename)
            continue
        data = render_output(output, config, parts)
        changed = write_inside(out, output.filename, data)
        (written if changed else unchanged).append(output.filename)
        size, mtime_ns = file_stat(out / output.filename)
        store.db.execute(
            "INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)",
            (folder, output.filename, hashlib.sha256(data).hexdigest(), size, mtime_ns, memo),
        )
        del data
        for article in output.entries:
            remaining[id(article)] -= 1
            if remaining[id(article)] == 0:
                parts.release(article)
                html.release(article)
    return written, unchanged, unrenderable


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


def _still(path: Path, known: tuple[str, int, int, str]) -> bool:
    """The file holds what was recorded: the same size and mtime, or else the same SHA-256."""
    sha, size, mtime_ns, _ = known
    if file_stat(path) == (size, mtime_ns):
        return True
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha
    except OSError:
        return False


def _window(articles: list[Article], published: list[Article], now: datetime) -> list[datetime | None]:
    """[newest published, next scheduled]: the nothing-changed path is not trusted outside it."""
    later = [a.published for a in articles if is_scheduled(a, now)]
    return [published[0].published if published else None, min(later) if later else None]


def _statics(published: Iterable[Article], config: Config) -> list[str]:
    from ..feeds.enclosure import cover_file

    covers = {str(p) for a in published if a.cover_image and (p := cover_file(a, config))}
    return sorted(covers)


def _log_summary(errors: list[ContentError], published: int) -> None:
    from collections import Counter

    reasons = Counter(e.reason for e in errors)
    grouped = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    log.warning("%s published, %d skipped (%s)", counted(published, "article"), len(errors), grouped)
