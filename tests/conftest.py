"""Shared fixtures. Tests that read ../shared (the reference article, the Node.js blog corpus)
skip with a reason when it is absent, as in a user's own clone."""

from __future__ import annotations

import os
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import publisher

# Property tests run 1,000 examples each in CI (.ci/run sets CI) and 100 on a developer's machine.
settings.register_profile("ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PUBLISHER_SHARED", ROOT.parent / "shared"))
SEED = SHARED / "seeds" / "sora2-app-guide.md"
NODEJS_BLOG = SHARED / "corpora" / "nodejs-blog"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared (reference article and corpora) is not beside this checkout")
    return path


@pytest.fixture
def seed() -> Path:
    return need_shared(SEED)


@pytest.fixture
def config() -> publisher.Config:
    return publisher.Config(title="Test Site", url="https://example.org/", description="Testing publisher")


# Every Markdown engine publisher ships; modules whose tests must hold for each one use
# engine_config as their `config` (test_render, test_feeds).
ENGINES = ("gfm", "python-markdown")


@pytest.fixture(params=ENGINES)
def engine_config(request: pytest.FixtureRequest) -> publisher.Config:
    return publisher.Config(title="Test Site", url="https://example.org/", description="Testing publisher",
                            markdown_engine=request.param)


def write_article(folder: Path, name: str, text: str) -> Path:
    """Write a test article; ``text`` is dedented so tests can indent it."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def article(slug: str = "hello", **fields) -> publisher.Article:
    fields.setdefault("title", slug.replace("-", " ").title())
    fields.setdefault("published", datetime(2025, 10, 1, tzinfo=UTC))
    return publisher.Article(slug=slug, **fields)


def digest_history(config_file: Path):
    """The last --since-last digest's state as the state store holds it (None: no digest yet)."""
    from publisher.email.history import last_digest
    from publisher.engine.state import peek_state

    with peek_state(publisher.load_config(config_file)) as store:
        return last_digest(store) if store is not None else None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from today's outputs (review the diff by eye before committing)")
