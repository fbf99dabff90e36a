"""GFM's extended autolinks (spec section 6.9) over HTML: bare www., http://, https:// and e-mail
addresses in text become links, as GitHub, remark-gfm and goldmark make them.

pulldown-cmark, the default engine, has no such extension, so this runs over its HTML. A DOM
walk with lxml (parse, visit every text, serialise) costs 1-2 ms on a URL-dense post, more than
the rest of render_html together; instead, only the places where an address or a link or code
element starts are visited, and only the text runs that hold an address are rewritten. The
engine escapes "<" in text, so in its HTML a "<" starts a tag (or a comment), and the tag is
matched with CommonMark's own grammar for raw HTML, quoted attribute values included. Where that
cannot be told (a "<" in raw HTML that starts no tag), the address is left alone.
tests/test_engines.py checks this against the DOM walk over the Node.js blog.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from urllib.parse import quote

_AUTOLINK = re.compile(
    # A www. or http(s):// address starts a line or follows whitespace or one of *_~(.
    r"(?:^|(?<=[\s*_~(]))(?P<url>(?:https?://|www\.)[^\s<]+)"
    r"|(?<![A-Za-z0-9.+_-])(?P<email>(?:mailto:|xmpp:)?[A-Za-z0-9.+_-]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)"
)
# Where the scan stops: a link or code element, or where an address could be. A plain alternation
# of literals is what the re module scans fastest (a look-behind, a leading character class or
# re.IGNORECASE make it 4-10 times slower).
# Tags in lower or upper case only: re.IGNORECASE would make the scan four times slower, and
# the engine writes lower case (raw HTML in Mixed Case is not recognised as a link or code).
_UNLINKED = "a|code|pre|script|style|textarea|kbd|samp"
_SCAN = re.compile(rf"<(/?)({_UNLINKED}|{_UNLINKED.upper()})(?=[\s/>])|https?://|www\.|@")
# An HTML start or end tag (CommonMark section 6.6).
_TAG = re.compile(
    r"""</?[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*"""
    r"""(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*/?>"""
)
_DOMAIN_END = re.compile(r"[/?#]")
# What cmark-gfm leaves unescaped in an href (houdini's table); the rest is percent-encoded.
_HREF_SAFE = "!#$%&'()*+,-./:;=?@_~"


def autolink(html: str) -> str:
    """Turn the bare addresses in the text of ``html`` into links, as GitHub does.

    Text inside links, code and preformatted blocks is left alone. HTML without a bare address
    (most articles) is returned as it is.
    """
    if not _maybe_bare_address(html):
        return html
    out: list[str] = []
    done = 0  # html[:done] is in out
    position = 0
    while (hit := _SCAN.search(html, position)) is not None:
        start, position = hit.start(), hit.end()
        if (name := hit.group(2)) is not None:
            if not hit.group(1):  # a link or code: nothing up to its end tag is linked
                closing = html.find(f"</{name}>", position)
                position = len(html) if closing == -1 else closing + len(name) + 3
            continue
        if start and html[start - 1] in "\"'=":
            continue  # an attribute value ("https:// after a quote is never a bare address)
        text_start, position = _text_start(html, start)
        if text_start is None:
            continue
        text_end = html.find("<", start)
        text_end = len(html) if text_end == -1 else text_end
        linked = _linked(html[text_start:text_end])
        if linked is not None:
            out += [html[done:text_start], linked]
            done = text_end
        position = max(position, text_end)
    if not out:
        return html
    out.append(html[done:])
    return "".join(out)


def _maybe_bare_address(html: str) -> bool:
    """False when every "://" in ``html`` starts a quoted attribute value, and there is no "www." or "@".

    Counted in C, this settles most articles (their addresses are all in href and src) before
    the scan; anything else is left to the scan.
    """
    if "@" in html or "www." in html:
        return True
    quoted = sum(html.count(f"{mark}{scheme}") for mark in "\"'" for scheme in ("http://", "https://"))
    return html.count("://") != quoted


def _text_start(html: str, position: int) -> tuple[int | None, int]:
    """Where the text run holding ``position`` starts (None inside a tag), and where to scan on.

    Scanning on past the tag keeps a tag full of addresses (hostile input) linear.
    """
    opening = html.rfind("<", 0, position)
    if opening == -1:
        return 0, position
    if html.startswith("<!--", opening):
        closing = html.find("-->", opening + 4)
        if closing == -1:
            return None, len(html)
        return (closing + 3, position) if closing + 3 <= position else (None, closing + 3)
    tag = _TAG.match(html, opening)
    if tag is None:  # a "<" that starts no tag: nothing up to the next "<" is linked
        following = html.find("<", position)
        return None, len(html) if following == -1 else following
    return (tag.end(), position) if tag.end() <= position else (None, tag.end())


def _linked(escaped: str) -> str | None:
    """The text run (HTML-escaped) with its addresses as links, or None when it has none."""
    pieces = list(_links(html_lib.unescape(escaped)))
    if all(isinstance(piece, str) for piece in pieces):
        return None
    return "".join(
        html_lib.escape(piece, quote=False)
        if isinstance(piece, str)
        else f'<a href="{html_lib.escape(piece[1])}">{html_lib.escape(piece[0], quote=False)}</a>'
        for piece in pieces
    )


def _links(text: str) -> Iterator[str | tuple[str, str]]:
    """``text`` as plain pieces and (shown, href) links."""
    end = 0
    for match in _AUTOLINK.finditer(text):
        found = _url(match.group("url")) if match.group("url") else _email(match.group("email"))
        if found is None:
            continue
        start = match.start()
        if start > end:
            yield text[end:start]
        yield found
        end = start + len(found[0])
    if end < len(text):
        yield text[end:]


def _url(candidate: str) -> tuple[str, str] | None:
    shown = _trim(candidate)
    scheme = "" if shown.startswith("www.") else shown[: shown.index("//") + 2]
    domain = _DOMAIN_END.split(shown[len(scheme) :], maxsplit=1)[0].rpartition("@")[2]  # after user:password@
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
    """Drop what GFM leaves out of an autolink: trailing punctuation, an unbalanced ")", an entity.

    As cmark-gfm's autolink_delim does, but with the parentheses counted once: a run of
    thousands of ")" stays linear.
    """
    end = len(url)
    opened, closed = url.count("("), url.count(")")
    ampersand = url.rfind("&")
    while end:
        last = url[end - 1]
        if last in "?!.,:*_~'\"":
            end -= 1
        elif last == ";":
            # "&hellip;" at the end looks like an entity and goes; a lone ";" goes as punctuation.
            if ampersand >= end - 1:
                ampersand = url.rfind("&", 0, end - 1)
            entity = (
                end >= 2
                and url[end - 2].isalpha()
                and ampersand != -1
                and all(c.isascii() and c.isalpha() for c in url[ampersand + 1 : end - 1])
            )
            end = ampersand if entity else end - 1
        elif last == ")" and closed > opened:
            end -= 1
            closed -= 1
        else:
            break
    return url[:end]
