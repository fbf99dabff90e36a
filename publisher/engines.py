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
import re
import threading
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pyromark
from lxml import html as lxml_html

from .errors import ConfigError

Convert = Callable[[str], str]
Factory = Callable[[tuple[str, ...]], Convert]

DEFAULT_ENGINE = "gfm"
# Python-Markdown's extensions when [markdown] extensions is not set (what publisher always used).
PYTHON_MARKDOWN_EXTENSIONS: tuple[str, ...] = ("tables", "fenced_code", "footnotes", "attr_list", "sane_lists")

_ENGINES: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make ``[markdown] engine = name`` mean ``factory(extensions)``."""
    _ENGINES[name] = factory
    engine.cache_clear()


def engine_names() -> tuple[str, ...]:
    return tuple(_ENGINES)


@functools.cache
def engine(name: str = DEFAULT_ENGINE, extensions: tuple[str, ...] = PYTHON_MARKDOWN_EXTENSIONS) -> Convert:
    """The ``text -> HTML`` function of an engine; a ConfigError names the setting at fault."""
    try:
        factory = _ENGINES[name]
    except KeyError:
        raise ConfigError(
            f"[markdown] engine: {name!r} is not a Markdown engine (choices: {', '.join(_ENGINES)})"
        ) from None
    return factory(tuple(extensions))


# -- gfm: pulldown-cmark through pyromark -------------------------------------------------------

# GitHub's set: tables, ~~strikethrough~~, task lists, footnotes, and (ENABLE_GFM) its
# > [!NOTE] alerts. Not smart punctuation or heading attributes: GitHub and remark-gfm have neither.
_GFM_OPTIONS = (pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH
                | pyromark.Options.ENABLE_TASKLISTS | pyromark.Options.ENABLE_FOOTNOTES
                | pyromark.Options.ENABLE_GFM)
# pulldown-cmark's task-list checkboxes. Feed readers and mail clients drop form controls (and so
# does the sanitiser), which would leave "done" and "todo" items alike: a ballot box says it in text.
_TASKS = (('<input disabled="" type="checkbox" checked=""/>\n', "☑ "), ('<input disabled="" type="checkbox"/>\n', "☐ "))


def _gfm(extensions: tuple[str, ...]) -> Convert:
    def convert(text: str) -> str:
        html = pyromark.html(text, options=_GFM_OPTIONS)
        if '<input disabled="" type="checkbox"' in html:
            for box, glyph in _TASKS:
                html = html.replace(box, glyph)
        return autolink(html)

    return convert


# GFM's extended autolinks (spec section 6.9): www., http:// and https:// addresses and e-mail
# addresses in text become links. They must start a line or follow whitespace or one of *_~(.
_AUTOLINK = re.compile(
    r"(?:^|(?<=[\s*_~(]))(?P<url>(?:https?://|www\.)[^\s<]+)"
    r"|(?<![A-Za-z0-9.+_-])(?P<email>(?:mailto:|xmpp:)?[A-Za-z0-9.+_-]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)"
)
# Cheap test before parsing: where an address could start. A plain alternation of literals is
# what the re module scans fastest (a look-behind or a leading character class makes it 5-10 times
# slower); what precedes each hit is checked in Python.
_NEEDLES = re.compile(r"https?://|www\.|@")
_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9]")
_NOT_LINKED = frozenset({"a", "code", "pre", "script", "style", "textarea", "kbd", "samp"})
_DOMAIN_END = re.compile(r"[/?#]")
_ENTITY_END = re.compile(r"&[A-Za-z0-9]+;$")
# What cmark-gfm leaves unescaped in an href (houdini's table); the rest is percent-encoded.
_HREF_SAFE = "!#$%&'()*+,-./:;=?@_~"


def autolink(html: str) -> str:
    """Turn the bare addresses in the text of ``html`` into links, as GitHub does.

    Text inside links, code and preformatted blocks is left alone. Most articles have no bare
    address, and they are returned as they are without being parsed.
    """
    if not _maybe_bare_address(html):
        return html
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    changed = False
    for element in list(tree.iter()):
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        linkable = not any(a.tag in _NOT_LINKED for a in element.iterancestors()) and element.tag not in _NOT_LINKED
        if linkable and element.text and _linkify_text(element, element.text, at_start=True):
            changed = True
        parent = element.getparent()
        parent_linkable = parent is not None and parent.tag not in _NOT_LINKED and not any(
            a.tag in _NOT_LINKED for a in parent.iterancestors())
        if parent_linkable and element.tail and _linkify_text(element, element.tail, at_start=False):
            changed = True
    if not changed:
        return html
    return (tree.text or "") + "".join(lxml_html.tostring(child, encoding="unicode") for child in tree)


def _maybe_bare_address(html: str) -> bool:
    """False when no address in ``html`` can be a bare one (only attribute values, "://" in hrefs)."""
    if "@" not in html and "www." not in html:
        # The common case, counted in C: every "://" is the start of a quoted attribute value.
        quoted = sum(html.count(f"{quote}{scheme}") for quote in "\"'" for scheme in ("http://", "https://"))
        if html.count("://") == quoted:
            return False
    for hit in _NEEDLES.finditer(html):
        start = hit.start()
        before = html[start - 1] if start else " "
        if hit.group() == "@":
            if before.isalnum() and _EMAIL_DOMAIN.match(html, start + 1):
                return True
        elif before not in "\"'=/":
            return True
    return False


def _linkify_text(element: lxml_html.HtmlElement, text: str, *, at_start: bool) -> bool:
    """Split ``text`` (the element's text, or its tail) into text and <a> elements, in place."""
    pieces = list(_links(text))
    if len(pieces) == 1 and isinstance(pieces[0], str):
        return False
    first, rest = (pieces[0], pieces[1:]) if isinstance(pieces[0], str) else ("", pieces)
    anchors: list[lxml_html.HtmlElement] = []
    for piece in rest:
        if isinstance(piece, str):
            anchors[-1].tail = piece
        else:
            anchors.append(piece)
    if at_start:
        element.text = first
        for index, anchor in enumerate(anchors):
            element.insert(index, anchor)
    else:
        element.tail = first
        parent = element.getparent()
        position = parent.index(element)
        for offset, anchor in enumerate(anchors, start=1):
            parent.insert(position + offset, anchor)
    return True


def _links(text: str) -> Iterator[str | lxml_html.HtmlElement]:
    end = 0
    for match in _AUTOLINK.finditer(text):
        found = _url(match.group("url")) if match.group("url") else _email(match.group("email"))
        if found is None:
            continue
        shown, href = found
        start = match.start()
        if start > end:
            yield text[end:start]
        anchor = lxml_html.Element("a", href=href)
        anchor.text = shown
        yield anchor
        end = start + len(shown)
    if end < len(text):
        yield text[end:]


def _url(candidate: str) -> tuple[str, str] | None:
    shown = _trim(candidate)
    scheme = "" if shown.startswith("www.") else shown[: shown.index("//") + 2]
    domain = _DOMAIN_END.split(shown[len(scheme):], maxsplit=1)[0].rpartition("@")[2]  # after user:password@
    segments = domain.split(".")
    if not domain or not re.fullmatch(r"[\w.:-]+", domain) or "_" in "".join(segments[-2:]):
        return None
    if not scheme and len(segments) < 2:
        return None
    return shown, quote(shown if scheme else "http://" + shown, safe=_HREF_SAFE)


def _email(candidate: str) -> tuple[str, str] | None:
    shown = candidate.rstrip(".")
    # cmark-gfm, GitHub's own, also wants a letter last: "acorn@5.2.1" is a package, not an address.
    if not (shown[-1].isascii() and shown[-1].isalpha()) or "." not in shown.split("@", 1)[1]:
        return None
    return shown, (shown if shown.startswith(("mailto:", "xmpp:")) else "mailto:" + shown)


def _trim(url: str) -> str:
    """Drop what GFM leaves out of an autolink: trailing punctuation, an unbalanced ")", an entity."""
    while url:
        last = url[-1]
        if last in "?!.,:*_~'\"":
            url = url[:-1]
        elif last == ";" and (entity := _ENTITY_END.search(url)):
            url = url[: entity.start()]
        elif last == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    return url


# -- python-markdown ------------------------------------------------------------------------------


def _python_markdown(extensions: tuple[str, ...]) -> Convert:
    import markdown  # imported only by the sites that use it: it takes ~50 ms with its extensions

    try:
        markdown.Markdown(extensions=list(extensions))
    except Exception as exc:  # Python-Markdown raises whatever the extension's import raised
        raise ConfigError(
            f"[markdown] extensions: {list(extensions)!r} could not be loaded by Python-Markdown "
            f"({type(exc).__name__}: {exc})"
        ) from None
    local = threading.local()

    def convert(text: str) -> str:
        # One converter per thread: it keeps state (footnotes, references) between documents,
        # so it is reset before each one.
        md = getattr(local, "md", None)
        if md is None:
            md = local.md = markdown.Markdown(extensions=list(extensions), output_format="html")
        return md.reset().convert(text)

    return convert


register(DEFAULT_ENGINE, _gfm)
register("python-markdown", _python_markdown)
