"""The installed package finds its templates: build the wheel, run it from outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT

SCRIPT = """
import sys
from datetime import datetime, timezone
import publisher
from publisher.config.toml import config_from_mapping
from publisher.templates import template_dirs
config = config_from_mapping({"title": "Wheel", "url": "https://wheel.example/"})
assert publisher.__file__.startswith(sys.argv[1]), publisher.__file__
dirs = [str(d) for d in template_dirs(config)]
assert dirs == [sys.argv[1] + "/publisher/templates"], dirs
art = publisher.Article(slug="a", title="From the wheel", published=datetime(2025, 1, 1, tzinfo=timezone.utc))
digest = publisher.newsletter.render_digest([art], config, now=datetime(2025, 1, 2, tzinfo=timezone.utc))
print(digest.subject)
page = publisher.render_feeds([art], config, now=datetime(2025, 1, 2, tzinfo=timezone.utc))["index.html"]
assert b"From the wheel" in page and b"https://wheel.example/feeds/feed.json" in page, page
"""


def test_built_wheel_carries_the_templates(tmp_path):
    hatchling = shutil.which("hatchling", path=os.path.dirname(sys.executable))
    if hatchling is None:
        pytest.skip("hatchling is not installed (it comes with the test extra)")
    subprocess.run(
        [hatchling, "build", "-t", "wheel", "-d", str(tmp_path / "dist")], cwd=ROOT, check=True, capture_output=True
    )
    (wheel,) = (tmp_path / "dist").glob("publisher-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "publisher/templates/digest.html.j2" in names and "publisher/templates/digest.txt.j2" in names
        assert "publisher/templates/feeds-index.html.j2" in names
        archive.extractall(tmp_path / "installed")
    elsewhere = tmp_path / "elsewhere"  # no templates/ folder here, nor in any parent of the unpacked wheel
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "installed")}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "installed")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Wheel: 1 new article"
