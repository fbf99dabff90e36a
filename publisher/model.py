"""The data model: articles and what a digest leaves for the next. Plain frozen dataclasses, no I/O.
(The configuration is publisher.config.Config.)"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

# Frontmatter names tried for each Article field, in order. The reference article's names
# come first; the rest are what Astro, Hugo, Jekyll and Eleventy collections use (a preset
# changes some of them: config/presets.py). A draft name starting with "!" is read inverted.
DEFAULT_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "slug": ("slug",),
        "title": ("title",),
        "published": ("publishDate", "pubDate", "date", "published", "publish_date", "pubdate"),
        "updated": ("updatedDate", "updated", "lastmod", "modified", "updateDate", "lastModified"),
        # Dotted names look inside mappings: Hugo's params.author, Zola's extra.author.
        "author": ("author", "authors", "by", "params.author", "extra.author"),
        "tags": ("tags", "keywords"),
        "category": ("category", "categories"),
        "featured": ("featured",),
        "description": ("seoDescription", "description", "summary", "excerpt"),
        "seo_title": ("seoTitle",),
        "cover_image": ("coverImage", "heroImage", "image", "cover", "featuredImage", "thumbnail"),
        "source": ("source",),
        "draft": ("draft",),
        "id": ("id", "guid"),
    }
)


class DeferredBody:
    """A body that is read only when something asks for it: ``Article(..., body=DeferredBody(read))``.

    Every article's frontmatter is needed to sort and select, but only the bodies of the few
    that reach an output are needed at all; the loader passes one of these, and ``read()``
    returns the Markdown. It is called on each access and the text is not kept: a build that
    renders every article (archives) would otherwise hold every body in memory at once.
    """

    __slots__ = ("read",)

    def __init__(self, read: Callable[[], str]) -> None:
        self.read = read


class FileBody:
    """The bodies of articles loaded from files, each read from ``article.path`` when asked for: one
    for all the articles of a load (``read(path)`` returns the Markdown), so that a load of 10,000
    makes no object a body (engine/snapshot.py)."""

    __slots__ = ("read",)

    def __init__(self, read: Callable[[str], str]) -> None:
        self.read = read


class _BodyField:
    """Article.body: a str, or a DeferredBody or FileBody read on each access."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, article: Article | None, owner: type | None = None) -> str:
        if article is None:
            return ""  # the dataclass default
        value = article.__dict__[self.slot]
        if isinstance(value, DeferredBody):
            return value.read()
        if isinstance(value, FileBody):
            return value.read(article.path or "")
        return value  # type: ignore[no-any-return]

    def __set__(self, article: Article, value: str | DeferredBody | FileBody) -> None:
        # Reached only from the generated __init__ (object.__setattr__); the frozen
        # dataclass's own __setattr__ refuses every later assignment.
        if not isinstance(value, (str, DeferredBody, FileBody)):
            raise TypeError(f"Article body must be text, not {type(value).__name__}")
        article.__dict__[self.slot] = value


@dataclass(frozen=True)
class Article:
    """One article, as feeds and digests see it.

    ``published`` must be timezone-aware. ``body`` is Markdown (raw HTML allowed); a loaded
    article reads it from its file the first time it is used (see DeferredBody).
    ``extra`` holds the frontmatter fields publisher does not know, for templates.

    Another publisher hands over its pages as they are: ``url`` is the entry's link as given (not
    made from ``[site] permalink``) and ``html`` the body it already rendered, which is sanitised and
    made absolute against ``url`` but never read as Markdown (``body`` is then not used).

    ``authors`` is every author, in order; ``author`` is the first of them, kept for callers that
    know one: ``Article(author="A")`` means ``authors=("A",)``, and when ``authors`` is given it
    wins (so ``replace(article, authors=...)`` also updates ``author``).
    """

    slug: str
    title: str
    published: datetime
    updated: datetime | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    category: str | None = None
    featured: bool = False
    description: str | None = None
    seo_title: str | None = None
    cover_image: str | None = None
    source: str | None = None
    draft: bool = False
    body: _BodyField = _BodyField()  # str to read; str or DeferredBody to give (the descriptor says)
    extra: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None  # the file it was loaded from, for messages
    authors: tuple[str, ...] = ()
    id: str | None = None  # the entry id from the frontmatter; None: [feeds] entry_id decides
    file: str | None = None  # its path under the content folder ("2024/post/index.md"), for {path}
    url: str | None = None  # the entry's link as given; None: site url + [site] permalink
    html: str | None = None  # the body as HTML already rendered; None: ``body`` is Markdown
    # Each author's web address, in the order of ``authors`` ("" for none): an author's link
    # ("[Jane](https://...)") or its authors.yml entry's url. Feeds give it as the author's uri.
    author_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.authors, str):
            object.__setattr__(self, "authors", (self.authors,))
        elif isinstance(self.authors, list):
            object.__setattr__(self, "authors", tuple(self.authors))
        if not self.authors and self.author:
            object.__setattr__(self, "authors", (self.author,))
        object.__setattr__(self, "author", self.authors[0] if self.authors else None)
        if not isinstance(self.published, datetime) or self.published.tzinfo is None:
            raise TypeError(f"Article {self.slug!r}: published must be a timezone-aware datetime")
        if self.updated is not None and (not isinstance(self.updated, datetime) or self.updated.tzinfo is None):
            raise TypeError(f"Article {self.slug!r}: updated must be a timezone-aware datetime")
        for name in ("url", "html"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise TypeError(f"Article {self.slug!r}: {name} must be text, not {type(getattr(self, name)).__name__}")
        if isinstance(self.tags, (list, str)):
            object.__setattr__(self, "tags", (self.tags,) if isinstance(self.tags, str) else tuple(self.tags))

    @property
    def key(self) -> str:
        """What tells the article apart within a build: its file, else its given URL, else its slug. Not
        the slug alone: a {path} permalink lets two folders hold files of one name (gc-elections/ of
        each year), and a host's pages are often all "index"."""
        return self.path or self.url or self.slug

    @property
    def last_modified(self) -> datetime:
        """The entry's updated time: updatedDate when later than publishDate, else publishDate."""
        if self.updated is not None and self.updated > self.published:
            return self.updated
        return self.published


@dataclass(frozen=True)
class DigestState:
    """What a --since-last digest leaves for the next one: its cut-off, and the articles it covered
    that were published close enough to the cut-off to be offered again (see digest.LATE_ARRIVALS)."""

    until: datetime
    sent: Mapping[str, datetime] = field(default_factory=dict)  # slug -> publishDate
    message_id: str | None = None
