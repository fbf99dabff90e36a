"""Files -> Articles: frontmatter (frontmatter.py), fields, dates, text repair. Per-file errors are
collected, not raised: every file is loaded inside the per-article boundary of guard.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .content import SourceFile, decode, read_body, read_bytes, scan, too_large
from .errors import ContentError, printable
from .frontmatter import key_line, split_frontmatter, value_kind
from .guard import guarded, report
from .model import Article, Config, DeferredBody
from .text import repair, repair_line
from .urls import web_url

log = logging.getLogger("publisher")

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0", ""}


def load_articles(
    content: str | Path,
    config: Config,
    *,
    strict: bool = False,
    errors: list[ContentError] | None = None,
) -> list[Article]:
    """Load every Markdown file under ``content`` (recursively), in path order.

    A file that cannot be loaded is logged on the ``publisher`` logger, appended to ``errors``
    when given, and skipped; with ``strict=True`` its ContentError is raised instead.
    Two files with the same slug: the newer article wins and the other is reported.
    Bodies are read from the files when first used (see DeferredBody).
    """
    files = scan_folder(content, errors, strict)

    def loaded() -> Iterator[Article]:
        for source in files:
            try:
                yield load_article(source.path, config)
            except ContentError as exc:
                report(exc, errors, strict)

    return one_per_slug(loaded(), errors, strict)


def scan_folder(content: str | Path, errors: list[ContentError] | None, strict: bool) -> list[SourceFile]:
    """The folder's Markdown files; links that lead outside it are reported, not followed."""
    root = Path(content)
    if not root.is_dir():
        raise ContentError(root, None, "no such content folder", reason="missing folder")
    files, outside = scan(root)
    for path in outside:
        report(ContentError(path, None, "symbolic link to a file outside the content folder; not followed",
                            reason="link outside content"), errors, strict)
    return files


def one_per_slug(
    articles: Iterable[Article], errors: list[ContentError] | None, strict: bool, *, quiet: bool = False
) -> list[Article]:
    """Articles in the order given, one per slug: the newer wins and the other is reported
    (logged, unless ``quiet``: then only appended to ``errors``)."""
    by_slug: dict[str, Article] = {}
    for article in articles:
        other = by_slug.get(article.slug)
        if other is not None:
            keep, drop = (article, other) if _newer(article, other) else (other, article)
            report(
                ContentError(
                    drop.path, "slug",
                    f"{drop.slug!r} is also the slug of {keep.path}; the newer article wins",
                    reason="duplicate slug",
                ),
                errors, strict, quiet=quiet,
            )
            article = keep
        by_slug[article.slug] = article
    return list(by_slug.values())


def _newer(a: Article, b: Article) -> bool:
    return (a.last_modified, a.published, a.path or "") > (b.last_modified, b.published, b.path or "")


def load_article(path: str | Path, config: Config) -> Article:
    """Load one file. Raises ContentError naming the file, line and field."""
    return article_from_bytes(read_bytes(path, config.max_article_bytes), path, config)[0]


def article_from_bytes(raw: bytes, path: str | Path, config: Config) -> tuple[Article, bool]:
    """(article, whether the fallback encoding was needed) from a file's bytes.

    The whole file is decoded, so a bad byte anywhere is reported now, with its offset; only the
    frontmatter is parsed, and the body is read again from the file if an output needs it.
    Whatever goes wrong is a ContentError: an unexpected one says it is a bug in publisher.
    """
    if len(raw) > config.max_article_bytes:
        raise too_large(path, len(raw), config.max_article_bytes)
    return guarded(str(path), "loading", _from_bytes, raw, path, config)


def _from_bytes(raw: bytes, path: str | Path, config: Config) -> tuple[Article, bool]:
    text, fallback = decode(raw, path, config)
    meta, _, fm_line = split_frontmatter(text, path)
    body = DeferredBody(functools.partial(read_body, path, config))
    return _with_key_line(text, lambda: article_from_metadata(meta, body, config, path=path, line=fm_line)), fallback


def parse_article(text: str, config: Config, path: str | Path | None = None) -> Article:
    """Parse the text of one Markdown file with YAML frontmatter into an Article."""

    def parse() -> Article:
        meta, body, fm_line = split_frontmatter(text, path)
        return _with_key_line(text, lambda: article_from_metadata(meta, body, config, path=path, line=fm_line))

    return guarded(str(path) if path is not None else None, "loading", parse)


def _with_key_line(text: str, make: Any) -> Article:
    """make(); a field error gets the line of its key in the frontmatter (found only when one is raised)."""
    try:
        return make()  # type: ignore[no-any-return]
    except ContentError as exc:
        if exc.line is not None or not exc.field:
            raise
        line = key_line(text, exc.field)
        if line is None:
            raise
        raise ContentError(exc.path, exc.field, exc.message, line=line, reason=exc.reason) from None


def article_from_metadata(
    meta: Mapping[str, Any],
    body: str | DeferredBody,
    config: Config,
    path: str | Path | None = None,
    line: int | None = None,
) -> Article:
    """Map frontmatter fields (with the configured aliases) onto an Article."""
    fields = _Fields(meta, config, path)
    title = fields.text("title", required=True)
    slug = fields.text("slug") or (repair_line(Path(path).stem) if path is not None else None)
    if not slug:
        raise ContentError(path, "slug", "missing (and no file name to take it from)", reason="missing slug")
    category, more_tags = fields.category()
    return Article(
        slug=slug.strip(),
        title=title,
        published=fields.date("published", required=True),
        updated=fields.date("updated"),
        author=fields.author(),
        tags=_unique(fields.tags() + more_tags),
        category=category,
        featured=fields.flag("featured"),
        description=fields.text("description"),
        seo_title=fields.text("seo_title"),
        cover_image=fields.address("cover_image"),
        source=fields.source(),
        draft=fields.flag("draft"),
        body=repair(body) if isinstance(body, str) else body,
        extra={k: v for k, v in meta.items() if k not in fields.used},
        path=str(path) if path is not None else None,
    )


class _Fields:
    """Reads Article fields out of frontmatter, by the configured names, with errors naming the key."""

    def __init__(self, meta: Mapping[str, Any], config: Config, path: str | Path | None) -> None:
        self.meta = meta
        self.config = config
        self.path = path
        self.used: set[str] = set()
        for names in config.fields.values():
            self.used.update(n for n in names if n in meta)

    def raw(self, name: str) -> tuple[str, Any]:
        """(key found, value); the first configured name present with a non-null value wins."""
        names = self.config.fields[name]
        for key in names:
            if self.meta.get(key) is not None:
                return key, self.meta[key]
        return names[0], None

    def error(self, key: str, message: str, reason: str = "invalid field") -> ContentError:
        return ContentError(self.path, key, message, reason=reason)

    def text(self, name: str, required: bool = False) -> str | None:
        key, value = self.raw(name)
        if value is None:
            if required:
                raise self.error(key, "missing (expected text)", reason=f"missing {key}")
            return None
        if isinstance(value, bool):
            raise self.error(key, f"{value!r} is a yes/no value, expected text (quote it)")
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(key, f"expected text, got {value_kind(value)}")
        value = repair_line(value)
        if not value:
            if required:
                raise self.error(key, "is empty (expected text)", reason=f"missing {key}")
            return None
        return value

    def address(self, name: str) -> str | None:
        """Text that must be an http(s) address (relative to the site is fine): anything else
        (``javascript:``, ``data:``, ``file:``) is dropped with a warning naming the article."""
        value = self.text(name)
        if value is not None and web_url(value, self.config.url) is None:
            self.warn(self.raw(name)[0], f"{value[:200]!r} is not an http(s) address; dropped")
            return None
        return value

    def source(self) -> str | None:
        """An address or a name (a publication's); an address that cannot be parsed is dropped."""
        value = self.text("source")
        try:
            urlsplit(value or "")
        except ValueError as exc:
            self.warn(self.raw("source")[0], f"{value!r} is not a usable address ({exc}); dropped")
            return None
        return value

    def warn(self, key: str, message: str) -> None:
        where = printable(str(self.path)) if self.path is not None else "<article>"
        log.warning("%s: %s: %s", where, key, message)

    def date(self, name: str, required: bool = False) -> datetime | None:
        key, value = self.raw(name)
        if value is None:
            if required:
                raise self.error(key, "missing (expected a date: YYYY-MM-DD or ISO 8601)", reason=f"missing {key}")
            return None
        parsed = _parse_date(value, self.config)
        shown = value.isoformat() if isinstance(value, (datetime, date)) else value
        if parsed is None:
            raise self.error(key, f"{shown!r} is not a date (expected YYYY-MM-DD or ISO 8601)", reason="bad date")
        if not _in_range(parsed, self.config):
            raise self.error(key, f"{shown!r} is outside years 1 to 9999 in UTC or in the site's time zone "
                             f"({self.config.timezone}); Hugo writes 0001-01-01 for \"no date\": give the real one",
                             reason="bad date")
        return parsed

    def flag(self, name: str) -> bool:
        key, value = self.raw(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self.error(key, f"{value!r} is not a yes/no value (expected true or false)")

    def tags(self) -> tuple[str, ...]:
        key, value = self.raw("tags")
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.error(key, f"expected a list of tags, got {value_kind(value)}")
        tags = []
        for item in value:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                tag = repair_line(str(item))
                if tag:
                    tags.append(tag)
            elif item is not None:
                raise self.error(key, f"expected a list of tags, found {value_kind(item)} in it")
        return tuple(tags)

    def category(self) -> tuple[str | None, tuple[str, ...]]:
        """A list of categories gives the first as the category and the rest as tags."""
        key, value = self.raw("category")
        if isinstance(value, list):
            names = [repair_line(str(v)) for v in value if isinstance(v, (str, int, float)) and str(v).strip()]
            if len(names) != len(value):
                raise self.error(key, "expected a category name or a list of names")
            return (names[0] if names else None), tuple(names[1:])
        return self.text("category"), ()

    def author(self) -> str | None:
        key, value = self.raw("author")
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, list):
            names = [v.get("name") if isinstance(v, dict) else v for v in value]
            if not all(isinstance(n, str) for n in names):
                raise self.error(key, "expected a name or a list of names")
            value = ", ".join(n.strip() for n in names if n.strip())
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.error(key, f"expected a name, got {value_kind(value)}")
        return repair_line(value) or None


def parse_date(value: Any, config: Config) -> datetime | None:
    """A YAML date/datetime or an ISO 8601 string -> aware datetime; naive values are in the site's zone.

    None for anything else, and for a moment that is outside years 1 to 9999 in UTC or in the
    site's zone (feeds write it in UTC, URLs and archives in the site's zone).
    """
    parsed = _parse_date(value, config)
    return parsed if parsed is not None and _in_range(parsed, config) else None


def _parse_date(value: Any, config: Config) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                parsed = datetime.combine(date.fromisoformat(text), time())
            else:
                parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=config.tz)
    return parsed


def _in_range(moment: datetime, config: Config) -> bool:
    try:
        moment.astimezone(UTC)
        moment.astimezone(config.tz)
    except (OverflowError, ValueError):
        return False
    return True


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
