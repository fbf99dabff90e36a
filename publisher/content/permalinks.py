"""Article URLs and entry ids: permalinks with their placeholders (urls.PLACEHOLDERS) filled in, each a
valid URI (urls.uri)."""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING

from ..urls import PLACEHOLDERS, segment_uri, uri

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Article

# {path}, {folder} and {dated_path} may hold "/"; a slash in any other value is encoded.
_MAY_NEST = ("path", "folder", "dated_path")
# Docusaurus' blogUtils DATE_FILENAME_REGEX, on the path without extension and "/index".
_DATED_PATH = re.compile(r"(?P<folder>.*)(?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2})[-/]?(?P<text>.*)")
# Hugo's urlize (helpers.MakePath): spaces become hyphens; letters, digits, marks and these stay.
_HUGO_KEEPS = frozenset("._~+#@-")
# Jekyll's (and Eleventy's) dated file names: 2025-03-04-jekyll-post.md
DATED_NAME = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})-(.+)")
BUNDLE_NAMES = ("index",)  # a page bundle's file: first-post/index.md is the article "first-post"


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
            segments.append(segment_uri(segment))
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


def entry_id(article: Article, config: Config, url: str | None = None) -> str:
    """The article's id in every feed: its frontmatter ``id``, else ``[feeds] entry_id`` filled in
    (with ``url``, the article's ``article_url`` where the caller has it already).

    Feed readers recognise entries by this id; a new one makes them show the entry as new.
    """
    if article.id:
        return article.id
    url = article_url(article, config) if url is None else url
    if config.feeds.entry_id == "{url}":
        return url
    values = placeholders(article, config)
    return uri(config.feeds.entry_id.format(url=url, **values))


def file_name_parts(file: str | PurePath | None, config: Config) -> tuple[str | None, str | None]:
    """(slug, date text) a file's name gives: a page bundle's folder name, a Jekyll date prefix."""
    if file is None:
        return None, None
    stem = source_parts(str(file).replace("\\", "/"), "")["filename"]  # a bundle's is its folder's name
    if config.preset_rules.dated_file_names:
        dated = DATED_NAME.fullmatch(stem)
        if dated:
            return dated.group(2), dated.group(1)
    return stem, None
