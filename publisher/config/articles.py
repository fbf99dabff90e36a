"""[html], [markdown] and [fields]: the sections that say how an article is read and turned into HTML (see
config/sections.py for how a section's fields are defined and used)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from . import checks
from .sections import about

# The Markdown engines [markdown] engine names: the bundled ones, and each that markup/engines.py's
# register() adds (their code is there; the names are the setting's, checked here).
DEFAULT_ENGINE = "gfm"
ENGINE_NAMES: list[str] = [DEFAULT_ENGINE, "python-markdown"]
# Python-Markdown's extensions when [markdown] extensions is not set (what publisher always used).
PYTHON_MARKDOWN_EXTENSIONS: tuple[str, ...] = ("tables", "fenced_code", "footnotes", "attr_list", "sane_lists")


@dataclass(frozen=True)
class Html:
    """[html]: changes to the allow-list of tags for article bodies in feeds (markup/html.py ALLOWED_TAGS)."""

    allow: tuple[str, ...] = field(
        default=(),
        metadata=about("HTML tag names added to the allow-list for article bodies (`script` and `style` never pass)."),
    )
    deny: tuple[str, ...] = field(
        default=(), metadata=about("HTML tag names removed from the allow-list for article bodies.")
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "html")
        for name in ("allow", "deny"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(tag, str) for tag in value):
                raise ConfigError(f"[html] {name}: expected a list of HTML tag names")
            object.__setattr__(self, name, tuple(tag.lower() for tag in value))


@dataclass(frozen=True)
class Markdown:
    """[markdown]: the engine that turns bodies into HTML (markup/engines.py)."""

    engine: str = field(
        default=DEFAULT_ENGINE,
        metadata=about(
            "How bodies become HTML: `gfm` (CommonMark with GitHub's extensions, pyromark) or `python-markdown`; see "
            "[Markdown engines](articles.md#markdown-engines)."
        ),
    )
    extensions: tuple[str, ...] = field(
        default=PYTHON_MARKDOWN_EXTENSIONS,
        metadata=about('Python-Markdown\'s extensions, with `engine = "python-markdown"` only.'),
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "markdown")
        _check_markdown(self)


def _check_markdown(markdown: Markdown) -> None:
    if markdown.engine not in ENGINE_NAMES:
        raise ConfigError(
            f"[markdown] engine: {markdown.engine!r} is not a Markdown engine (choices: {', '.join(ENGINE_NAMES)})"
        )
    extensions = markdown.extensions
    if isinstance(extensions, str) or not all(isinstance(name, str) for name in extensions):
        raise ConfigError(
            f"[markdown] extensions: {extensions!r} is not valid (expected a list of Python-Markdown extension names)"
        )
    object.__setattr__(markdown, "extensions", tuple(extensions))
    if markdown.engine != "python-markdown" and markdown.extensions != PYTHON_MARKDOWN_EXTENSIONS:
        # Said rather than ignored: the other engines have a fixed dialect.
        raise ConfigError(
            f'[markdown] extensions: only used with engine = "python-markdown", not with {markdown.engine!r}'
        )
    if markdown.extensions != PYTHON_MARKDOWN_EXTENSIONS:
        import markdown as python_markdown  # ~50 ms: only for a site that names extensions of its own

        try:  # loads them now: a name that leads nowhere is this error, not every article's
            python_markdown.Markdown(extensions=list(markdown.extensions))
        except Exception as exc:  # noqa: BLE001 - Python-Markdown raises whatever the extension's import raised
            raise ConfigError(
                f"[markdown] extensions: {list(markdown.extensions)!r} could not be loaded by Python-Markdown "
                f"({type(exc).__name__}: {exc})"
            ) from None


def _names(description: str) -> Any:
    """A [fields] setting: unset (None) until Config fills it in from the preset's names, else DEFAULT_FIELDS.
    An empty list switches the field off (``id = []``: no frontmatter key is read for it)."""
    return field(default=None, metadata=about(description))


_REQUIRED = ("title", "published")  # an article has neither without them: never switched off


@dataclass(frozen=True)
class Fields(Mapping[str, tuple[str, ...]]):
    """[fields]: which frontmatter names fill each article field, first found wins. A field left unset
    keeps the preset's names, else model.DEFAULT_FIELDS; Config fills every one in, so ``config.fields``
    names them all. Also a read-only mapping (``config.fields["published"]``) of the fields that are set."""

    slug: tuple[str, ...] | None = _names("The article's slug (its URL segment); none: the file or folder name.")
    title: tuple[str, ...] | None = _names("The article's title.")
    published: tuple[str, ...] | None = _names("The publication date: the entry's `published`; required.")
    updated: tuple[str, ...] | None = _names("The date of the last change: the entry's `updated` when later.")
    author: tuple[str, ...] | None = _names("The author or authors (names, or mappings with a `name`).")
    tags: tuple[str, ...] | None = _names("The tags (a list, or one tag).")
    category: tuple[str, ...] | None = _names("The category (the first, for a list).")
    featured: tuple[str, ...] | None = _names("Featured or not: featured feeds and the digest's lead.")
    description: tuple[str, ...] | None = _names("The summary in feeds, the feeds page and the digest.")
    seo_title: tuple[str, ...] | None = _names("A title for search engines, kept for templates.")
    cover_image: tuple[str, ...] | None = _names("The cover image: enclosure, media thumbnail, digest image.")
    source: tuple[str, ...] | None = _names("Where the article first appeared.")
    draft: tuple[str, ...] | None = _names(
        "Draft or not; a name starting with `!` is read inverted (Jekyll's `!published`)."
    )
    id: tuple[str, ...] | None = _names(
        "The entry id (a URI; other text is ignored with a warning); none: `[feeds] entry_id` decides."
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "fields")
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            if value is not None and (isinstance(value, str) or not all(isinstance(n, str) and n for n in value)):
                raise ConfigError(f"[fields] {name}: expected a frontmatter name or a list of names")
            if value is not None and not value and name in _REQUIRED:
                raise ConfigError(f"[fields] {name}: cannot be switched off (every article needs one); name it")
            object.__setattr__(self, name, None if value is None else tuple(value))

    def __getitem__(self, name: str) -> tuple[str, ...]:
        value: tuple[str, ...] | None = getattr(self, name) if name in self.__dataclass_fields__ else None
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.__dataclass_fields__ if getattr(self, name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
