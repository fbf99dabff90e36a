"""The one set of test fixtures: ``NOW``, the ``site`` factory, the ``cli`` runner, ``make_config``.

- ``NOW``: the moment every test runs at (``NOW_ARG`` is the same moment for ``--now``).
- ``make_config(feeds={"limit": 3})``: a Config for library tests from TOML-shaped settings, read
  by the same code as publisher.toml (never ``Config(...)`` keywords: only tests/test_config*.py,
  whose subject is the constructor, call it).
- ``site(**settings)``: a temporary site folder with publisher.toml; ``add`` writes articles,
  ``configure`` changes settings, ``config()`` and ``build()`` are the library's view of it.
- ``cli(*args)`` runs ``publisher.cli.main`` in-process and returns its exit code, stdout and stderr
  (``cli.on(site, "build")`` adds --config and --now); ``run_publisher(...)`` runs a real
  ``python -m publisher`` process, for the tests that need one (signals, locks, cwd, real exit).

The rule for files: a test that runs the command line (``cli``, ``main([...])`` or a ``publisher``
process), or whose subject is one of its flags, lives in tests/cli/; library tests stay in
tests/test_*.py. A module
may name a site many of its tests share (a fixture or a function over ``site``), never another way to
make one.

Tests that read ../shared (the reference article, the Node.js blog corpus) skip with a reason when
it is absent, as in a user's own clone. ``--update-golden`` rewrites tests/golden/ (see
tests/cli/test_golden.py and docs/testing.md).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import publisher
from publisher.cli import main
from publisher.config.toml import config_from_mapping

# Long runs grow to full size in CI (.ci/run sets CI=true) and stay small on a developer's machine,
# where the README's test command must finish in under 5 minutes on two cores: property tests run
# 1,000 examples each in CI and 100 here; kill rounds, corpus read-backs and the like use sized().
FULL_SIZE = bool(os.environ.get("CI"))
settings.register_profile("ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if FULL_SIZE else "dev"))


def sized(full: int, small: int) -> int:
    """``full`` in CI (CI=true), ``small`` on a developer's machine: for the long kill, corpus and load runs."""
    return full if FULL_SIZE else small


ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PUBLISHER_SHARED", ROOT.parent / "shared"))
SEED = SHARED / "seeds" / "sora2-app-guide.md"
NODEJS_BLOG = SHARED / "corpora" / "nodejs-blog"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOW_ARG = "2026-11-25T12:00:00Z"
# The settings every test site and config starts from; a test names what it changes.
BASE = {"title": "Test Site", "url": "https://example.org/"}


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared (reference article and corpora) is not beside this checkout")
    return path


@pytest.fixture
def seed() -> Path:
    return need_shared(SEED)


# Configurations for library tests ------------------------------------------------------------------


def merged(settings: Mapping[str, Any], more: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` with ``more`` on top: a table (``feeds={...}``) is merged key by key, and None
    removes a key or a table (``digest={"to": None}``, ``smtp=None``)."""
    result = {key: dict(value) if isinstance(value, Mapping) else value for key, value in settings.items()}
    for key, value in more.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping):  # a table: merged into the one there, if any (None removes a key)
            result[key] = merged(result.get(key) or {}, value)
        else:
            result[key] = value
    return result


def make_config(base: Path | None = None, **settings: Any) -> publisher.Config:
    """A Config from TOML-shaped settings, e.g. ``make_config(title="T", feeds={"limit": 3})``.

    Read by config_from_mapping as publisher.toml is; ``base`` makes relative folders relative to it.
    """
    return config_from_mapping(merged(BASE, settings), base=base)


@pytest.fixture
def config() -> publisher.Config:
    return make_config(description="Testing publisher")


# Every Markdown engine publisher ships; modules whose tests must hold for each one use
# engine_config as their `config` (test_render, test_feeds).
ENGINES = ("gfm", "python-markdown")


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def engine_config(engine: str) -> publisher.Config:
    return make_config(description="Testing publisher", markdown={"engine": engine})


def article(slug: str = "hello", **fields) -> publisher.Article:
    fields.setdefault("title", slug.replace("-", " ").title())
    fields.setdefault("published", datetime(2025, 10, 1, tzinfo=UTC))
    return publisher.Article(slug=slug, **fields)


# Site folders --------------------------------------------------------------------------------------


def toml_text(settings: Mapping[str, Any]) -> str:
    """``settings`` as publisher.toml text: plain keys first, then one [table] per mapping."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(item) for item in v) + "]"
        raise TypeError(f"{v!r} has no TOML form here")

    lines = [f"{key} = {value(v)}" for key, v in settings.items() if not isinstance(v, Mapping)]
    for table, entries in settings.items():
        if isinstance(entries, Mapping):
            lines += ["", f"[{table}]", *(f"{key} = {value(v)}" for key, v in entries.items())]
    return "\n".join(lines) + "\n"


def write_article(folder: Path, name: str, text: str) -> Path:
    """Write a test article; ``text`` is dedented so tests can indent it."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def frontmatter(title: str, date: str = "2025-10-01", body: str = "Body.", **fields: Any) -> str:
    """An article's text: ``title``, ``publishDate: date``, ``fields`` as YAML lines (values as written)."""
    extra = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"---\ntitle: {title}\npublishDate: {date}\n{extra}---\n{body}\n"


class Site:
    """A site folder: publisher.toml written from TOML-shaped settings, articles under its content folder.

    ``site / "feeds"`` and ``os.fspath(site)`` work as for the folder's Path.
    """

    def __init__(self, root: Path, **settings: Any) -> None:
        self.root = root
        self.settings: dict[str, Any] = {}
        self.configure(**merged(BASE, settings))
        self.content.mkdir(parents=True, exist_ok=True)

    @property
    def config_file(self) -> Path:
        return self.root / "publisher.toml"

    @property
    def content(self) -> Path:
        return self.root / self.settings.get("content", "content")

    @property
    def out(self) -> Path:
        return self.root / self.settings.get("output", "feeds")

    def configure(self, **settings: Any) -> Site:
        """Change settings (a table is merged key by key) and rewrite publisher.toml."""
        self.settings = merged(self.settings, settings)
        self.config_file.write_text(toml_text(self.settings), encoding="utf-8")
        return self

    def add(self, name: str, text: str | bytes | None = None, **fields: Any) -> Path:
        """Write an article: ``text`` exactly as given, or a title from the file name and ``frontmatter(**fields)``."""
        if text is None:
            fields.setdefault("title", Path(name).stem.replace("-", " ").title())
            text = frontmatter(**fields)
        path = self.content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    def config(self, **settings: Any) -> publisher.Config:
        """The site's Config as a build reads it; ``settings`` change it for this Config only."""
        if not settings:
            return publisher.load_config(self.config_file)
        return config_from_mapping(
            merged(self.settings, settings),
            base=self.root,
            source=str(self.config_file),
            config_file=str(self.config_file),
        )

    def build(self, now: datetime = NOW) -> publisher.BuildResult:
        return publisher.build(self.config(), now=now)

    def __truediv__(self, other: str | Path) -> Path:
        return self.root / other

    def __fspath__(self) -> str:
        return str(self.root)

    def __str__(self) -> str:
        return str(self.root)


@pytest.fixture(scope="session")  # a factory: module-scoped fixtures can make their sites with it too
def site(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Site]:
    """``site(**settings)``: a new site folder with publisher.toml (``BASE`` plus ``settings``)."""
    return lambda **settings: Site(tmp_path_factory.mktemp("site"), **settings)


def digest_history(config_file: Path):
    """The last --since-last digest's state as the newsletter's database holds it (None: no digest yet)."""
    from publisher.email.store import last_digest, peek_newsletter

    db = peek_newsletter(publisher.load_config(config_file))
    if db is None:
        return None
    try:
        return last_digest(db)
    finally:
        db.close()


# The command line ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    """What one command line run gave: its exit code and everything it printed."""

    code: int
    out: str
    err: str


class Cli:
    """``publisher.cli.main`` in-process, its stdout and stderr captured for each run."""

    def __call__(self, *args: str | os.PathLike[str]) -> Ran:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main([os.fspath(arg) for arg in args])
            except SystemExit as exit_:  # argparse's usage errors, --help
                code = exit_.code if isinstance(exit_.code, int) else 1
        return Ran(code, out.getvalue(), err.getvalue())

    def on(self, site: Site | Path, command: str, *args: str | os.PathLike[str], now: str | None = NOW_ARG) -> Ran:
        """``publisher COMMAND --config SITE/publisher.toml --now NOW ARGS`` (``now=None`` leaves --now out)."""
        moment = ("--now", now) if now is not None else ()
        return self(command, "--config", Path(site) / "publisher.toml", *moment, *args)


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli()


# A real process: the checkout's package on the path, no .pyc files left in it.
PROCESS_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


def publisher_command(*args: str | os.PathLike[str]) -> list[str]:
    """The argv of ``python -m publisher ARGS``, for a Popen a test drives itself."""
    return [sys.executable, "-m", "publisher", *(os.fspath(arg) for arg in args)]


def run_publisher(
    *args: str | os.PathLike[str],
    cwd: Path | Site,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    **options: Any,
) -> subprocess.CompletedProcess[str]:
    """``python -m publisher ARGS`` run to the end in ``cwd``, its output captured as text."""
    options.setdefault("text", True)
    return subprocess.run(
        publisher_command(*args),
        cwd=os.fspath(cwd),
        env=dict(env or PROCESS_ENV),
        capture_output=True,
        timeout=timeout,
        **options,
    )


@pytest.fixture(scope="session", autouse=True)
def checkout_left_alone() -> Iterator[None]:
    """No test leaves a state folder in the checkout (one beside the bundled publisher.toml would be
    taken by the next build there): a test that builds the bundled site works on a copy."""
    state = ROOT / ".publisher"
    before = state.exists()
    yield
    if not before and state.exists():
        pytest.fail(f"a test made {state}: build the bundled site from a copy (see tests/cli/test_digest.py)")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from today's outputs (review the diff by eye before committing)",
    )
