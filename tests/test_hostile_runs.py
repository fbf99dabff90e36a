"""Input that used to take a whole run down (a traceback, no feeds) or never let it finish: each is now
one named, skipped file, and the rest of the site is published (issue 12)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import feedparser

import publisher
from tests.conftest import make_config


def published(site: Path) -> list[str]:
    feed = feedparser.parse((site / "feeds" / "atom.xml").read_bytes())
    assert feed.bozo == 0
    return [entry.title for entry in feed.entries]


# -- dates that cannot be written in the site's time zone or in UTC ------------------------------


def test_an_article_built_in_code_with_such_a_date_still_renders(config):
    new_york = make_config(title="T", timezone="America/New_York", permalink="/{year}/{slug}/")
    zero = publisher.Article(slug="zero", title="Zero", published=datetime(1, 1, 1, tzinfo=timezone.utc))
    feeds = publisher.render_feeds([zero], new_york, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert b"https://example.org/0001/zero/" in feeds["atom.xml"] and "archive/0001.atom.xml" in feeds


def test_a_body_built_in_code_with_a_lone_surrogate_renders_with_either_engine():
    for engine in ("gfm", "python-markdown"):
        config = make_config(title="T", markdown={"engine": engine})
        odd = publisher.Article(
            slug="odd", title="Odd", published=datetime(2025, 1, 1, tzinfo=timezone.utc), body="before \ud800 after"
        )
        feeds = publisher.render_feeds([odd], config, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
        assert b"before  after" in feeds["atom.xml"], engine


# -- file names, sizes and kinds -------------------------------------------------------------------


# -- frontmatter that breaks what walks it -----------------------------------------------------------


# -- Markdown that would take minutes ----------------------------------------------------------------


# -- tag names the file system refuses ----------------------------------------------------------------
