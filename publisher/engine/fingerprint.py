"""What decides a build's output besides the articles, as digests a later build can compare cheaply.

Checking that nothing changed must cost next to nothing (a cron job runs it every few minutes
over years of articles), so it reads only file listings and stats: the content folder's, the
template folders', publisher's own code and the libraries that shape the output. Nothing here
imports Markdown, feedgen, lxml, YAML or Jinja2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ..config import Config, Site
from ..content import SourceFile
from ..templates import template_dirs
from .state import StateStore, output_key

FORMAT = 1
# Libraries whose upgrade can change the output; their installed files are part of the settings.
LIBRARIES = (
    "markdown",
    "nh3",
    "lxml",
    "feedgen",
    "ftfy",
    "yaml",
    "jinja2",
    "premailer",
    "frontmatter",
    "pyromark",
    "cmarkgfm",
    "markdown_it_pyrs",
)
_PACKAGE = Path(__file__).resolve().parent
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclasses.dataclass
class Fingerprint:
    """The last build as the nothing-changed check needs it (the ``fingerprint`` meta value)."""

    settings: str
    inputs: str
    window: list[datetime | None] = dataclasses.field(default_factory=lambda: [None, None])
    statics: list[str] = dataclasses.field(default_factory=list)
    articles: int = 0
    published: int = 0

    @classmethod
    def read(cls, store: StateStore, config: Config) -> Fingerprint | None:
        value = store.get(fingerprint_key(output_key(config)))
        try:
            low, high = value["window"]
            return cls(
                settings=str(value["settings"]),
                inputs=str(value["inputs"]),
                window=[_moment(low), _moment(high)],
                statics=[str(p) for p in value["statics"]],
                articles=int(value["articles"]),
                published=int(value["published"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def write(self, store: StateStore, config: Config) -> None:
        """Record it (inside the build's transaction), with the stats of the static files it names."""
        folder = output_key(config)
        store.put(
            fingerprint_key(folder),
            {
                "settings": self.settings,
                "inputs": self.inputs,
                "window": [_micros(m) if m is not None else None for m in self.window],
                "statics": self.statics,
                "articles": self.articles,
                "published": self.published,
            },
        )
        store.replace_statics(folder, [(path, *file_stat(Path(path))) for path in self.statics])

    def unchanged(self, now_: Fingerprint, store: StateStore, config: Config, now: datetime) -> bool:
        """True when a build now would write exactly what the last one did."""
        if (self.settings, self.inputs) != (now_.settings, now_.inputs):
            return False
        low, high = self.window
        if (low is not None and now < low) or (high is not None and now >= high):
            return False  # an article's publish time was crossed (or now went back)
        out = config.output_folder
        folder = output_key(config)
        for name, (_, size, mtime_ns, _) in store.outputs(folder).items():
            if file_stat(out / name) != (size, mtime_ns):
                return False
        for path, size, mtime_ns in store.statics(folder):
            if file_stat(Path(path)) != (size, mtime_ns):
                return False
        return True


def fingerprint_key(folder: str) -> str:
    """The meta key of the last build's Fingerprint for the output ``folder`` (as output_key names it)."""
    return f"fingerprint {folder}"


def settings_key(config: Config) -> str:
    """A digest of everything besides the articles that shapes the output."""
    settings = {
        "format": FORMAT,
        # Every section but the site's folders (see _plain), and not where the settings were read
        # from (config_file, the one field Config does not compare).
        "config": {f.name: _plain(getattr(config, f.name)) for f in dataclasses.fields(config) if f.compare},
        "templates": [_tree(folder) for folder in template_dirs(config)],
        # The authors file gives articles their authors' names: an edit reads the articles again.
        "authors": _authors(config),
        "code": _tree(_PACKAGE, "*.py"),
        "libraries": {name: _library(name) for name in LIBRARIES},
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def listing_digest(files: list[SourceFile], outside: list[str]) -> str:
    listing = "\n".join(f"{f.rel}\t{f.size}\t{f.mtime_ns}" for f in files)
    return hashlib.sha256(f"{listing}\n\n{chr(10).join(outside)}".encode()).hexdigest()


def file_stat(path: Path | None) -> tuple[int, int]:
    """(size, mtime_ns), or (-1, -1) for a file that is not there."""
    if path is None:
        return (-1, -1)
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


# The site's folders: where files are read from and written to decides nothing about their bytes.
_FOLDERS = ("content", "output", "state_dir")


def _plain(value: Any) -> Any:
    if isinstance(value, Site):  # every setting but the folders
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in _FOLDERS}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # the other sections: every setting
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if callable(value):  # a filter passed as a function: its name, the same in every run
        from ..filters import describe

        return describe(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _authors(config: Config) -> Any:
    if not config.site.authors:
        return None
    source = Path(config.site.authors)
    return _tree(source) if source.is_dir() else [str(source), *file_stat(source)]


def _tree(folder: Path, pattern: str = "*") -> list[list[Any]]:
    """(relative path, size, mtime_ns) of every file below ``folder``."""
    found = []
    for path in sorted(folder.rglob(pattern)):
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            found.append([str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns])
    return [[str(folder)], *found]


def _library(name: str) -> Any:
    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return [spec.origin, *file_stat(Path(spec.origin))]


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(micros: Any) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=int(micros))
