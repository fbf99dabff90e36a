"""Article URLs and entry ids (permalinks, with their placeholders), and every address made a valid URI.

Feeds must carry URIs (RFC 3986), not IRIs: the W3C Feed Validator flags a raw space or "ü" in an
href (InvalidUriChar, UriNotIri), JSON Feed's schema says ``format: uri``, and feed readers
differ in how they repair them. So an IRI is converted as RFC 3987 section 3.1 says: the host
to IDNA (punycode), everything else to UTF-8 and percent-encoded; what is already a valid
percent-escape is kept, never encoded twice.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Article

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
# {path}, {folder} and {dated_path} may hold "/"; a slash in any other value is encoded.
_MAY_NEST = ("path", "folder", "dated_path")
# Docusaurus' blogUtils DATE_FILENAME_REGEX, on the path without extension and "/index".
_DATED_PATH = re.compile(r"(?P<folder>.*)(?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2})[-/]?(?P<text>.*)")
# Hugo's urlize (helpers.MakePath): spaces become hyphens; letters, digits, marks and these stay.
_HUGO_KEEPS = frozenset("._~+#@-")
BUNDLE_NAMES = ("index",)  # a page bundle's file: first-post/index.md is the article "first-post"


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


def source_parts(file: str | None, slug: str) -> dict[str, str]:
    """{path}, {filename} and {folder} of an article from its file under the content folder.

    ``2024/first-post/index.md`` is a page bundle: its path is ``2024/first-post``, its file
    name ``first-post`` and its folder ``2024`` (the folder that holds the article, "" at the top).
    An article built in code, with no file, has its slug for path and file name, and no folder.
    """
    if not file:
        return {"path": slug, "filename": slug, "folder": ""}
    folder, _, name = file.rpartition("/")
    stem = name.rpartition(".")[0] or name
    if folder and stem.lower() in BUNDLE_NAMES:
        return {"path": folder, "filename": folder.rpartition("/")[2], "folder": folder.rpartition("/")[0]}
    return {"path": f"{folder}/{stem}" if folder else stem, "filename": stem, "folder": folder}


def hugo_urlize(text: str) -> str:
    """A title as Hugo's urlize makes a path segment of it (its :title, and :slug without a slug;
    helpers.UnicodeSanitize): lower case; letters, digits, marks and ``._~+#@-`` kept; a space
    becomes a hyphen unless one was just written; everything else dropped."""
    kept: list[str] = []
    hyphen = False
    for char in text.lower():
        if char.isalnum() or char in _HUGO_KEEPS or unicodedata.category(char).startswith("M"):
            kept.append(char)
            hyphen = char == "-"
        elif char.isspace() and not hyphen:
            kept.append("-")
            hyphen = True
    return "".join(kept)


def web_address(value: str | None) -> str | None:
    """An http(s) address as a valid URI; None for anything else (a source that is a publication's name)."""
    if not value or not value.lower().startswith(("http://", "https://")):
        return None
    try:
        return uri(value)
    except ValueError:
        return None


def is_bundle(file: str | None) -> bool:
    """Whether an article's file is a page bundle's (``first-post/index.md``)."""
    if not file or "/" not in file:
        return False
    name = file.rpartition("/")[2]
    return (name.rpartition(".")[0] or name).lower() in BUNDLE_NAMES


def placeholders(article: Article, config: Config, names: frozenset[str] = frozenset(PLACEHOLDERS)) -> dict[str, str]:
    """The values of the placeholders in ``names`` (only those are worked out: 10,000 URLs per build)."""
    values = {"slug": article.slug, "category": article.category or ""}
    if names & {"year", "month", "day"}:
        local = config.local_time(article.published)  # Hugo's zero date is year 0 in New York
        values.update(year=f"{local.year:04d}", month=f"{local.month:02d}", day=f"{local.day:02d}")
    if names & {"path", "filename", "folder", "slug_or_title"}:
        values.update(source_parts(article.file, article.slug))
    if names & {"title", "slug_or_title"}:
        values["title"] = hugo_urlize(article.title) or article.slug
        # Hugo's :slug: the frontmatter slug, else the title. A slug that is the file's own name
        # counts as none (the loader gives the file name when there is no slug).
        given = article.slug != values.get("filename", article.slug) or not article.file
        values["slug_or_title"] = article.slug if given else values["title"]
    if "dated_path" in names:
        values["dated_path"] = _dated_path(article, config)
    return values


def _dated_path(article: Article, config: Config) -> str:
    """Docusaurus' blog path: the frontmatter slug, else the file's path without extension (and a
    bundle's "/index") with a date in it written as folders: 2021-08-26-welcome -> 2021/08/26/welcome."""
    if not article.file:
        return article.slug
    from .fields import file_name_parts

    if article.slug != file_name_parts(article.file, config)[0]:
        return article.slug  # given in the frontmatter ("/my/path" or "welcome")
    path = source_parts(article.file, article.slug)["path"]
    dated = _DATED_PATH.fullmatch(path)
    if dated is None:
        return path
    return f"{dated['folder']}{dated['date'].replace('-', '/')}/{dated['text']}"


@functools.cache
def used_placeholders(pattern: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(pattern) if name)


def fill_permalink(pattern: str, values: Mapping[str, str]) -> str:
    """The path a permalink pattern gives, encoded, without the empty segments of empty placeholders.

    Only ``{path}`` and ``{folder}`` may add "/" to the path; a slash in any other value is encoded,
    so a category cannot move an article to another folder.
    """
    values = {
        name: value.replace("/", "%2F") if name not in _MAY_NEST and "/" in value else value
        for name, value in values.items()
    }
    segments = []
    for part in pattern.split("/"):
        filled = part.format(**values)
        for segment in filled.split("/"):
            if segment in ("", ".", ".."):
                continue  # an empty placeholder drops its segment: no "//" in the URL
            segments.append(_encode(segment, _SEGMENT_SAFE))
    path = "/".join(segments)
    return path + "/" if path and pattern.endswith("/") else path


def article_url(article: Article, config: Config) -> str:
    """The article's public address, a valid URI: the ``url`` it was given (relative to the site url),
    else site url + permalink."""
    if article.url is not None:
        return given_url(article, config.site.url)
    return config.site.url + fill_permalink(
        config.site.permalink, placeholders(article, config, used_placeholders(config.site.permalink))
    )


def given_url(article: Article, site_url: str) -> str:
    """An Article's own ``url`` as a valid absolute URI; ContentError when it is no http(s) address."""
    from ..errors import ContentError
    from ..urls import web_url

    found = web_url(article.url, site_url)
    try:
        if found is not None:
            return uri(found)
    except ValueError:  # "http://[broken"
        pass
    raise ContentError(article.path, "url", f"{article.url!r} is not an http(s) address")


def entry_id(article: Article, config: Config) -> str:
    """The article's id in every feed: its frontmatter ``id``, else ``[feeds] entry_id`` filled in.

    Feed readers recognise entries by this id; a new one makes them show the entry as new.
    """
    if article.id:
        return article.id
    url = article_url(article, config)
    if config.feeds.entry_id == "{url}":
        return url
    values = placeholders(article, config)
    return uri(config.feeds.entry_id.format(url=url, **values))
