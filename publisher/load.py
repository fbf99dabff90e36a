"""Files -> Articles: frontmatter, dates, text repair. Per-file errors are collected, not raised.

python-frontmatter's ``loads`` hides three problems this module must report: a file with no
frontmatter (or frontmatter that is not a mapping) comes back as ``{}`` plus the whole text, a YAML
error carries a line relative to the frontmatter, and a UTF-8 BOM makes the frontmatter vanish.
So the file is decoded here, split with python-frontmatter's own YAML boundary (content.py), and
parsed with a safe loader (libyaml's when present) whose error marks are shifted to the file's own
line numbers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from .content import SourceFile, decode, frontmatter_bounds, read_body, read_bytes, scan
from .errors import ContentError
from .model import Article, Config, DeferredBody
from .text import repair, repair_line

log = logging.getLogger("publisher")

@functools.cache
def _yaml() -> tuple[Any, type]:
    """PyYAML and our loader, imported on first use: a build that finds nothing changed needs neither."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser when present

    class FrontmatterLoader(base):  # type: ignore[misc,valid-type]
        """Safe YAML, but timestamps stay text: dates are parsed here, where a bad one can be
        reported by field name (PyYAML raises a bare ValueError for ``2025-13-45``)."""

    FrontmatterLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return yaml, FrontmatterLoader


# YAML aliases let a few lines describe billions of values ("billion laughs"); PyYAML builds them
# as shared references, cheaply, but anything that walks the result (templates, the cache) would
# not finish. Frontmatter whose expanded size passes this many values is refused.
MAX_FRONTMATTER_VALUES = 10_000

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


def report(exc: ContentError, errors: list[ContentError] | None, strict: bool, *, quiet: bool = False) -> None:
    if strict:
        raise exc
    if not quiet:
        log.warning("skipped %s", exc)
    if errors is not None:
        errors.append(exc)


def load_article(path: str | Path, config: Config) -> Article:
    """Load one file. Raises ContentError naming the file, line and field."""
    return article_from_bytes(read_bytes(path), path, config)[0]


def article_from_bytes(raw: bytes, path: str | Path, config: Config) -> tuple[Article, bool]:
    """(article, whether the fallback encoding was needed) from a file's bytes.

    The whole file is decoded, so a bad byte anywhere is reported now, with its offset; only the
    frontmatter is parsed, and the body is read again from the file if an output needs it.
    """
    text, fallback = decode(raw, path, config)
    meta, _, fm_line = split_frontmatter(text, path)
    body = DeferredBody(functools.partial(read_body, path, config))
    return article_from_metadata(meta, body, config, path=path, line=fm_line), fallback


def parse_article(text: str, config: Config, path: str | Path | None = None) -> Article:
    """Parse the text of one Markdown file with YAML frontmatter into an Article."""
    meta, body, fm_line = split_frontmatter(text, path)
    return article_from_metadata(meta, body, config, path=path, line=fm_line)


def split_frontmatter(text: str, path: str | Path | None = None) -> tuple[dict[str, Any], str, int]:
    """Return (metadata, body, line of the opening ``---``) or raise ContentError."""
    block, offset, body = frontmatter_bounds(text, path)
    yaml, loader = _yaml()
    try:
        meta = yaml.load(block, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = offset + mark.line + 1 if mark is not None else None
        column = f", column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ContentError(path, None, f"frontmatter is not valid YAML: {problem}{column}", line=line,
                           reason="bad YAML") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, None, f"frontmatter is not valid YAML: {exc}", line=offset + 1,
                           reason="bad YAML") from None
    if meta is None:
        raise ContentError(path, None, "frontmatter is empty (expected at least title and publishDate)", line=1,
                           reason="no frontmatter")
    if not isinstance(meta, dict):
        raise ContentError(
            path, None, f"frontmatter is {_kind(meta)}, expected a mapping of field: value", line=offset + 1,
            reason="bad frontmatter",
        )
    # Without an alias ("*name") every value is written out in the text, so a block this short cannot
    # hold more than the limit (each value takes at least one character) and is not walked.
    expandable = "*" in block or len(block) >= MAX_FRONTMATTER_VALUES // 2
    if expandable and _expanded_size(meta, MAX_FRONTMATTER_VALUES) > MAX_FRONTMATTER_VALUES:
        raise ContentError(
            path, None, f"frontmatter expands to more than {MAX_FRONTMATTER_VALUES:,} values (YAML aliases?); refused",
            line=offset + 1, reason="oversized frontmatter",
        )
    return meta, body, offset + 1


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
    slug = fields.text("slug") or (Path(path).stem if path is not None else None)
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
        cover_image=fields.text("cover_image"),
        source=fields.text("source"),
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
            raise self.error(key, f"expected text, got {_kind(value)}")
        value = repair_line(value)
        if not value:
            if required:
                raise self.error(key, "is empty (expected text)", reason=f"missing {key}")
            return None
        return value

    def date(self, name: str, required: bool = False) -> datetime | None:
        key, value = self.raw(name)
        if value is None:
            if required:
                raise self.error(key, "missing (expected a date: YYYY-MM-DD or ISO 8601)", reason=f"missing {key}")
            return None
        parsed = parse_date(value, self.config)
        if parsed is None:
            raise self.error(key, f"{value!r} is not a date (expected YYYY-MM-DD or ISO 8601)", reason="bad date")
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
            raise self.error(key, f"expected a list of tags, got {_kind(value)}")
        tags = []
        for item in value:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                tag = repair_line(str(item))
                if tag:
                    tags.append(tag)
            elif item is not None:
                raise self.error(key, f"expected a list of tags, found {_kind(item)} in it")
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
            raise self.error(key, f"expected a name, got {_kind(value)}")
        return repair_line(value) or None


def parse_date(value: Any, config: Config) -> datetime | None:
    """A YAML date/datetime or an ISO 8601 string -> aware datetime; naive values are in the site's zone."""
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


def _expanded_size(value: Any, budget: int) -> int:
    """Count values as if every alias were copied out, stopping once past ``budget``.

    Bounded in time however the YAML was built, recursive structures (``&a [*a]``) included.
    """
    count = 0
    stack = [value]
    while stack and count <= budget:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _kind(value: Any) -> str:
    """What a YAML value is, in words, with its article: "a list", "text", ..."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}"
