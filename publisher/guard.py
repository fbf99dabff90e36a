"""One article never stops a run: every step done for one article runs inside a boundary that turns
whatever goes wrong into a ContentError naming the file, and within a time budget.

The engine calls, per article and step::

    guarded(article.path, "rendering", render_html, article, config, budget=render_budget(len(body)))

which returns what the step returns or raises ContentError: the step's own ContentError as it is,
a step over its budget as "too slow", a RecursionError as "nested too deeply", and anything else as
a publisher bug that names the file that caused it. ``report`` then logs it and skips the article
(or raises it under --strict). Inside a render that holds many articles (a feed, a digest),
``article_step`` raises ArticleFailed instead, and ``without_failures`` runs the render again
without that article.

The budget is CPU time of the thread doing the step (wall-clock time where the platform cannot
tell), so a busy machine does not make a real article "too slow". When it runs out, RenderTimeout
is raised inside that thread between two Python instructions; it derives from BaseException so
that no ``except Exception`` in a library swallows it.
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import NOT_AN_ARTICLE, ContentError

if TYPE_CHECKING:
    from .config import Config
    from .model import Article

log = logging.getLogger("publisher")
T = TypeVar("T")

# Measured in CPU time (benchmarks/render_budget.py; figures in benchmarks/README.md): with
# sanitising, Python-Markdown renders the 1,043 Node.js blog posts at most at 1.9 µs per byte (the
# 851 KB post in 0.84 s) and none under 20 KB in over 0.04 s; gfm (the default) at most at 0.31 µs
# per byte. The budget is 1 s plus 6 s per MB: 6.1 s for that post, 13.6 s for a 2 MB article.
# Pathological Markdown ('[' * 50000: over 120 s in Python-Markdown) is stopped after 1.3 s. Native
# code is not interrupted (the exception waits for the next Python instruction): what is slow there,
# HTML nested very deep in the sanitiser, is refused before it runs (render.check_depth).
RENDER_SECONDS = 1.0
RENDER_SECONDS_PER_MB = 6.0
TRACED_FACTOR = 20
_POLL = 0.05  # how often the watchdog looks at the clocks of the steps it watches
# Bodies (by step and SHA-256) that ran out of their budget in this process: a preview reloading, or a
# digest trying again without another article, does not spend the budget on them twice.
_TOO_SLOW: dict[str, str] = {}
_MESSAGE_LIMIT = 300


class RenderTimeout(BaseException):
    """Raised inside a step that used up its time budget (see time_budget)."""


class ArticleFailed(Exception):
    """A step for ``article`` failed inside a render of many articles; ``error`` says why."""

    def __init__(self, article: Article, error: ContentError) -> None:
        super().__init__(str(error))
        self.article = article
        self.error = error


def render_budget(size: int) -> float:
    """Seconds of CPU time rendering a body of ``size`` bytes may take."""
    return RENDER_SECONDS + RENDER_SECONDS_PER_MB * size / 1_000_000


def guarded(
    path: str | None, step: str, fn: Callable[..., T], *args: Any, budget: float | None = None, **kwargs: Any
) -> T:
    """``fn(*args, **kwargs)``, with every failure as a ContentError naming ``path`` and ``step``.

    With ``budget``, the step may use that many seconds of CPU time. KeyboardInterrupt and
    SystemExit pass through.
    """
    try:
        if budget is None:
            return fn(*args, **kwargs)
        with time_budget(budget):
            return fn(*args, **kwargs)
    except ContentError as exc:
        if exc.path is None and path is not None:  # raised where the file is not known: name it here
            raise ContentError(path, exc.field, exc.message, exc.line, exc.reason) from None
        raise
    except RenderTimeout:
        raise ContentError(
            path,
            None,
            f"{step} took more than its {budget:.1f} s, which no real article comes near (pathological Markdown?)",
            reason="too slow",
        ) from None
    except RecursionError:
        raise ContentError(path, None, f"{step}: nested too deeply to process", reason="nested too deeply") from None
    except MemoryError:
        raise ContentError(path, None, f"{step}: ran out of memory", reason="too large") from None
    except Exception as exc:  # noqa: BLE001 - the boundary: anything else is our bug, reported with its file
        text = str(exc)
        if len(text) > _MESSAGE_LIMIT:
            text = text[:_MESSAGE_LIMIT] + "…"
        raise ContentError(
            path,
            None,
            f"{step} failed ({type(exc).__name__}: {text}); this is a bug in publisher, "
            "not in the file: please report it with this file",
            reason="publisher bug",
        ) from exc


def report(exc: ContentError, errors: list[ContentError] | None, strict: bool, *, quiet: bool = False) -> None:
    """A file that was skipped: raised under ``strict``, else logged (unless ``quiet``) and collected.
    A file that is not an article is only collected (counted in summaries): it is not a problem to fix."""
    if exc.reason == NOT_AN_ARTICLE:
        log.debug("not read %s", exc)
    elif strict:
        raise exc
    elif not quiet:
        log.warning("skipped %s", exc)
    if errors is not None:
        errors.append(exc)


def article_step(
    article: Article, step: str, fn: Callable[..., T], *args: Any, budget: float | None = None, **kwargs: Any
) -> T:
    """guarded() for one article inside a larger render: raises ArticleFailed, which without_failures handles."""
    path = article.path if article.path is not None else f"<article {article.slug!r}>"
    try:
        return guarded(path, step, fn, *args, budget=budget, **kwargs)
    except ContentError as exc:
        raise ArticleFailed(article, exc) from None


def without_failures(
    articles: list[Article],
    produce: Callable[[list[Article]], T],
    errors: list[ContentError] | None = None,
    strict: bool = False,
) -> T:
    """``produce(articles)``; when a step for one of them fails (ArticleFailed), that article is reported
    (see ``report``) and ``produce`` runs again without it. Each round drops one, so it ends."""
    kept = list(articles)
    while True:
        try:
            return produce(kept)
        except ArticleFailed as failure:
            index = next((i for i, a in enumerate(kept) if a is failure.article), None)
            if index is None:  # not one of these articles: going round again would not help
                raise failure.error from None
            report(failure.error, errors, strict)
            del kept[index]


def article_render(article: Article, step: str, fn: Callable[..., T], *args: Any, renders: int = 1, **kwargs: Any) -> T:
    """``fn(article, *args, **kwargs)`` for one article inside a larger render, within the article's
    time budget (``renders`` times it, for a step that renders the body more than once); ArticleFailed
    if it fails. The body is read once, here, and handed to ``fn`` as text."""
    if article.html is None:
        body = article_step(article, "reading the body", lambda: article.body)
        source, loaded = body, dataclasses.replace(article, body=body)
    else:  # given HTML is what the step works on; the body is not read (a copy of the article: 12 µs)
        source, loaded = article.html, article
    key = hashlib.sha256(f"{step}\0{source}".encode("utf-8", "surrogatepass")).hexdigest()
    slow = _TOO_SLOW.get(key)
    if slow is not None:  # this very body ran out of its budget before, in this process: not again
        raise ArticleFailed(article, ContentError(article.path, None, slow, reason="too slow"))
    try:
        return article_step(article, step, fn, loaded, *args, budget=renders * render_budget(len(source)), **kwargs)
    except ArticleFailed as failure:
        if failure.error.reason == "too slow":
            if len(_TOO_SLOW) >= 1000:
                _TOO_SLOW.clear()
            _TOO_SLOW[key] = failure.error.message
        raise


def rendered_html(article: Article, config: Config) -> str:
    """The article's sanitised HTML (render.render_html), as article_render runs it.

    A host's HTML (``Article(html=...)``) with no [site] html_filters is only sanitised: nh3 is
    native code, linear in the HTML once check_depth refused what nests too deep, and a budget
    could not interrupt it anyway, so it runs outside one and guarded() alone names its failures.
    Waking the budget's watchdog thread for each of MkDocs' 1,000 pages cost 0.1 s of CPU."""
    from .markup.html import render_html

    if article.html is not None and not config.site.html_filters:
        return article_step(article, "rendering", render_html, article, config)
    return article_render(article, "rendering", render_html, config)


# -- the time budget ----------------------------------------------------------------------------


class time_budget:  # noqa: N801 - used as a context manager, like contextlib's
    """``with time_budget(seconds):`` raises RenderTimeout in this thread once the block has used that much
    CPU time. Blocks may nest; each costs a dictionary entry, not a thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._watch: _Watch | None = None

    def __enter__(self) -> time_budget:
        # A thread under a Python-level tracer (a debugger, coverage without its C tracer, hypothesis
        # explaining a failure) runs many times slower: it gets TRACED_FACTOR times the budget.
        seconds = self.seconds * (TRACED_FACTOR if sys.gettrace() is not None else 1)
        self._watch = _WATCHDOG.watch(seconds)
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        fired = _WATCHDOG.release(self._watch) if self._watch is not None else False
        if fired and kind is None:  # it ran out just as the block ended: the exception was withdrawn
            raise RenderTimeout(self.seconds)


@dataclasses.dataclass(eq=False)
class _Watch:
    thread: int
    clock: Callable[[], float]
    deadline: float
    fired: bool = False


class _Watchdog:
    """One daemon thread that looks at the clocks of the steps in progress and stops those past their deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._watches: list[_Watch] = []
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float) -> _Watch | None:
        if _raise_in is None or not math.isfinite(seconds):
            return None
        ident = threading.get_ident()
        clock = _thread_clock(ident)
        watch = _Watch(ident, clock, clock() + seconds)
        with self._lock:
            self._watches.append(watch)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="publisher-time-budget", daemon=True)
                self._thread.start()
            self._changed.notify()
        return watch

    def release(self, watch: _Watch | None) -> bool:
        """Stop watching; True when the deadline passed (and the pending RenderTimeout, if it had
        not been raised yet, is withdrawn so that it cannot surface after the block)."""
        if watch is None:
            return False
        with self._lock:
            if watch in self._watches:
                self._watches.remove(watch)
            if watch.fired and _clear_in is not None:
                _clear_in(watch.thread, None)
            return watch.fired

    def _run(self) -> None:
        with self._lock:
            while True:
                if not self._watches:
                    self._changed.wait()
                    continue
                for watch in list(self._watches):
                    try:
                        over = watch.clock() >= watch.deadline
                    except OSError:  # the thread is gone
                        over = False
                        self._watches.remove(watch)
                    if over and _raise_in is not None:
                        watch.fired = True
                        self._watches.remove(watch)
                        _raise_in(watch.thread, RenderTimeout)
                self._changed.wait(_POLL)


def _thread_clock(ident: int) -> Callable[[], float]:
    """The CPU clock of thread ``ident`` where the platform has one (Linux, BSD), else the monotonic clock."""
    try:
        clock_id = time.pthread_getcpuclockid(ident)
        time.clock_gettime(clock_id)
    except (AttributeError, OSError):
        return time.monotonic
    return lambda: time.clock_gettime(clock_id)


def _async_exc_setters() -> tuple[Callable[..., int], Callable[..., int]] | tuple[None, None]:
    # CPython's documented way to raise an exception in another thread (None elsewhere: no budget
    # then). Two prototypes of one function: one passes the exception, the other NULL, which
    # withdraws an exception not raised yet.
    try:
        raiser = ctypes.pythonapi["PyThreadState_SetAsyncExc"]
        clearer = ctypes.pythonapi["PyThreadState_SetAsyncExc"]
    except (AttributeError, ValueError):
        return None, None
    raiser.argtypes = [ctypes.c_ulong, ctypes.py_object]
    clearer.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
    return raiser, clearer


_raise_in, _clear_in = _async_exc_setters()
_WATCHDOG = _Watchdog()


def _after_fork() -> None:
    # A forked child has no watchdog thread, and the lock may have been held by it at the fork.
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
