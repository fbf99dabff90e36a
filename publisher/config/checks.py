"""Checks of a Config's values that need more than a type: patterns that must fill in, names that
must lead somewhere, files that must not overwrite each other, addresses written as URIs.

Called from ``Config.__post_init__``; each raises ConfigError naming the setting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..content.presets import PRESETS
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..model import Config


def addresses_as_uris(config: Config) -> None:
    """The site's own addresses, written as IRIs in the config ("https://bücher.example/über/"), as URIs.
    Not the digest's url and unsubscribe_url: their {token} and {{ merge tags }} are filled in later,
    by publisher or the ESP, and must reach it as written."""
    from ..content.permalinks import uri

    for name in ("url", "feeds_url", "icon", "logo"):
        value = getattr(config, name)
        if isinstance(value, str):
            try:
                object.__setattr__(config, name, uri(value))
            except ValueError:
                raise ConfigError(f"{name}: {value!r} is not an address") from None


def check_patterns(config: Config) -> None:
    """The permalink and entry id templates must be ones publisher can fill in."""
    from ..content.permalinks import PLACEHOLDERS

    values = dict.fromkeys(PLACEHOLDERS, "x")
    checks: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("permalink", config.permalink, {}), ("[feeds] entry_id", config.entry_id, {"url": "x"}))
    for name, pattern, extra in checks:
        try:
            pattern.format(**values, **extra)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            known = ", ".join("{" + p + "}" for p in (*PLACEHOLDERS, *extra))
            raise ConfigError(
                f"{name}: {pattern!r} is not a pattern publisher can fill ({type(exc).__name__}: {exc}; "
                f"expected placeholders {known})"
            ) from None


def check_reading(config: Config) -> None:
    """preset, exclude and the filters: known names and the right shapes."""
    if config.preset and config.preset not in PRESETS:
        raise ConfigError(f"preset: {config.preset!r} is not a known preset (known: {', '.join(PRESETS)})")
    exclude = config.preset_rules.exclude if config.exclude is None else config.exclude
    if isinstance(exclude, str) or not all(isinstance(p, str) and p for p in exclude):
        raise ConfigError(f"exclude: {config.exclude!r} is not valid (expected a list of file name patterns, "
                          "e.g. [\"README*\", \"drafts/*\"])")
    object.__setattr__(config, "exclude", tuple(exclude))
    for name in ("body_filters", "html_filters"):
        value = getattr(config, name)
        if isinstance(value, str) or callable(value):
            value = (value,)
        if not all(callable(f) or (isinstance(f, str) and f) for f in value):
            raise ConfigError(f"{name}: expected a list of functions or \"module:function\" names")
        object.__setattr__(config, name, tuple(value))
        if value:
            from ..content.filters import resolve

            for spec in value:  # a name that leads nowhere is a configuration error now, not at render
                try:
                    resolve(spec)
                except ConfigError as exc:
                    raise ConfigError(f"{name}: {exc}") from None


def check_markdown(config: Config) -> None:
    from ..markup.engines import PYTHON_MARKDOWN_EXTENSIONS, engine_names

    if config.markdown_engine not in engine_names():
        raise ConfigError(f"[markdown] engine: {config.markdown_engine!r} is not a Markdown engine "
                          f"(choices: {', '.join(engine_names())})")
    extensions = config.markdown_extensions
    if isinstance(extensions, str) or not all(isinstance(name, str) for name in extensions):
        raise ConfigError(f"[markdown] extensions: {extensions!r} is not valid (expected a list of "
                          "Python-Markdown extension names)")
    object.__setattr__(config, "markdown_extensions", tuple(extensions))
    if config.markdown_engine != "python-markdown" and config.markdown_extensions != PYTHON_MARKDOWN_EXTENSIONS:
        # Said rather than ignored: the other engines have a fixed dialect.
        raise ConfigError(f"[markdown] extensions: only used with engine = \"python-markdown\", "
                          f"not with {config.markdown_engine!r}")


def check_feed_names(config: Config) -> None:
    """File names that would overwrite each other, or patterns that cannot be filled in, are errors."""
    files = ("atom_file", "rss_file", "json_file", "featured_atom_file", "featured_rss_file", "featured_json_file",
             "feeds_index_file")
    seen: dict[str, str] = {}
    for name in files:
        value = getattr(config, name)
        if value and value in seen:
            raise ConfigError(f"{name}: {value!r} is also {seen[value]}; every feed needs a file of its own")
        seen[value] = name
    for name, needs in (("tag_feed_pattern", "{slug} and {format}"), ("category_feed_pattern", "{slug} and {format}"),
                        ("tag_json_pattern", "{slug}"), ("category_json_pattern", "{slug}")):
        pattern = getattr(config, name)
        if pattern == "":
            continue  # none of these feeds
        try:
            filled = {pattern.format(slug=slug, format=fmt) for slug in ("a", "b") for fmt in ("atom", "rss")}
        except (KeyError, IndexError, ValueError):
            filled = set()
        if len(filled) != (4 if "format" in needs else 2):
            raise ConfigError(f"{name}: {pattern!r} must contain {needs} (and no other {{...}})")


# One-line settings that end up in a message header or a link, by their key in publisher.toml (the
# digest's addresses are read strictly in addresses.check_mail_settings).
_ONE_LINE = {"title": "title", "url": "url", "author": "author", "feeds_url": "[feeds] url",
             "smtp_host": "[smtp] host", "smtp_user": "[smtp] user"}
# Addresses a reader's software fetches or follows: http(s) only (urls.py); icon and logo may be
# relative to ``url``. The digest's own may also be an ESP's merge tag (``*|UNSUB|*``): only an
# address with another scheme (javascript:, data:, file:) is refused there.
_WEB_ADDRESSES = {"feeds_url": "[feeds] url", "icon": "icon", "logo": "logo"}
_DIGEST_ADDRESSES = {"digest_url": "[digest] url", "unsubscribe_url": "[digest] unsubscribe_url"}


def check_bounds_and_addresses(config: Config) -> None:
    """Sizes within bounds, one-line settings on one line, and web addresses that are http(s)."""
    from ..content import READ_CEILING
    from ..email.addresses import no_line_breaks
    from ..urls import web_url

    if not 1 <= config.max_article_bytes <= READ_CEILING:
        raise ConfigError(f"max_article_bytes: {config.max_article_bytes} must be 1 to {READ_CEILING:,} bytes")
    if config.digest_budget < 1:
        raise ConfigError(f"[digest] budget: {config.digest_budget} must be 1 or more bytes of HTML")
    for name, key in _ONE_LINE.items():
        value = getattr(config, name)
        if isinstance(value, str):
            no_line_breaks(value, key)
    for name, key in _WEB_ADDRESSES.items():
        value = getattr(config, name)
        base = config.url if name in ("icon", "logo") else None
        if value is not None and web_url(value, base) is None:
            raise ConfigError(f"{key}: {value!r} is not an {'' if base else 'absolute '}http(s) address")
    for name, key in _DIGEST_ADDRESSES.items():
        value = getattr(config, name)
        if value is not None and web_url(value, keep_relative=True) is None and web_url(value, config.url) is None:
            raise ConfigError(f"{key}: {value!r} is not an http(s) address")
