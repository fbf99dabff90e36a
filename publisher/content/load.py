"""Files -> Articles: frontmatter, dates, text repair. Per-file errors are collected, not raised.

python-frontmatter's ``loads`` hides three problems this module must report: a file with no
frontmatter (or frontmatter that is not a mapping) comes back as ``{}`` plus the whole text, a YAML
error carries a line relative to the frontmatter, and a UTF-8 BOM makes the frontmatter vanish.
So the file is decoded here, split with python-frontmatter's own boundaries (content/frontmatter.py,
which also reads TOML, JSON and Pelican's header lines), and YAML is parsed with a safe loader
(libyaml's when present) whose error marks are shifted to the file's own line numbers. Field
values are read in content/fields.py.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import ContentError
from ..guard import guarded, report
from ..model import Article, DeferredBody
from ..text import distinct_terms, slugify
from . import SourceFile, decode, listing, markdown_body, outside_link, read_body, read_bytes, too_large
from .frontmatter import check_limits, key_line, parse_other, parse_yaml, split_text
from .permalinks import article_url, entry_id, file_name_parts

if TYPE_CHECKING:
    from .fields import Fields

__all__ = ["check", "load_article", "load_articles", "parse_article", "split_frontmatter"]

log = logging.getLogger("publisher")


def load_articles(
    content: str | Path,
    config: Config,
    *,
    strict: bool = False,
    errors: list[ContentError] | None = None,
    store: Any = None,  # a publisher.Store (engine/store.py, which imports this module)
) -> list[Article]:
    """Load every Markdown file under ``content`` (recursively), in path order.

    A file that cannot be loaded is logged on the ``publisher`` logger, appended to ``errors``
    when given, and skipped; with ``strict=True`` its ContentError is raised instead. A file that
    is not an article at all (a redirect stub, a page with neither title nor date) is appended to
    ``errors`` with the reason "not an article", but neither logged nor fatal.
    Two articles with the same URL or id: the newer wins and the other is reported, naming both.
    Bodies are read from the files when first used (see DeferredBody).

    With a ``store`` (``publisher.Store``) only files changed since its last load are parsed, and
    a problem is logged by the call that first sees it (every one is still appended to ``errors``).
    """
    if store is not None:
        root = Path(content)
        if not root.is_dir():
            raise ContentError(root, None, "no such content folder", reason="missing folder")
        found = store.load(*listing(root, config), config, root=root)
        problems = [e for e in found.errors if e.is_problem]
        if strict and problems:
            raise problems[0]
        for exc in found.fresh_errors:
            log.warning("skipped %s", exc)
        if errors is not None:
            errors.extend(found.errors)
        return list(found.articles)
    files = scan_folder(content, config, errors, strict)

    def loaded() -> Iterator[Article]:
        for source in files:
            try:
                raw = read_bytes(source.path, config.site.max_article_bytes)
                yield article_from_bytes(raw, source.path, config, rel=source.rel)[0]
            except ContentError as exc:
                report(exc, errors, strict)

    return one_per_url(loaded(), config, errors, strict)


def check(config: Config) -> list[ContentError]:
    """Every current problem of the content folder, for a person or CI: each file that cannot be
    published and why (files that are not articles at all are not problems). Nothing is written."""
    return [e for e in load_silently(config)[1] if e.is_problem]


def load_silently(config: Config) -> tuple[list[Article], list[ContentError]]:
    """The articles of ``config``'s content folder and the errors, returned, not logged."""
    errors: list[ContentError] = []
    logger_disabled, log.disabled = log.disabled, True
    try:
        return load_articles(config.content_folder, config, errors=errors), errors
    finally:
        log.disabled = logger_disabled


def scan_folder(
    content: str | Path, config: Config, errors: list[ContentError] | None, strict: bool
) -> list[SourceFile]:
    """The folder's Markdown files, but what ``exclude`` names; links that lead outside it are
    reported, not followed."""
    root = Path(content)
    if not root.is_dir():
        raise ContentError(root, None, "no such content folder", reason="missing folder")
    files, outside = listing(root, config)
    for path in outside:
        report(outside_link(path), errors, strict)
    return files


def one_per_url(
    articles: Iterable[Article],
    config: Config,
    errors: list[ContentError] | None,
    strict: bool,
    *,
    quiet: bool = False,
    urls: dict[int, str] | None = None,
) -> list[Article]:
    """Articles in the order given, one per URL and per entry id: the newer wins and the other is
    reported, naming both files (two entries with one address or id would be one to a feed reader);
    logged, unless ``quiet``: then only appended to ``errors``. ``urls``: each article's URL by its
    id() where known already (a snapshot's), and those made here added; the caller keeps the
    articles alive meanwhile (a list), so that no id() is another's."""
    kept: dict[str, Article] = {}  # by URL in lower case: /Post/ and /post/ are one on case-insensitive hosts
    ids: dict[str, str] = {}  # entry id -> key of the article that has it, when not the URL itself
    templated = config.feeds.entry_id != "{url}"
    for article in articles:
        url = urls.get(id(article)) if urls is not None else None
        if url is None:
            url = article_url(article, config)
            if urls is not None:
                urls[id(article)] = url
        other = kept.get(url.casefold())
        key = url.casefold()
        if other is None and (templated or article.id):
            found = ids.get(entry_id(article, config))
            if found is not None:
                other, key = kept[found], found
        if other is not None:
            keep, drop = (article, other) if _newer(article, other) else (other, article)
            report(_duplicate(drop, keep, key == url.casefold(), config), errors, strict, quiet=quiet)
            del kept[key]
            article, url = keep, article_url(keep, config)
        kept[url.casefold()] = article
        if templated or article.id:
            ids[entry_id(article, config)] = url.casefold()
    return list(kept.values())


def _duplicate(drop: Article, keep: Article, same_url: bool, config: Config) -> ContentError:
    """What the article left out of a pair with one address or entry id is told, naming the other's file."""
    url, other = article_url(drop, config), article_url(keep, config)
    if drop.slug == keep.slug:
        field, message = "slug", f"{drop.slug!r} is also the slug of {keep.path}"
    elif same_url and url != other:
        field, message = (
            "permalink",
            f"{url} differs only in letter case from {other}, the address of {keep.path} "
            "(one address on case-insensitive hosts)",
        )
    elif same_url:
        field, message = "permalink", f"{url} is also the address of {keep.path}"
    else:
        field, message = "id", f"{entry_id(drop, config)!r} is also the entry id of {keep.path}"
    return ContentError(drop.path, field, f"{message}; the newer article wins", reason=f"duplicate {field}")


def _newer(a: Article, b: Article) -> bool:
    return (a.last_modified, a.published, a.path or "") > (b.last_modified, b.published, b.path or "")


def load_article(path: str | Path, config: Config, *, rel: str | None = None) -> Article:
    """Load one file. Raises ContentError naming the file, line and field.

    ``rel`` is its path under the content folder (for ``{path}`` permalinks); by default its name,
    or its folder and name when it is a page bundle's ``index.md``.
    """
    return article_from_bytes(read_bytes(path, config.site.max_article_bytes), path, config, rel=rel)[0]


def article_from_bytes(raw: bytes, path: str | Path, config: Config, *, rel: str | None = None) -> tuple[Article, bool]:
    """(article, whether the fallback encoding was needed) from a file's bytes.

    The whole file is decoded, so a bad byte anywhere is reported now, with its offset; only the
    frontmatter is parsed, and the body is read again from the file if an output needs it.
    Whatever goes wrong is a ContentError (guard.py): an unexpected one says it is a bug in publisher.
    """
    if len(raw) > config.site.max_article_bytes:
        raise too_large(path, len(raw), config.site.max_article_bytes)

    def load() -> tuple[Article, bool]:
        text, fallback = decode(raw, path, config)
        meta, _, fm_line = split_frontmatter(text, path, config)
        body = DeferredBody(functools.partial(read_body, path, config))
        return _with_key_line(
            text, lambda: article_from_metadata(meta, body, config, path=path, line=fm_line, rel=rel)
        ), fallback

    return guarded(str(path), "loading", load)


def parse_article(text: str, config: Config, path: str | Path | None = None) -> Article:
    """Parse the text of one Markdown file with frontmatter (YAML, TOML or JSON) into an Article."""

    def parse() -> Article:
        meta, body, fm_line = split_frontmatter(text, path, config)
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


def split_frontmatter(
    text: str, path: str | Path | None = None, config: Config | None = None
) -> tuple[dict[str, Any], str, int]:
    """Return (metadata, body, line where the frontmatter starts) or raise ContentError."""
    from .fields import kind

    split = split_text(text, path, header_lines=config is not None and config.preset_rules.header_lines)
    offset, body = split.offset, split.body
    meta = parse_yaml(split, path) if split.kind == "yaml" else parse_other(split, path)
    if meta is None:
        raise ContentError(
            path,
            None,
            "frontmatter is empty (expected at least title and publishDate)",
            line=1,
            reason="no frontmatter",
        )
    if not isinstance(meta, dict):
        raise ContentError(
            path,
            None,
            f"frontmatter is {kind(meta)}, expected a mapping of field: value",
            line=offset + 1,
            reason="bad frontmatter",
        )
    check_limits(meta, split, path)
    return meta, body, offset + 1


def article_from_metadata(
    meta: Mapping[str, Any],
    body: str | DeferredBody,
    config: Config,
    path: str | Path | None = None,
    line: int | None = None,
    rel: str | None = None,
) -> Article:
    """Map frontmatter fields (with the configured aliases) onto an Article.

    Raises ContentError with the reason "not an article" for a redirect stub, or a file with
    neither a title nor a date (a section's list page, a site page).
    """
    # Imported here: a load that finds its articles in the state store reads no field.
    from .authors import authors_of
    from .fields import NOT_AN_ARTICLE, Fields, not_an_article, read_date

    stub = not_an_article(meta, path)
    if stub is not None:
        raise stub
    if rel is None and path is not None:
        pure = Path(path)
        rel = f"{pure.parent.name}/{pure.name}" if pure.stem.lower() == "index" and pure.parent.name else pure.name
    fields = Fields(meta, config, path)
    name_slug, name_date = file_name_parts(rel, config)
    title = fields.title()
    if title is None and config.preset_rules.title_from_heading:
        title = _first_heading(body.read() if isinstance(body, DeferredBody) else body)
    published = fields.date("published")
    if published is None and name_date is not None:
        published = read_date(name_date, config)
    if title is None and published is None:
        raise ContentError(path, None, "not an article (no title and no date)", reason=NOT_AN_ARTICLE)
    if title is None:
        raise fields.missing("title", "title", "expected text")
    if published is None:
        raise fields.missing("date", "published", "expected YYYY-MM-DD or ISO 8601")
    slug = fields.text("slug")
    if not slug:
        # Pelican makes it from the title; so does a text parsed without a file name.
        slug = name_slug if name_slug and not config.preset_rules.slug_from_title else slugify(title)
    category, more_tags = fields.category()
    tags = _bounded_terms(fields, fields.tags(), more_tags, config.site.max_terms)
    authors, author_urls = authors_of(fields)
    given_id = fields.entry_id()  # before extra: an id that is ignored stays there, for templates
    return Article(
        slug=unicodedata.normalize("NFC", slug.strip()),  # macOS names files in NFD: one slug, one address
        title=title,
        published=published,
        updated=fields.date("updated"),
        authors=authors,
        tags=tags,
        category=category,
        featured=fields.flag("featured"),
        description=fields.text("description"),
        seo_title=fields.text("seo_title"),
        cover_image=fields.cover(),
        source=fields.address("source"),
        draft=fields.flag("draft"),
        body=markdown_body(body, path, config) if isinstance(body, str) else body,
        extra={k: v for k, v in meta.items() if k not in fields.used},
        path=str(path) if path is not None else None,
        id=given_id,
        file=rel,
        author_urls=author_urls,
    )


def _bounded_terms(fields: Fields, tags: tuple[str, ...], more: tuple[str, ...], bound: int) -> tuple[str, ...]:
    """The article's tags (its own, then a list of categories' others), the first ``bound`` of them: the
    rest are named in one warning and dropped (each tag's feeds carry the entry with all its tags)."""
    terms = tuple(distinct_terms(tags + more))  # names that share one feed are one term
    if len(terms) <= bound:
        return terms
    dropped = terms[bound:]
    keys = [fields.raw("tags")[0]] if set(dropped) & set(tags) else []
    keys += [fields.raw("category")[0]] if set(dropped) & set(more) else []
    shown = ", ".join(repr(term[:100]) for term in dropped[:3]) + (", ..." if len(dropped) > 3 else "")
    fields.warn(
        ", ".join(keys), f"{len(terms):,} terms, more than max_terms ({bound:,}): {len(dropped):,} dropped ({shown})"
    )
    return terms[:bound]


def _first_heading(body: str) -> str | None:
    """The text of the body's first level-1 ATX heading, outside fenced code (Docusaurus' title)."""
    from .mdx import first_heading
    from .plain import plain_line

    found = first_heading(body)
    return plain_line(found)[0] if found else None
