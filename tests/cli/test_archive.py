"""Full history as RFC 5005 archived feeds: ten years of articles, one Atom archive per year,
every published article in exactly one archive, the chain walkable both ways, and the main
feed (the subscription document) holding the newest N."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

import publisher
from publisher.cli import main
from tests.conftest import article, make_config, write_article

NOW = datetime(2025, 12, 1, tzinfo=UTC)
LIMIT = 20


def ten_years() -> list[publisher.Article]:
    """2016-2025, 3 to 40 articles a year at seeded random moments, plus drafts and a future article."""
    rng = random.Random(5005)
    articles = []
    for year in range(2016, 2026):
        start = datetime(year, 1, 1, tzinfo=UTC)
        end = min(datetime(year + 1, 1, 1, tzinfo=UTC), NOW)
        for i in range(rng.randint(3, 40)):
            moment = start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
            articles.append(article(f"post-{year}-{i:02d}", published=moment, featured=rng.random() < 0.1,
                                    tags=(rng.choice(["a", "b"]),), body=f"Article {i} of {year}."))
    articles.append(article("draft", published=datetime(2020, 5, 5, tzinfo=UTC), draft=True))
    articles.append(article("future", published=datetime(2030, 1, 1, tzinfo=UTC)))
    return articles


@pytest.fixture(scope="module")
def site():
    config = make_config(title="History", feeds={"limit": LIMIT})
    articles = ten_years()
    return config, articles, publisher.render_feeds(articles, config, now=NOW)


def test_cli_build_writes_the_archives_and_rewrites_nothing_the_second_time(tmp_path):
    site = tmp_path / "site"
    for year in (2023, 2024, 2025):
        text = f"---\ntitle: Post {year}\npublishDate: {year}-06-01\n---\nText.\n"
        write_article(site / "content", f"p{year}.md", text)
    (site / "publisher.toml").write_text('title = "T"\nurl = "https://e.org/"\ncontent = "content"\noutput = "out"\n')
    args = ["build", "--config", str(site / "publisher.toml"), "--now", "2025-12-01"]
    assert main(args) == 0
    archive = site / "out" / "archive"
    assert sorted(p.name for p in archive.iterdir()) == ["2023.atom.xml", "2024.atom.xml", "2025.atom.xml"]
    stamps = {p: p.stat().st_mtime_ns for p in archive.iterdir()}
    assert main(args) == 0
    assert {p: p.stat().st_mtime_ns for p in archive.iterdir()} == stamps
