"""The one URL policy for everything a reader's software fetches or follows: covers, enclosures, media,
images, links, icons.

Only ``http`` and ``https`` addresses go out, made absolute against the page they are on. Anything
else (``javascript:``, ``vbscript:``, ``data:``, ``file:``, a scheme nobody knows, a URL that does not
parse) is refused: the caller drops it, and says so where it knows which article it came from.
Links in article bodies may also be ``mailto:`` and ``tel:``, which run nothing (see LINK_SCHEMES).

Feeds must carry URIs (RFC 3986), not IRIs: the W3C Feed Validator flags a raw space or "ü" in an
href (InvalidUriChar, UriNotIri), JSON Feed's schema says ``format: uri``, and feed readers
differ in how they repair them. So an IRI is converted (``uri``) as RFC 3987 section 3.1 says: the
host to IDNA (punycode), everything else to UTF-8 and percent-encoded; what is already a valid
percent-escape is kept, never encoded twice.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

WEB_SCHEMES = frozenset({"http", "https"})
# An <a href> may also open a mail program or a phone dialler; an image or a cover may not.
LINK_SCHEMES = WEB_SCHEMES | {"mailto", "tel"}
# The attributes of HTML that hold an address: the sanitiser applies this policy to each, and the
# digest check wants each absolute.
URL_ATTRIBUTES = frozenset({"href", "src", "poster", "cite", "background"})
# What browsers strip from a URL before reading it (WHATWG URL: C0 controls and space at the ends,
# tab and newlines anywhere): "java\tscript:" is "javascript:" to a browser, so it is to us.
_STRIPPED = re.compile("[\t\n\r]")
_ENDS = "".join(chr(c) for c in range(0x21))


def web_url(
    value: object, base: str | None = None, schemes: frozenset[str] = WEB_SCHEMES, *, keep_relative: bool = False
) -> str | None:
    """``value`` as an absolute http(s) address (relative ones resolved against ``base``), or None.

    None for anything that is not text, does not parse, has another scheme, or (being relative) has
    no ``base`` to be resolved against; with ``keep_relative``, a relative one without a base is
    returned as it is (cleaned of what browsers ignore).
    """
    if not isinstance(value, str):
        return None
    text = _STRIPPED.sub("", value).strip(_ENDS)
    if not text:
        return None
    try:
        if not urlsplit(text).scheme:  # "a.png", "/a.png", "//cdn.example.org/a.png"
            if not base:
                return text if keep_relative else None
            text = urljoin(base, text)
        parts = urlsplit(text)
    except ValueError:  # "http://[::1" and other addresses urllib cannot take apart
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes or (scheme in WEB_SCHEMES and not parts.netloc):
        return None
    return text


def link_url(value: object, base: str | None = None, *, keep_relative: bool = False) -> str | None:
    """An address a link in an article may point at: http(s), or mailto: and tel:."""
    return web_url(value, base, LINK_SCHEMES, keep_relative=keep_relative)


def srcset(value: str, base: str | None = None) -> tuple[str | None, list[str]]:
    """An ``srcset`` (``a.png 1x, b.png 2x``) with each candidate's address checked like an image's:
    (what is left, or None when nothing is; the addresses dropped)."""
    kept, dropped = [], []
    for address, descriptor in _candidates(value):
        url = web_url(address, base, keep_relative=True)
        if url is None:
            dropped.append(address)
        else:
            kept.append(f"{url} {descriptor}".strip())
    return (", ".join(kept) or None), dropped


def _candidates(value: str) -> list[tuple[str, str]]:
    """(address, descriptors) pairs as browsers read an srcset (HTML, "parse a srcset attribute"): an
    address runs to the next space, so "data:image/png;base64,AA 1x" is one address, not two."""
    found = []
    position, end = 0, len(value)
    while position < end:
        while position < end and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < end and not value[position].isspace():
            position += 1
        address = value[start:position]
        if not address:
            break
        descriptor = ""
        if address.endswith(","):
            address = address.rstrip(",")
        else:
            start, depth = position, 0
            while position < end and (value[position] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[position], 0)
                position += 1
            descriptor = " ".join(value[start:position].split())
        if address:
            found.append((address, descriptor))
    return found


# Characters a URI may hold as they are (RFC 3986 section 2: unreserved, reserved, and "%").
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")
_PLAIN = re.compile(r"[A-Za-z0-9\-._~]*")
# What stays literal in each part (RFC 3986 section 3.3 pchar, 3.4 query, 3.5 fragment).
_SUB_DELIMS = "!$&'()*+,;="
_PATH_SAFE = _SUB_DELIMS + ":@/"
_QUERY_SAFE = _SUB_DELIMS + ":@/?"
_SEGMENT_SAFE = _SUB_DELIMS + ":@"


# What a permalink ([site] permalink, [feeds] entry_id) may name; content/permalinks.py fills them in.
PLACEHOLDERS = (
    "slug",
    "year",
    "month",
    "day",
    "category",
    "path",
    "filename",
    "folder",
    "title",
    "slug_or_title",
    "dated_path",
)


def uri(address: str) -> str:
    """``address`` (absolute or relative) as a valid URI reference; unchanged when it is one already."""
    if _URI_CHARS.fullmatch(address) and not _BAD_ESCAPE.search(address) and "[" not in address:
        return address
    parts = urlsplit(address.strip())  # ValueError for "http://[broken": callers decide what to do
    netloc = parts.netloc
    if netloc and not netloc.isascii():
        netloc = _ascii_netloc(netloc)
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            _encode(parts.path, _PATH_SAFE),
            _encode(parts.query, _QUERY_SAFE),
            _encode(parts.fragment, _QUERY_SAFE),
        )
    )


def _encode(text: str, safe: str) -> str:
    """Percent-encode what is not ``safe`` (as UTF-8), keeping escapes that are already there."""
    if _PLAIN.fullmatch(text):
        return text  # the common case: nothing to encode
    return "".join(part if _ESCAPE.fullmatch(part) else quote(part, safe=safe) for part in _ESCAPE.split(text))


def _ascii_netloc(netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:  # not a name IDNA can take (too long a label...): percent-encoded, still a URI
        host = quote(host, safe=_SUB_DELIMS)
    return (quote(userinfo, safe=_SEGMENT_SAFE) + at if at else "") + host + colon + port


def segment_uri(segment: str) -> str:
    """One path segment percent-encoded as a URI's segment may be: a "/" in it is encoded too."""
    return _encode(segment, _SEGMENT_SAFE)
