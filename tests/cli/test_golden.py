"""Golden files: the bundled site's outputs, byte for byte.

Every output is deterministic (no clock, no random order), so the feeds, the feeds page and the
digest that the bundled site gives at a fixed moment are kept in tests/golden/ and compared whole.
A change to any of them fails here and shows as a diff in review. After an intended change:

    .venv/bin/python -m pytest tests/cli/test_golden.py --update-golden

then read ``git diff tests/golden`` by eye before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
# The files a reader or a mail client sees first; the tag and category feeds are made by the same code.
FILES = [
    "atom.xml",
    "rss.xml",
    "feed.json",
    "featured.atom.xml",
    "index.html",
    "archive/2025.atom.xml",
    "tags/sora-2.rss.xml",
    "categories/news.json",
    "digest.html",
    "digest.txt",
    "digest.eml",
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, cli) -> Path:
    """`publisher build` and `publisher digest` at NOW, on a copy of the bundled content/ and publisher.toml."""
    bundled = tmp_path_factory.mktemp("golden")
    shutil.copytree(ROOT / "content", bundled / "content")
    shutil.copy(ROOT / "publisher.toml", bundled / "publisher.toml")
    assert cli.on(bundled, "build", "-q").code == 0
    assert cli.on(bundled, "digest", "--days", "60", "-q").code == 0
    return bundled / "feeds"


@pytest.mark.parametrize("name", FILES)
def test_the_bundled_site_gives_its_golden_outputs(outputs, name, request):
    made = (outputs / name).read_bytes()
    golden = GOLDEN / name
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(made)
    assert golden.exists(), f"{golden} is missing: run pytest tests/cli/test_golden.py --update-golden"
    assert made == golden.read_bytes(), (
        f"{name} differs from tests/golden/{name}; if the change is intended, run "
        "pytest tests/cli/test_golden.py --update-golden and review the diff"
    )
