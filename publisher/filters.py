"""The seam for site markup publisher does not know: body filters and HTML filters.

A generator's own body syntax (Hugo shortcodes, Go template actions such as
``{{image "x.jpg" 850}}``, Liquid tags) would otherwise reach the feeds as literal text. A filter
is a function ``text -> text``: body filters run on the Markdown before it is rendered, HTML
filters on the HTML after it (and before it is sanitised and its links made absolute, so a filter
cannot let a script through and may write relative addresses).

They come from three places, in the order given:

- a library caller passes functions: ``Site(body_filters=[expand_images])``;
- publisher.toml names them: ``body_filters = ["mysite.markup:expand_images"]`` (a module on the
  Python path) or ``["filters.py:expand_images"]`` (a file, relative to publisher.toml);
- an installed package registers them in the ``publisher.filters`` entry point group, and the
  config names the entry point: ``body_filters = ["go-image"]``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .errors import ConfigError

GROUP = "publisher.filters"

Filter = Callable[[str], str]


def resolve(spec: Any) -> Filter:
    """The function a filter setting names (a function is itself); ConfigError when there is none."""
    if callable(spec):
        return spec  # type: ignore[no-any-return]
    return _named(str(spec))


@functools.cache
def _named(spec: str) -> Filter:
    location, colon, name = spec.rpartition(":")
    if colon and location.endswith(".py"):
        found = _from_file(Path(location), name, spec)
    elif colon and location:
        try:
            module = importlib.import_module(location)
        except ImportError as exc:
            raise ConfigError(f"filter {spec!r}: cannot import {location!r} ({exc})") from None
        found = _attribute(module, name, spec)
    else:
        found = _entry_point(spec)
    if not callable(found):
        raise ConfigError(f"filter {spec!r}: {found!r} is not a function")
    return found  # type: ignore[no-any-return]


def _from_file(path: Path, name: str, spec: str) -> Any:
    if not path.is_file():
        raise ConfigError(f"filter {spec!r}: {path}: no such file")
    module_spec = importlib.util.spec_from_file_location(f"publisher_site_filters_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise ConfigError(f"filter {spec!r}: {path} is not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:  # the site's own code: whatever it raises, say where
        raise ConfigError(f"filter {spec!r}: {path} failed to load ({type(exc).__name__}: {exc})") from None
    return _attribute(module, name, spec)


def _attribute(module: Any, name: str, spec: str) -> Any:
    found = module
    for part in name.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ConfigError(f"filter {spec!r}: {module.__name__} has no {name!r}") from None
    return found


def _entry_point(name: str) -> Any:
    points = entry_points(group=GROUP)
    for point in points:
        if point.name == name:
            try:
                return point.load()
            except Exception as exc:  # a broken package: name it
                raise ConfigError(
                    f"filter {name!r}: entry point {point.value!r} failed to load ({type(exc).__name__}: {exc})"
                ) from None
    known = ", ".join(sorted(p.name for p in points)) or "none installed"
    raise ConfigError(
        f'filter {name!r}: no such filter (expected "module:function", "file.py:function" '
        f"or the name of a {GROUP} entry point: {known})"
    )


def apply(specs: Iterable[Any], text: str) -> str:
    """``text`` through each filter in turn."""
    for spec in specs:
        text = resolve(spec)(text)
        if not isinstance(text, str):
            raise TypeError(f"filter {spec!r} returned {type(text).__name__}, not text")
    return text


def describe(spec: Any) -> str:
    """A filter as a stable name (the build cache compares settings between runs)."""
    if callable(spec):
        return f"{getattr(spec, '__module__', '?')}:{getattr(spec, '__qualname__', repr(spec))}"
    return str(spec)
