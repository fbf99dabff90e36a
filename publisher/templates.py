"""Where Jinja2 templates come from: the site's own folder first, then the ones publisher ships.

A built wheel carries the top-level ``templates/`` folder as ``publisher/templates`` (see
pyproject.toml); a checkout or an editable install finds it beside the package.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import ConfigError

if TYPE_CHECKING:
    import jinja2

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED = [PACKAGE_DIR / "templates", PACKAGE_DIR.parent / "templates"]


def template_dirs(config: Config) -> list[Path]:
    """The folders searched, in order: config ``templates`` (overrides any template), then the bundled ones."""
    dirs = [Path(config.site.templates)] if config.site.templates else []
    return dirs + [d for d in BUNDLED if d.is_dir()]


def template_env(config: Config, *, autoescape: bool = True, kept: Any = None) -> jinja2.Environment:
    """A Jinja2 environment over template_dirs; undefined names are errors, not empty strings. With
    ``kept`` (the build's state store: ``get``/``put`` of meta values, inside its transaction) each
    template is compiled once and kept there (see _kept_compiled)."""
    import jinja2  # only when something is rendered: the build cache lists template_dirs without it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(config)]),
        bytecode_cache=_kept_compiled(kept) if kept is not None else None,
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _kept_compiled(kept: Any) -> jinja2.BytecodeCache:
    """Compiled templates kept in the state store: the feeds page compiles in 30 ms and loads in 1, which
    was most of what an edited post cost a host's build besides its entry. Jinja keys each by the template's
    name and path and checks its source's checksum and Jinja's and Python's versions; a damaged one is
    compiled again. In the database rather than files beside it: one transaction, moved aside with it."""
    import base64
    import hashlib

    import jinja2

    class Compiled(jinja2.BytecodeCache):
        # Jinja's checksum is its source's (not stale), not its own: with its SHA-256, a damaged one (a letter
        # of the page's text changed was served) is compiled again, as HTML kept damaged is rendered again.
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            value = kept.get(f"template {bucket.key}")
            try:
                sha, text = value
                data = base64.b64decode(text, validate=True)
                if hashlib.sha256(data).hexdigest() != sha:
                    raise ValueError("not what was stored")
                bucket.bytecode_from_string(data)
            except Exception:  # none kept, or not Jinja's bytes (unpickling a damaged checksum can raise anything)
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            data = bucket.bytecode_to_string()
            kept.put(f"template {bucket.key}", [hashlib.sha256(data).hexdigest(), base64.b64encode(data).decode()])

    return Compiled()


def render_template(
    config: Config, name: str, *, env: jinja2.Environment | None = None, autoescape: bool = True, **context: Any
) -> str:
    """Render one template; a broken or missing one (a site's own, typically) is a ConfigError naming
    the file and line. Pass ``env`` (from template_env) to reuse compiled templates across calls.
    Every template sees ``config``, the whole Config, besides ``context`` (``site`` is config.site)."""
    import jinja2

    env = env or template_env(config, autoescape=autoescape)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        searched = ", ".join(str(d) for d in template_dirs(config)) or "no template folder"
        raise ConfigError(f"template {name} not found (searched: {searched})") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
    return _render(template, template.filename or name, {"config": config, **context})


def render_string(config: Config, source: str, where: str, *, autoescape: bool = False, **context: Any) -> str:
    """Render a template given as text, e.g. the digest subject from the config; errors name ``where``.

    A one-line setting, so it runs sandboxed (see _sandboxed): a subject cannot hang, fill memory or
    reach Python's internals.
    """
    import jinja2

    try:
        template = _compiled(source, autoescape)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{where}: {source!r} is not a valid template: {exc.message}") from None
    return _render(template, where, {"config": config, **context})


@functools.lru_cache(maxsize=16)
def _compiled(source: str, autoescape: bool) -> jinja2.Template:
    """The template of ``source``, compiled once: a digest renders its subject again as it fits the budget."""
    return _sandboxed(autoescape).from_string(source)


@functools.cache
def _sandboxed(autoescape: bool) -> jinja2.Environment:
    """Jinja2's sandbox (no attributes of Python's internals, ``range`` bounded) with ``*`` and ``**``
    bounded too."""
    import jinja2
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Bounded(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (left, right))
            if operator == "**" and numbers and abs(right) > 64:
                raise SecurityError(f"{left!r} ** {right!r} is too large for a template")
            if operator == "*" and not numbers:
                size = max((x for x in (left, right) if isinstance(x, int)), default=0) * max(
                    (len(x) for x in (left, right) if isinstance(x, (str, list, tuple))), default=0
                )
                if size > 100_000:
                    raise SecurityError("a repeated text or list of over 100,000 items")
            return super().call_binop(context, operator, left, right)

    return Bounded(autoescape=autoescape, undefined=jinja2.StrictUndefined)


def _render(template: jinja2.Template, where: str, context: dict[str, Any]) -> str:
    import jinja2

    try:
        return template.render(**context)
    except jinja2.TemplateError as exc:
        line = _line_in(exc, template.filename)
        raise ConfigError(f"{where}{f':{line}' if line else ''}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - an expression in the template failed: {{ 1/0 }}, {{ x.y() }}
        line = _line_in(exc, template.filename)
        raise ConfigError(
            f"{where}{f':{line}' if line else ''}: the template failed: {type(exc).__name__}: {exc}"
        ) from None


def _line_in(exc: BaseException, filename: str | None) -> int | None:
    """The line of the template where rendering failed: Jinja2 rewrites tracebacks to point into templates."""
    if filename is None or filename.startswith("<"):  # "<template>": made from a string, one line
        return None
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
