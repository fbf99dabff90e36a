"""Where Jinja2 templates come from: the site's own folder first, then the ones publisher ships.

A built wheel carries the top-level ``templates/`` folder as ``publisher/templates`` (see
pyproject.toml); a checkout or an editable install finds it beside the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .model import Config

if TYPE_CHECKING:
    import jinja2

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED = [PACKAGE_DIR / "templates", PACKAGE_DIR.parent / "templates"]


def template_dirs(config: Config) -> list[Path]:
    """The folders searched, in order: config ``templates`` (overrides any template), then the bundled ones."""
    dirs = [Path(config.templates_dir)] if config.templates_dir else []
    return dirs + [d for d in BUNDLED if d.is_dir()]


def template_env(config: Config, *, autoescape: bool = True) -> jinja2.Environment:
    """A Jinja2 environment over template_dirs; undefined names are errors, not empty strings."""
    import jinja2  # only when something is rendered: the build cache lists template_dirs without it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(config)]),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(config: Config, name: str, **context: Any) -> str:
    """Render one template; a broken or missing one (a site's own, typically) is a ConfigError naming the file."""
    import jinja2

    env = template_env(config)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        searched = ", ".join(str(d) for d in template_dirs(config)) or "no template folder"
        raise ConfigError(f"template {name} not found (searched: {searched})") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
    try:
        return template.render(**context)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"{template.filename or name}: {exc}") from None
