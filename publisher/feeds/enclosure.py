"""An article's cover as an enclosure: absolute URL, media type and, for local files, size.

Shared by every feed format (Atom and RSS enclosures, JSON Feed attachments) and the feeds page.
"""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..config import Config
from ..content.permalinks import article_url, is_bundle
from ..model import Article
from ..urls import uri, web_url

IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Enclosure:
    url: str
    type: str
    length: int  # 0 when unknown, as the RSS Advisory Board advises


def cover_enclosure(article: Article, config: Config) -> Enclosure | None:
    """The article's cover as an absolute URL with its media type and, for local files, its size.

    None when there is no cover or it is not an http(s) address (urls.py; the loader has warned).
    """
    # A page bundle's cover sits beside it (Hugo's images: [cover.png]); others' are site paths.
    if article.cover_image is None:
        return None
    base = article_url(article, config) if is_bundle(article.file) else config.site.url
    found = web_url(article.cover_image, base)
    if found is None:
        return None
    try:
        url = uri(found)
    except ValueError:
        return None
    path = urlsplit(url).path
    suffix = posixpath.splitext(path)[1].lower()
    media_type = IMAGE_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Enclosure(url=url, type=media_type, length=_local_size(article, config))


def cover_file(article: Article, config: Config) -> Path | None:
    """The local file of an article's cover given as a path: "/images/a.png" is images/a.png in
    [site] static; a page bundle's "cover.png" sits beside its index.md. None if there is none."""
    if not article.cover_image:
        return None
    found = local_cover(article.cover_image, config)
    if found is None and is_bundle(article.file) and article.path:
        found = _beside(article.cover_image, Path(article.path).parent)
    return found


def _local_size(article: Article, config: Config) -> int:
    """Size of the cover's local file (cover_file); 0 if unknown."""
    candidate = cover_file(article, config)
    if candidate is None:
        return 0
    try:
        return candidate.stat().st_size if candidate.is_file() else 0
    except OSError:
        return 0


def local_cover(cover: str, config: Config) -> Path | None:
    """The file under ``static`` a cover given as a path names, if any (never outside ``static``)."""
    if not config.site.static:
        return None
    return _beside(cover, Path(config.site.static), relative_only=False)


def _beside(cover: str, folder: Path, *, relative_only: bool = True) -> Path | None:
    """The file under ``folder`` a cover given as a path names (never outside it); None for an
    address, and with ``relative_only`` for a site path ("/images/a.png")."""
    try:
        parts = urlsplit(cover)
    except ValueError:
        return None
    if parts.scheme or cover.startswith("//") or (relative_only and cover.startswith("/")):
        return None
    named = folder.absolute() / unquote(parts.path).lstrip("/")
    try:
        inside = named.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):  # a link that loops, a NUL byte
        return None
    # "/../../etc/passwd" is never looked at. The path as named, not as resolved: a link pointed at
    # another file since is measured through (the store and build's check stat it to see a change).
    return named if inside else None
