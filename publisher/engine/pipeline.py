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

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..content import listing, outside_link
from ..errors import ConfigError, ContentError, PublisherError
from ..model import Article
from ..output import remove_stale_temporaries
from ..select import is_scheduled, select
from ..text import counted
from .damage import StateDamaged
from .fingerprint import Fingerprint, listing_digest, settings_key
from .records import error_from_record
from .state import StateStore, open_state, output_key

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
    config.existing_content_folder()
    with open_state(config, lock_timeout=lock_timeout) as store:
        remove_stale_temporaries(config.output_folder)
        written: list[str] = []  # by every attempt: a file the damaged one wrote is new all the same
        try:
            result = _build(config, store, now, strict, written)
        except StateDamaged as damage:
            # Damage the public stages find they recover from themselves (engine/store.py); this is for
            # what the build reads and writes besides them: the nothing-changed check, the tables'
            # check, the problems it lists, the fingerprint and the commit of its one transaction.
            store.start_afresh(damage)
            result = _build(config, store, now, strict, written)
        result = _replace(result, written=tuple(written), unchanged=tuple(sorted(set(result.unchanged) - set(written))))
    if ping and result.written:
        from ..feeds.websub import ping_hubs

        out = config.output_folder
        feeds = {name: (out / name).read_bytes() for name in result.written if (out / name).is_file()}
        result = _replace(result, pings=tuple(ping_hubs(feeds, result.written, timeout=ping_timeout)))
    return result


def _replace(result: BuildResult, **changes: Any) -> BuildResult:
    from dataclasses import replace

    return replace(result, **changes)


def _build(config: Config, store: StateStore, now: datetime, strict: bool, written: list[str]) -> BuildResult:
    files, outside = listing(config.content_folder, config)
    # With the content folder: another one's files may have the same names, sizes and mtimes (a copy made by cp -p).
    inputs = f"{listing_digest(files, outside)} {config.content_folder.resolve()}"
    fingerprint = Fingerprint(settings_key(config), inputs)
    folder = output_key(config)
    recorded = Fingerprint.read(store, config)
    if recorded is not None and recorded.unchanged(fingerprint, store, config, now):
        errors = _recorded_errors(store, config, outside)
        if strict and any(e.is_problem for e in errors):
            raise next(e for e in errors if e.is_problem)
        names = tuple(sorted(store.outputs(folder)))
        return BuildResult(
            str(config.output_folder),
            unchanged=names,
            errors=tuple(errors),
            articles=recorded.articles,
            published=recorded.published,
            nothing_changed=True,
        )

    from .store import Store

    store.check()  # the tables read below, whole: damage found now costs no half-done work
    stages = Store.on(store)
    # The public stages with the store (load_articles, select, render_feeds, write_feeds), as one
    # transaction. Problems are said once it is committed: a build that finds the state database
    # damaged part-way starts again (see build), and says each of them once all the same.
    with store.transaction():
        loaded = stages.load(files, outside, config, root=config.content_folder)
        fresh = list(loaded.fresh_errors)
        problems = [e for e in loaded.errors if e.is_problem]  # files that are not articles are only counted
        if strict and problems:
            raise problems[0]
        if not loaded.articles and problems:
            # Every file failed: a wrong [fields] mapping or encoding, not a few bad articles. Writing
            # would replace the live feeds with empty ones. Nothing is committed, so each file is named
            # now and again on the next run, until one loads.
            for exc in problems:
                log.warning("skipped %s", exc)
            raise PublisherError(
                f"none of the {len(problems)} articles could be loaded; nothing written "
                "(check [fields] and the messages above)"
            )
        published = select(loaded.articles, now=now)
        errors = list(loaded.errors)
        feeds = stages.render(published, config, strict=strict)
        if stages.unrenderable:  # left out of every output, and recorded as the file's problem until it changes
            dropped = {id(failure.article) for failure in stages.unrenderable}
            published = [a for a in published if id(a) not in dropped]
            errors += [failure.error for failure in stages.unrenderable]
            fresh += [failure.error for failure in stages.unrenderable]
        unchanged, removed = stages.write(feeds, config.output_folder, written)
        fingerprint.articles = len(loaded.articles)
        fingerprint.published = len(published)
        fingerprint.window = _window(loaded.articles, published, now)
        fingerprint.statics = _statics(published, config)
        fingerprint.write(store, config)
    for exc in fresh:
        log.warning("skipped %s", exc)
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


def _window(articles: list[Article], published: list[Article], now: datetime) -> list[datetime | None]:
    """[newest published, next scheduled]: the nothing-changed path is not trusted outside it."""
    later = [a.published for a in articles if is_scheduled(a, now)]
    return [published[0].published if published else None, min(later) if later else None]


def _statics(published: Iterable[Article], config: Config) -> list[str]:
    from ..feeds.enclosure import cover_file

    covers = {str(p) for a in published if a.cover_image and (p := cover_file(a, config))}
    return sorted(covers)


def _recorded_errors(store: StateStore, config: Config, outside: list[str]) -> list[ContentError]:
    """Every file's recorded problem (as the load gave it), and the links out of the content folder."""
    root = str(config.content_folder)
    errors = []
    for rel, record in store.recorded_errors():
        try:
            errors.append(error_from_record(rel if root == "." else f"{root.rstrip('/')}/{rel}", json.loads(record)))
        except ValueError:
            continue
    return errors + [outside_link(path) for path in outside]


def _log_summary(errors: list[ContentError], published: int) -> None:
    from collections import Counter

    reasons = Counter(e.reason for e in errors)
    grouped = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    log.warning("%s published, %d skipped (%s)", counted(published, "article"), len(errors), grouped)
