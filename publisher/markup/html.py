"""Markdown -> safe HTML with absolute URLs and sized images; shared by feeds and e-mail (email/html.py).

Rendering is pure: (article, config) in, text out.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable

import nh3
from lxml import etree
from lxml import html as lxml_html

from .. import urls
from ..config import Config
from ..config.articles import DEFAULT_ENGINE, PYTHON_MARKDOWN_EXTENSIONS
from ..content.permalinks import article_url
from ..errors import ContentError
from ..model import Article
from ..text import xml_safe
from ..urls import URL_ATTRIBUTES, uri
from .engines import engine

log = logging.getLogger("publisher")

# Raw HTML that real articles carry (the reference article's <video>) is kept; active content
# (script, iframe, event handlers, javascript: URLs) is not. An <iframe> embed becomes a link to
# what it embedded: feed readers drop iframes and the W3C validator flags them as a security risk.
ALLOWED_TAGS = frozenset(
    nh3.ALLOWED_TAGS | {"video", "audio", "source", "track", "picture", "figure", "figcaption", "section", "main"}
)
_COMMON = {"class", "id", "title", "lang", "dir"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) | _COMMON for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": _COMMON,
    "a": {"href", "hreflang", "title", "rel"} | _COMMON,
    "img": {"src", "alt", "width", "height", "title", "srcset", "sizes", "loading"} | _COMMON,
    "video": {"src", "controls", "width", "height", "poster", "preload", "loop", "muted", "playsinline"} | _COMMON,
    "audio": {"src", "controls", "preload", "loop", "muted"} | _COMMON,
    "source": {"src", "type", "srcset", "media", "sizes"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "iframe": {"src", "width", "height", "title", "allow", "allowfullscreen", "frameborder", "loading"},
    "ol": {"start", "type", "reversed"} | _COMMON,
    "code": _COMMON,
    "pre": _COMMON,
}
# Tags nh3 itself refuses to allow (their content is code, not text).
NEVER_ALLOWED = frozenset({"script", "style"})
_IMAGE_SIZE = re.compile(r"\s*\|\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")


# Discourse's ``![alt|700x521](url)``: the size rides in the alt text, which every engine writes
# into the <img> it makes as alt="..." (a " inside escaped; raw HTML may quote with '). One search
# over the HTML finds those; an HTML parser here would cost more than the whole CommonMark step.
_SIZE = r"\|\s*\d{1,5}\s*[xX×]\s*\d{1,5}\s*"
# No "<" inside the tag: the engines escape it in attribute values, and stopping there keeps the
# search linear on hostile raw HTML (thousands of "<img " that never close).
_SIZED_IMAGE = re.compile(rf"""<img\b[^<>]*?\balt=(?:"[^"<>]*?{_SIZE}"|'[^'<>]*?{_SIZE}')[^<>]*>""")
_ALT = re.compile(r"""\balt=(?:"([^"]*)"|'([^']*)')""")


def markdown_to_html(
    body: str, engine_name: str = DEFAULT_ENGINE, extensions: tuple[str, ...] = PYTHON_MARKDOWN_EXTENSIONS
) -> str:
    """Markdown (with raw HTML) -> HTML, unsanitised, with ``|WxH`` image sizes. Most callers want render_html.

    What XML cannot carry goes first: a body built in code may hold a lone surrogate, which the
    gfm engine (Rust) cannot even be given (loaded bodies were repaired already, text.repair).
    """
    return image_sizes(engine(engine_name, tuple(extensions))(xml_safe(body)))


def image_sizes(html: str) -> str:
    """``<img alt="alt|700x521">`` -> ``<img alt="alt" width="700" height="521">``."""
    if "<img" not in html:
        return html
    return _SIZED_IMAGE.sub(_sized, html)


def _sized(match: re.Match[str]) -> str:
    tag = match.group(0)
    alt = _ALT.search(tag)
    group = 1 if alt and alt.group(1) is not None else 2
    size = _IMAGE_SIZE.search(alt.group(group)) if alt else None
    if alt is None or size is None or re.search(r"\s(?:width|height)=", tag[: alt.start()] + tag[alt.end() :]):
        return tag  # an <img> written in raw HTML with its own size keeps it
    tag = tag[: alt.start(group)] + alt.group(group)[: size.start()] + tag[alt.end(group) :]
    return f'<img width="{size.group(1)}" height="{size.group(2)}"' + tag[len("<img") :]


def sanitize(
    html: str,
    base_url: str | None = None,
    tags: Iterable[str] = ALLOWED_TAGS,
    on_drop: Callable[[str, str], None] | None = None,
) -> str:
    """Keep structure, drop active content; with base_url, every URL is made absolute (a valid URI).

    Every address follows urls.py: images, media and ``srcset`` candidates http(s) only, links also
    mailto: and tel:. Each one dropped is passed to ``on_drop(attribute, value)``. HTML nested more
    than MAX_HTML_DEPTH elements deep is refused with a ContentError (see check_depth).
    """
    check_depth(html)
    check_attributes(html)
    tags = tags if isinstance(tags, frozenset) else frozenset(tags)

    def checked(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "srcset":
            kept, dropped = urls.srcset(value, base_url)
            for address in dropped:
                _dropped(on_drop, attribute, address)
            return kept
        if attribute in URL_ATTRIBUTES:
            check = urls.link_url if attribute == "href" else urls.web_url
            url = check(value, base_url, keep_relative=True)
            if url is None:
                _dropped(on_drop, attribute, value)
                return None
            try:
                return uri(url) if base_url is not None else url
            except ValueError:  # "http://[broken": not even an address
                _dropped(on_drop, attribute, value)
                return None
        return value

    lowered = html.lower()
    if "iframe" not in tags and "<iframe" in lowered:
        html = embeds_as_links(html)
    if "<noscript" in lowered:
        html = noscript_unwrapped(html)
    previous = getattr(_current, "check", None)
    _current.check = checked
    try:
        return _cleaner(tags).clean(xml_safe(html))
    finally:
        _current.check = previous


# nh3.clean builds its whole configuration again on every call (a third of its time on an article);
# a Cleaner is built once per allow-list and reused. Its attribute filter is fixed when it is built,
# so it calls the filter of the sanitize() running on this thread, which sanitize puts here.
_current = threading.local()


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute not in _CHECKED:  # most attributes (a highlighted code block's classes): kept as they are
        return value
    check: Callable[[str, str, str], str | None] = _current.check
    return check(tag, attribute, value)


_CHECKED = URL_ATTRIBUTES | {"srcset"}  # the attributes ``checked`` looks at


@functools.lru_cache(maxsize=32)
def _cleaner(tags: frozenset[str]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(tags),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter,
        link_rel=None,
        # Schemes nh3 lets through to the filter, which applies the policy and says what it dropped;
        # any other scheme nh3 drops by itself.
        url_schemes=set(urls.LINK_SCHEMES | _REPORTED_SCHEMES),
    )


# Schemes an article should be told about when they are dropped (they are, in ``checked``).
_REPORTED_SCHEMES = frozenset({"javascript", "vbscript", "data", "file", "blob", "filesystem", "about", "ftp"})


def _dropped(on_drop: Callable[[str, str], None] | None, attribute: str, value: str) -> None:
    if on_drop is not None:
        on_drop(attribute, value)


# The sanitiser (html5ever, inside nh3) checks the stack of open elements for each tag: its time
# grows with depth times length, in native code no time budget can stop ('<ul><li>' * 20000, 160 KB:
# 2.8 s; 2 MB: minutes). Real articles nest a few dozen levels at most.
MAX_HTML_DEPTH = 200
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
# Elements that never nest in themselves (an unclosed <p> or <li> is closed by the next), and void ones.
_FLAT = frozenset(
    {
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "rb",
        "rt",
        "rp",
        "tbody",
        "thead",
        "tfoot",
        "colgroup",
        "caption",
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)


def check_depth(html: str) -> None:
    """ContentError when ``html`` nests more than MAX_HTML_DEPTH elements deep.

    A count of open and close tags first (linear, and most HTML has too few tags to need it); only
    HTML that may be that deep is parsed (lxml, which stops at 255 levels) to be sure.
    """
    if html.count("<") <= MAX_HTML_DEPTH:
        return
    depth = deepest = 0
    for match in _TAG.finditer(html):
        if match.group(2).lower() in _FLAT:
            continue
        depth = max(0, depth - 1) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    if deepest <= MAX_HTML_DEPTH:
        return
    stack = [(lxml_html.fragment_fromstring(html, create_parent="div"), 0)]
    while stack:
        element, level = stack.pop()
        if level > MAX_HTML_DEPTH:
            raise ContentError(
                None,
                None,
                f"the HTML is nested more than {MAX_HTML_DEPTH} elements deep; refused",
                reason="nested too deeply",
            )
        stack.extend((child, level + 1) for child in element)


# html5ever and lxml look at each attribute of a tag against the ones before it, in native code: one
# <p> of 100,000 attributes (1.5 MB) took nh3 5 s and lxml 133 s. Real elements have a few dozen at most.
MAX_ATTRIBUTES = 128
_SPACE = "[\t\n\f\r ]"
# An attribute as HTML's tokenizer reads one (the name ends at a space, / > or =, a value in quotes
# may hold anything), and a start tag with a run of them: atomic groups, so linear in the HTML.
_ATTRIBUTE = (
    f"(?>[\t\n\f\r /]*[^\t\n\f\r />][^\t\n\f\r />=]*(?>{_SPACE}*={_SPACE}*(?>\"[^\"]*\"?|'[^']*'?|[^\t\n\f\r >]*))?)"
)
_START_TAG = re.compile(f"<[A-Za-z][^\t\n\f\r />]*((?:{_ATTRIBUTE})*+)")
_ATTRIBUTES = re.compile(_ATTRIBUTE)


def check_attributes(html: str) -> None:
    """ContentError when an element of ``html`` has more than MAX_ATTRIBUTES attributes."""
    for tag in _START_TAG.finditer(html):
        span = tag.end(1) - tag.start(1)
        if span > 2 * MAX_ATTRIBUTES and sum(1 for _ in _ATTRIBUTES.finditer(html, tag.start(1), tag.end(1))) > (
            MAX_ATTRIBUTES
        ):
            raise ContentError(
                None,
                None,
                f"an element has more than {MAX_ATTRIBUTES} attributes; refused",
                reason="too many attributes",
            )


def embeds_as_links(html: str) -> str:
    """Replace each <iframe src=...> with a paragraph linking to its address."""
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    for frame in list(tree.iter("iframe")):
        src = (frame.get("src") or "").strip()
        if src.startswith("//"):
            src = "https:" + src
        replacement = lxml_html.Element("p")
        if src:
            link = lxml_html.Element("a", href=src)
            link.text = frame.get("title") or src
            replacement.append(link)
        replacement.tail = frame.tail
        frame.getparent().replace(frame, replacement)
    return (tree.text or "") + "".join(lxml_html.tostring(child, encoding="unicode") for child in tree)


def noscript_unwrapped(html: str) -> str:
    """Each <noscript> replaced by its content: the fallback (usually an <img>) is what a feed reader,
    which runs no scripts, should show. nh3 parses noscript's content as text (html5ever runs with
    scripting on), so left in place the markup would come out escaped, as visible "<img ...>" text."""
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    for element in list(tree.iter("noscript")):
        element.drop_tag()
    return (tree.text or "") + "".join(lxml_html.tostring(child, encoding="unicode") for child in tree)


def render_html(article: Article, config: Config) -> str:
    """The article body as safe HTML whose links and image sources are absolute against its URL.

    Renders of feeds keep it in markup/cache.py (and the state store), never here.
    """
    return _render(article, article_url(article, config), allowed_tags(config), config)


def _render(article: Article, url: str, tags: frozenset[str], config: Config) -> str:
    from .where import dropped_warnings

    html = sanitize(body_html(article, config), base_url=url, tags=tags, on_drop=dropped_warnings(article))
    # U+FFFD written by the author (an article about it): as a character reference, what readers
    # show is the same, and feed validators stop taking it for broken encoding (W3C BadCharacters).
    return html.replace("\ufffd", "&#xFFFD;") if "\ufffd" in html else html


def body_html(article: Article, config: Config) -> str:
    """The body as HTML, unsanitised: the site's body filters, its Markdown engine, then its HTML filters.
    HTML given with the article (``Article(html=...)``) is never read as Markdown: only the HTML filters
    run on it (a CommonMark HTML block ends at a blank line, which broke highlighted code)."""
    if article.html is not None:
        if not config.site.html_filters:
            return article.html
        from ..filters import apply

        return apply(config.site.html_filters, article.html)

    def to_html(body: str) -> str:
        return markdown_to_html(body, config.markdown.engine, config.markdown.extensions)

    from ..content.mdx import admonitions

    body = article.body
    if not config.site.body_filters and not config.site.html_filters:
        return to_html(admonitions(body, alerts=config.markdown.engine == "gfm"))
    from ..filters import apply

    body = admonitions(apply(config.site.body_filters, body), alerts=config.markdown.engine == "gfm")
    return apply(config.site.html_filters, to_html(body))


def allowed_tags(config: Config) -> frozenset[str]:
    """The feed allow-list with the site's changes ([html] allow / deny); script and style never pass."""
    return _allowed_tags(tuple(config.html.allow), tuple(config.html.deny))


@functools.lru_cache(maxsize=32)
def _allowed_tags(allow: tuple[str, ...], deny: tuple[str, ...]) -> frozenset[str]:
    # One set for every article's render: the same object each time, whose hash the Cleaner's cache keeps.
    return (ALLOWED_TAGS | set(allow)) - set(deny) - NEVER_ALLOWED


def first_paragraph(html: str, limit: int = 300) -> str:
    """The first paragraph with text, as plain text, cut on a word boundary at ``limit`` characters."""
    if not html.strip():
        return ""
    # lxml.html's own parsing (fragment_fromstring) with etree's parser: no Python lookup of a class for
    # each element made (a seventh of the time), and text_content's XPath on the plain elements.
    for element in lxml_html.fragments_fromstring(html, parser=_PLAIN_PARSER):
        if isinstance(element, str):
            continue  # the text before the first element is in no paragraph
        for p in element.iter("p"):
            text = " ".join(str(_TEXT_CONTENT(p)).split())
            if text:
                return shorten(text, limit)
    return ""


_PLAIN_PARSER = etree.HTMLParser()
_TEXT_CONTENT = etree.XPath("string()", smart_strings=False)  # lxml.html's HtmlElement.text_content


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:—–-")
    return cut + "…"


def summary(article: Article, html: str | None = None, limit: int = 300, *, config: Config | None = None) -> str:
    """seoDescription, else the first paragraph of the body as text (through the site's filters
    when ``config`` is given and ``html`` is not)."""
    if article.description:
        return article.description
    if html is None:
        if config is not None:
            html = body_html(article, config)
        else:
            html = markdown_to_html(article.body) if article.html is None else article.html
    return first_paragraph(html, limit)
