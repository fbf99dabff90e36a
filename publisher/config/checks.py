"""Checks of the configuration's values that need more than a type: patterns that must fill in, names that
must lead somewhere, files that must not overwrite each other, addresses written as URIs.

Called from the sections' ``__post_init__`` (config/sections.py) and Config's; each raises ConfigError
naming the setting as the flat Config of earlier releases did, which is what users' scripts and the tests match.
"""

from __future__ import annotations

import dataclasses
import math
import string
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..content.presets import PRESETS
from ..errors import ConfigError

if TYPE_CHECKING:
    from .feeds import Feeds
    from .mail import Smtp
    from .sections import Markdown, Site


_WANTED = {"bool": "true or false", "int": "a whole number", "str": "text in quotes"}


def check_types(section: Any, table: str) -> None:
    """Every setting of ``section`` has the type its field declares, whether it came from publisher.toml or
    from code: a wrong type is a ConfigError here, never a TypeError deep in a build. A list setting may be
    given as any iterable (kept as a tuple); a single text for one is left to its own check, which says
    what it wants. ``table``: the section's table in publisher.toml ("" for the top level)."""
    for field in dataclasses.fields(section):
        value = getattr(section, field.name)
        hint = str(field.type)
        optional = hint.endswith(" | None")
        kind = hint.removesuffix(" | None")
        label = (
            f"{table}.{field.metadata.get('key') or field.name}" if table else (field.metadata.get("key") or field.name)
        )
        if value is None:
            if optional:
                continue
            raise ConfigError(f"{label}: None is not valid (expected {_WANTED.get(kind, 'a list')})")
        if kind.startswith("tuple["):
            if isinstance(value, str):
                continue
            if not isinstance(value, Iterable) or isinstance(value, (bytes, Mapping)):
                raise ConfigError(f"{label}: {value!r} is not valid (expected a list)")
            value = tuple(value)  # a generator is read once, here
            if kind == "tuple[str, ...]" and not all(isinstance(item, str) for item in value):
                raise ConfigError(f"{label}: {value!r} is not valid (expected a list of texts in quotes)")
            object.__setattr__(section, field.name, value)
        elif kind == "bool" and not isinstance(value, bool):
            raise ConfigError(f"{label}: {value!r} is not valid (expected {_WANTED[kind]})")
        elif kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{label}: {value!r} is not valid (expected {_WANTED[kind]})")
        elif kind == "str" and not isinstance(value, str):
            raise ConfigError(f"{label}: {value!r} is not valid (expected {_WANTED[kind]})")
        elif kind == "float" and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
        ):
            raise ConfigError(f"{label}: {value!r} is not valid (expected a number)")


def addresses_as_uris(section: Site | Feeds, names: Mapping[str, str]) -> None:
    """The site's own addresses, written as IRIs in the config ("https://bücher.example/über/"), as URIs.
    Not the digest's url and unsubscribe_url: their {token} and {{ merge tags }} are filled in later,
    by publisher or the ESP, and must reach it as written. ``names``: attribute -> name in messages."""
    from ..content.permalinks import uri

    for name, key in names.items():
        value = getattr(section, name)
        if isinstance(value, str):
            try:
                object.__setattr__(section, name, uri(value))
            except ValueError:
                raise ConfigError(f"{key}: {value!r} is not an address") from None


def check_placeholders(label: str, pattern: str, allowed: Iterable[str] | None) -> None:
    """Only ``{name}`` placeholders of ``allowed``: no format spec, conversion or attribute ("{slug:>99999999}"
    would fill memory, "{slug.__class__}" reach into Python), so that filling a pattern in is always cheap.
    ``allowed`` None: any plain name (the caller says which are missing or unknown)."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(pattern)]
    except ValueError as exc:
        raise ConfigError(f"{label}: {pattern!r} is not a pattern ({exc})") from None
    for name, spec, conversion in fields:
        plain = name is None or name.isidentifier()
        if name is not None and ((allowed is not None and name not in allowed) or not plain or spec or conversion):
            known = ", ".join("{" + p + "}" for p in sorted(allowed or ())) or "plain {name} placeholders"
            shown = "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
            raise ConfigError(f"{label}: {pattern!r}: {shown} is not a placeholder (expected only {known})")


def check_pattern(name: str, pattern: str, **extra: str) -> None:
    """The permalink and entry id templates must be ones publisher can fill in."""
    from ..content.permalinks import PLACEHOLDERS

    check_placeholders(name, pattern, None)  # names are checked below, where the message lists them
    values = dict.fromkeys(PLACEHOLDERS, "x")
    try:
        pattern.format(**values, **extra)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        known = ", ".join("{" + p + "}" for p in (*PLACEHOLDERS, *extra))
        raise ConfigError(
            f"{name}: {pattern!r} is not a pattern publisher can fill ({type(exc).__name__}: {exc}; "
            f"expected placeholders {known})"
        ) from None


def check_reading(site: Site) -> None:
    """preset, exclude and the filters: known names and the right shapes."""
    if site.preset and site.preset not in PRESETS:
        raise ConfigError(f"preset: {site.preset!r} is not a known preset (known: {', '.join(PRESETS)})")
    exclude = site.preset_rules.exclude if site.exclude is None else site.exclude
    if isinstance(exclude, str) or not all(isinstance(p, str) and p for p in exclude):
        raise ConfigError(
            f"exclude: {site.exclude!r} is not valid (expected a list of file name patterns, "
            'e.g. ["README*", "drafts/*"])'
        )
    object.__setattr__(site, "exclude", tuple(exclude))
    for name in ("body_filters", "html_filters"):
        value = getattr(site, name)
        if isinstance(value, str) or callable(value):
            value = (value,)
        if not all(callable(f) or (isinstance(f, str) and f) for f in value):
            raise ConfigError(f'{name}: expected a list of functions or "module:function" names')
        object.__setattr__(site, name, tuple(value))
        if value:
            from ..content.filters import resolve

            for spec in value:  # a name that leads nowhere is a configuration error now, not at render
                try:
                    resolve(spec)
                except ConfigError as exc:
                    raise ConfigError(f"{name}: {exc}") from None


def check_markdown(markdown: Markdown) -> None:
    from ..markup.engines import PYTHON_MARKDOWN_EXTENSIONS, engine, engine_names

    if markdown.engine not in engine_names():
        raise ConfigError(
            f"[markdown] engine: {markdown.engine!r} is not a Markdown engine (choices: {', '.join(engine_names())})"
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
        engine(markdown.engine, markdown.extensions)  # loads them now: a name that leads nowhere is this error


def check_feeds(feeds: Feeds) -> None:
    """[feeds] url one line and http(s); the entry id a pattern; file names that would overwrite each other,
    or patterns that cannot be filled in, are errors."""
    from ..email.addresses import no_line_breaks
    from ..urls import web_url

    if isinstance(feeds.url, str):
        no_line_breaks(feeds.url, "[feeds] url")
        if web_url(feeds.url) is None:
            raise ConfigError(f"[feeds] url: {feeds.url!r} is not an absolute http(s) address")
    check_pattern("[feeds] entry_id", feeds.entry_id, url="x")
    files = {
        "atom": "[feeds] atom",
        "rss": "[feeds] rss",
        "json": "[feeds] json",
        "featured_atom": "[feeds] featured_atom",
        "featured_rss": "[feeds] featured_rss",
        "featured_json": "[feeds] featured_json",
        "index": "[feeds] index",
    }
    seen: dict[str, str] = {}
    for name, label in files.items():
        value = getattr(feeds, name)
        if value:
            check_output_name(f"[feeds] {name}", value)
        if value and value in seen:
            raise ConfigError(f"{label}: {value!r} is also {seen[value]}; every feed needs a file of its own")
        seen[value] = label
    for name, label, needs in (
        ("tag_pattern", "[feeds] tag_pattern", "{slug} and {format}"),
        ("category_pattern", "[feeds] category_pattern", "{slug} and {format}"),
        ("tag_json_pattern", "[feeds] tag_json_pattern", "{slug}"),
        ("category_json_pattern", "[feeds] category_json_pattern", "{slug}"),
    ):
        pattern = getattr(feeds, name)
        if pattern == "":
            continue  # none of these feeds
        check_placeholders(label, pattern, None)
        try:
            filled = {pattern.format(slug=slug, format=fmt) for slug in ("a", "b") for fmt in ("atom", "rss")}
        except (KeyError, IndexError, ValueError):
            filled = set()
        if len(filled) != (4 if "format" in needs else 2):
            raise ConfigError(f"{label}: {pattern!r} must contain {needs} (and no other {{...}})")
        for example in sorted(filled):
            check_output_name(f"[feeds] {name}", example)


def check_output_folders(feeds: Feeds, newsletter_archive: bool) -> None:
    """No output file has the name of a folder that another output is written into (``atom = "tags"``
    with tag feeds on): one of the two could never be written, on every build."""
    # (label, pattern as written, one file name it gives), for every output that is on.
    outputs = [(f"[feeds] {name}", getattr(feeds, name), getattr(feeds, name)) for name in _FEED_FILES]
    switched = {"tag": feeds.tags, "category": feeds.categories}
    for name in ("tag_pattern", "tag_json_pattern", "category_pattern", "category_json_pattern"):
        if switched[name.split("_")[0]]:
            pattern = getattr(feeds, name)
            outputs.append((f"[feeds] {name}", pattern, pattern.replace("{slug}", "a").replace("{format}", "atom")))
    if feeds.archives:
        outputs.append(("[feeds] archive_pattern", feeds.archive_pattern, feeds.archive_file(2025)))
    if newsletter_archive:
        outputs.append(("the newsletter's web archive", "newsletter/", "newsletter/index.html"))
    files = [(label, file) for label, file, _ in outputs if file and "{" not in file and not file.endswith("/")]
    for label, file in files:
        for other, pattern, example in outputs:
            if example and example.startswith(f"{file}/"):  # "" turns an output off
                raise ConfigError(
                    f"{label}: {file!r} is also the folder of {other} ({pattern!r}); "
                    "a file and a folder cannot share a name"
                )


_FEED_FILES = ("atom", "rss", "json", "featured_atom", "featured_rss", "featured_json", "index")


def check_output_name(label: str, name: str) -> None:
    """A feed's file name, or a pattern filled in, names a file inside the output folder: relative, without
    ".." or a backslash. The build checks every path again when it writes (output.write_inside)."""
    parts = name.split("/")
    if name.startswith(("/", "~")) or "\\" in name or ".." in parts or (len(parts[0]) > 1 and parts[0][1] == ":"):
        raise ConfigError(
            f"{label}: {name!r} would be written outside the output folder (expected a relative file name such as "
            '"atom.xml" or "tags/{slug}.atom.xml", without ".." or a leading "/")'
        )


def check_site_bounds_and_addresses(site: Site) -> None:
    """The article size within bounds, one-line settings on one line, icon and logo http(s) (relative
    to ``url`` allowed): addresses a reader's software fetches or follows (urls.py)."""
    from ..content import READ_CEILING
    from ..content.frontmatter import MAX_FRONTMATTER_VALUES
    from ..email.addresses import no_line_breaks
    from ..urls import web_url

    if not 1 <= site.max_article_bytes <= READ_CEILING:
        raise ConfigError(f"max_article_bytes: {site.max_article_bytes} must be 1 to {READ_CEILING:,} bytes")
    if not 1 <= site.max_terms <= MAX_FRONTMATTER_VALUES:
        raise ConfigError(f"max_terms: {site.max_terms} must be 1 to {MAX_FRONTMATTER_VALUES:,}")
    for name in ("title", "url", "author"):  # they end up in a message header or a link
        value = getattr(site, name)
        if isinstance(value, str):
            no_line_breaks(value, name)
            control = next((c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0), None)
            if control is not None:  # shown as is on the feeds page and in mail clients
                raise ConfigError(f"{name}: {value!r} holds a control character (U+{ord(control):04X})")
    for name in ("icon", "logo"):
        value = getattr(site, name)
        if value is not None and web_url(value, site.url) is None:
            raise ConfigError(f"{name}: {value!r} is not an http(s) address")


def check_smtp(smtp: Smtp) -> None:
    from ..email.addresses import no_line_breaks

    for name in ("host", "user"):
        value = getattr(smtp, name)
        if isinstance(value, str):
            no_line_breaks(value, f"[smtp] {name}")
    if smtp.starttls and smtp.ssl:
        raise ConfigError(
            "[smtp] starttls and ssl cannot both be on: ssl is TLS from the start (port 465), "
            "starttls upgrades a plain connection (port 587); choose the one the server offers"
        )
    if smtp.port is not None and not 0 < smtp.port < 65536:
        raise ConfigError(f"[smtp] port: {smtp.port!r} is not a port number (587 for STARTTLS, 465 for SSL)")


def check_digest_addresses(site: Site, digest_url: str | None, unsubscribe_url: str | None) -> None:
    """The digest's own addresses may be relative to the site's url, or an ESP's merge tag (``*|UNSUB|*``):
    only an address with another scheme (javascript:, data:, file:) is refused."""
    from ..urls import web_url

    for key, value in (("[digest] url", digest_url), ("[digest] unsubscribe_url", unsubscribe_url)):
        if value is not None and web_url(value, keep_relative=True) is None and web_url(value, site.url) is None:
            raise ConfigError(f"{key}: {value!r} is not an http(s) address")
