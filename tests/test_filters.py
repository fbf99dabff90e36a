"""Body and HTML filters: the seam for site markup publisher does not know (publisher/filters.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import feedparser
import pytest

import publisher
from publisher.filters import GROUP
from tests.conftest import make_config

# The Go blog writes images as template actions: {{image "gopher.png" 850}}.
GO_IMAGE = """
import re

def expand_images(text):
    return re.sub(r'\\{\\{image "([^"]+)"(?: (\\d+))?\\}\\}',
                  lambda m: f'<img src="{m.group(1)}"' + (f' width="{m.group(2)}"' if m.group(2) else "") + ">",
                  text)
"""

ARTICLE = publisher.Article(
    slug="gophers",
    title="Gophers",
    published=datetime(2025, 1, 1, tzinfo=UTC),
    body='Look:\n\n{{image "gopher.png" 850}}\n',
)


def entry_html(config):
    feed = feedparser.parse(publisher.render_feeds([ARTICLE], config)["atom.xml"])
    return feed.entries[0].content[0].value


def test_a_body_filter_from_a_library_caller_runs_before_markdown():
    def shout(text: str) -> str:
        return text.replace("Look:", "**Look**:")

    config = make_config(title="T", body_filters=[shout])
    assert "<strong>Look</strong>:" in entry_html(config)


def test_an_html_filter_runs_after_markdown_and_before_sanitising():
    def add_script(html: str) -> str:
        return html.replace("<p>", '<p class="lead">', 1) + "<script>alert(1)</script>"

    config = make_config(title="T", html_filters=(add_script,))
    html = entry_html(config)
    assert '<p class="lead">Look:</p>' in html and "<script" not in html


def test_a_filter_file_named_in_publisher_toml(tmp_path):
    (tmp_path / "markup.py").write_text(GO_IMAGE, encoding="utf-8")
    # Relative to the folder of publisher.toml, as a site's own filter file is.
    config = make_config(
        base=tmp_path, title="T", url="https://go.example/blog/", body_filters=["markup.py:expand_images"]
    )
    assert '<img src="https://go.example/blog/gophers/gopher.png" width="850"' in entry_html(config)


def test_a_filter_from_an_entry_point_expands_template_actions(tmp_path, monkeypatch):
    """A real distribution on sys.path (a .dist-info with entry_points.txt), found by importlib.metadata."""
    (tmp_path / "goblog_markup.py").write_text(GO_IMAGE, encoding="utf-8")
    info = tmp_path / "goblog_markup-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: goblog-markup\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\ngo-image = goblog_markup:expand_images\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = make_config(title="T", url="https://go.example/blog/", body_filters=["go-image"])
    html = entry_html(config)
    assert '<img src="https://go.example/blog/gophers/gopher.png" width="850"' in html
    assert "{{image" not in html


def test_filters_reach_the_digest_summary():
    def lead(text: str) -> str:
        return "Filtered lead paragraph.\n\n" + text

    config = make_config(title="T", body_filters=[lead])
    digest = publisher.newsletter.render_digest([ARTICLE], config, now=datetime(2025, 1, 2, tzinfo=UTC))
    assert "Filtered lead paragraph." in digest.text


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-such-filter", "no such filter"),
        ("publisher_nowhere:fn", "cannot import 'publisher_nowhere'"),
        ("re:no_such_function", "re has no 'no_such_function'"),
        ("missing.py:fn", "no such file"),
    ],
)
def test_a_filter_that_leads_nowhere_is_a_config_error(spec, message):
    with pytest.raises(publisher.ConfigError, match=re.escape(message)):
        make_config(title="T", body_filters=[spec])


def test_filters_given_as_functions_keep_the_build_cache(tmp_path):
    """Each run of a cron job makes its functions anew: the cache must know them by name, not address."""
    from publisher.engine.fingerprint import settings_key

    def made() -> object:
        def one(text: str) -> str:
            return text

        return one

    first, second = (make_config(title="T", output=str(tmp_path), body_filters=[made()]) for _ in range(2))
    assert settings_key(first) == settings_key(second)
