"""Markdown engines by name: each turns Markdown text (raw HTML allowed) into unsanitised HTML.

``gfm`` (the default) is CommonMark with GitHub's extensions, what Astro, Hugo, Jekyll, Eleventy
and GitHub render: pulldown-cmark (through pyromark) for the document, plus GFM's bare-URL
autolinks, which pulldown-cmark lacks. ``python-markdown`` is Python-Markdown with an extension
list, for sites written for it. benchmarks/README.md says why pyromark, with the figures.

A new engine is one function registered here: ``register("name", factory)``, where
``factory(extensions)`` returns the ``text -> HTML`` function. Everything after (image sizes,
sanitising, absolute URLs) is the same for every engine (render.py).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from ..config.articles import DEFAULT_ENGINE, ENGINE_NAMES, PYTHON_MARKDOWN_EXTENSIONS
from .autolink import autolink

Convert = Callable[[str], str]
Factory = Callable[[tuple[str, ...]], Convert]

_ENGINES: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make ``[markdown] engine = name`` mean ``factory(extensions)`` (the setting then takes the name)."""
    _ENGINES[name] = factory
    if name not in ENGINE_NAMES:
        ENGINE_NAMES.append(name)
    engine.cache_clear()


@functools.cache
def engine(name: str = DEFAULT_ENGINE, extensions: tuple[str, ...] = PYTHON_MARKDOWN_EXTENSIONS) -> Convert:
    """The ``text -> HTML`` function of an engine ([markdown] checked the name and extensions: a KeyError
    here is a name no Config would take)."""
    return _ENGINES[name](tuple(extensions))


# -- gfm: pulldown-cmark through pyromark -------------------------------------------------------

# pulldown-cmark's task-list checkboxes. Feed readers and mail clients drop form controls (and so
# does the sanitiser), which would leave "done" and "todo" items alike: a ballot box says it in text.
_TASKS = (('<input disabled="" type="checkbox" checked=""/>\n', "☑ "), ('<input disabled="" type="checkbox"/>\n', "☐ "))


@functools.cache
def gfm_options() -> Any:
    """GitHub's set: tables, ~~strikethrough~~, task lists, footnotes, and (ENABLE_GFM) its
    > [!NOTE] alerts. Not smart punctuation or heading attributes: GitHub and remark-gfm have neither.
    (pyromark is imported when Markdown is rendered, not with this module: a host's pages come as HTML.)"""
    import pyromark

    return (
        pyromark.Options.ENABLE_TABLES
        | pyromark.Options.ENABLE_STRIKETHROUGH
        | pyromark.Options.ENABLE_TASKLISTS
        | pyromark.Options.ENABLE_FOOTNOTES
        | pyromark.Options.ENABLE_GFM
    )


def _gfm(extensions: tuple[str, ...]) -> Convert:
    import pyromark

    options = gfm_options()

    def convert(text: str) -> str:
        try:
            html = pyromark.html(text, options=options)
        except UnicodeEncodeError:  # a lone surrogate (a body built in code): Rust takes only UTF-8
            # Dropped, as text.xml_safe drops it from everything else that reaches a feed.
            text = text.encode("utf-8", "surrogatepass").decode("utf-8", "ignore")
            html = pyromark.html(text, options=options)
        if '<input disabled="" type="checkbox"' in html:
            for box, glyph in _TASKS:
                html = html.replace(box, glyph)
        return autolink(html)

    return convert


# -- python-markdown ------------------------------------------------------------------------------


def _python_markdown(extensions: tuple[str, ...]) -> Convert:
    import markdown  # imported only by the sites that use it: it takes ~50 ms with its extensions

    local = threading.local()

    def convert(text: str) -> str:
        # One converter per thread: it keeps state (footnotes, references) between documents,
        # so it is reset before each one.
        md = getattr(local, "md", None)
        if md is None:
            md = local.md = markdown.Markdown(extensions=list(extensions), output_format="html")
        html: str = md.reset().convert(text)
        return html

    return convert


register(DEFAULT_ENGINE, _gfm)
register("python-markdown", _python_markdown)
