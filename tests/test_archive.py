"""Full history as RFC 5005 archived feeds: ten years of articles, one Atom archive per year,
every published article in exactly one archive, the chain walkable both ways, and the main
feed (the subscription document) holding the newest N."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from lxml import etree

import publisher
from publisher.content.permalinks import article_url
from tests.conftest import NOW, article, make_config

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
BASE = "https://example.org/feeds/"
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
            articles.append(
                article(
                    f"post-{year}-{i:02d}",
                    published=moment,
                    featured=rng.random() < 0.1,
                    tags=(rng.choice(["a", "b"]),),
                    body=f"Article {i} of {year}.",
                )
            )
    articles.append(article("draft", published=datetime(2020, 5, 5, tzinfo=UTC), draft=True))
    articles.append(article("future", published=datetime(2030, 1, 1, tzinfo=UTC)))
    return articles


@pytest.fixture(scope="module")
def history():
    config = make_config(title="History", feeds={"limit": LIMIT})
    articles = ten_years()
    return config, articles, publisher.render_feeds(articles, config, now=NOW)


def links(root) -> dict[str, str]:
    return {ln.get("rel"): ln.get("href") for ln in root.findall(f"{ATOM}link") if ln.get("rel") != "alternate"}


def archives(names) -> set[str]:
    return {name for name in names if name.startswith("archive/")}


def entry_ids(root) -> list[str]:
    return [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]


def test_one_archive_per_year(history):
    _, _, feeds = history
    assert sorted(n for n in feeds if n.startswith("archive/")) == [f"archive/{y}.atom.xml" for y in range(2016, 2026)]


def test_archives_hold_every_published_article_exactly_once(history):
    config, articles, feeds = history
    published = publisher.select(articles, now=NOW)
    counts = Counter(
        i for name, data in feeds.items() if name.startswith("archive/") for i in entry_ids(etree.fromstring(data))
    )
    assert counts == Counter(article_url(a, config) for a in published)
    assert max(counts.values()) == 1
    assert "https://example.org/draft/" not in counts and "https://example.org/future/" not in counts
    for year in range(2016, 2026):
        root = etree.fromstring(feeds[f"archive/{year}.atom.xml"])
        in_year = [a for a in published if a.published.year == year]
        assert entry_ids(root) == [article_url(a, config) for a in in_year]  # newest first, like every feed


def test_main_feed_is_the_subscription_document_with_the_newest_n(history):
    config, articles, feeds = history
    root = etree.fromstring(feeds["atom.xml"])
    newest = publisher.select(articles, now=NOW, limit=LIMIT)
    assert entry_ids(root) == [article_url(a, config) for a in newest]
    assert root.find(f"{FH}archive") is None
    assert links(root)["prev-archive"] == BASE + "archive/2025.atom.xml"
    assert "next-archive" not in links(root)


def test_archive_links_chain_both_ways_and_point_at_the_current_feed(history):
    _, _, feeds = history
    docs = {BASE + name: etree.fromstring(data) for name, data in feeds.items() if name.startswith("archive/")}
    for url, root in docs.items():
        assert root.find(f"{FH}archive") is not None, url
        assert links(root)["current"] == BASE + "atom.xml"
        assert links(root)["self"] == url
        assert root.findtext(f"{ATOM}id") == BASE + "atom.xml"  # one logical feed
        if "prev-archive" in links(root):
            assert links(docs[links(root)["prev-archive"]])["next-archive"] == url
        if "next-archive" in links(root):
            assert links(docs[links(root)["next-archive"]])["prev-archive"] == url

    backwards, url = [], links(etree.fromstring(feeds["atom.xml"]))["prev-archive"]
    while url:
        backwards.append(url)
        url = links(docs[url]).get("prev-archive")
    forwards, url = [], BASE + "archive/2016.atom.xml"
    while url:
        forwards.append(url)
        url = links(docs[url]).get("next-archive")
    assert backwards == [BASE + f"archive/{y}.atom.xml" for y in range(2025, 2015, -1)]
    assert forwards == backwards[::-1]


def test_a_reader_walking_prev_archive_rebuilds_the_whole_history(history):
    """RFC 5005 section 4.2: subscription document first, then prev-archive until there is none."""
    config, articles, feeds = history
    by_url = {BASE + name: data for name, data in feeds.items()}
    seen: dict[str, str] = {}
    url: str | None = BASE + "atom.xml"
    while url:
        parsed = feedparser.parse(by_url[url])
        assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
        for entry in parsed.entries:
            seen.setdefault(entry.id, entry.title)
        url = next((ln.href for ln in parsed.feed.links if ln.rel == "prev-archive"), None)
    assert set(seen) == {article_url(a, config) for a in publisher.select(articles, now=NOW)}


def test_years_are_the_sites_time_zone():
    config = make_config(title="T", timezone="Europe/Berlin")
    new_year = article("new-year", published=datetime(2019, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 in Berlin
    feeds = publisher.render_feeds([new_year], config, now=NOW)
    assert [n for n in feeds if n.startswith("archive/")] == ["archive/2020.atom.xml"]


def test_years_without_articles_are_skipped_in_the_chain():
    config = make_config(title="T")
    feeds = publisher.render_feeds(
        [
            article("a", published=datetime(2018, 3, 1, tzinfo=UTC)),
            article("b", published=datetime(2021, 3, 1, tzinfo=UTC)),
        ],
        config,
        now=NOW,
    )
    assert links(etree.fromstring(feeds["archive/2021.atom.xml"]))["prev-archive"] == BASE + "archive/2018.atom.xml"
    assert links(etree.fromstring(feeds["archive/2018.atom.xml"]))["next-archive"] == BASE + "archive/2021.atom.xml"


def test_past_years_keep_their_bytes_when_new_articles_appear(history):
    config, articles, feeds = history
    later = [*articles, article("late-news", published=datetime(2025, 11, 30, tzinfo=UTC))]
    again = publisher.render_feeds(later, config, now=NOW)
    changed = {name for name in feeds if feeds[name] != again[name]}
    assert {"atom.xml", "rss.xml", "archive/2025.atom.xml"} <= changed
    assert archives(changed) == {"archive/2025.atom.xml"}


def test_a_new_year_adds_a_link_to_last_years_archive_and_nothing_else(history):
    config, articles, feeds = history
    next_year = [*articles, article("happy-new-year", published=datetime(2026, 1, 1, 9, tzinfo=UTC))]
    again = publisher.render_feeds(next_year, config, now=datetime(2026, 1, 2, tzinfo=UTC))
    changed = {name for name in feeds if feeds[name] != again.get(name)}
    assert {"atom.xml", "rss.xml"} <= changed
    assert archives(changed) == {"archive/2025.atom.xml"}
    assert archives(again) - archives(feeds) == {"archive/2026.atom.xml"}
    old, new = (etree.fromstring(f["archive/2025.atom.xml"]) for f in (feeds, again))
    assert entry_ids(old) == entry_ids(new)
    assert links(new)["next-archive"] == BASE + "archive/2026.atom.xml"


def test_an_edited_article_rewrites_only_its_own_year(history):
    config, articles, feeds = history
    edited = [
        replace(a, body="Corrected.", updated=datetime(2025, 11, 1, tzinfo=UTC)) if a.slug == "post-2018-00" else a
        for a in articles
    ]
    again = publisher.render_feeds(edited, config, now=NOW)
    changed = {name for name in feeds if feeds[name] != again[name]}
    assert archives(changed) == {"archive/2018.atom.xml"}
    assert "atom.xml" not in changed  # the main feed holds the newest articles, not this one


def test_archives_can_be_turned_off_and_moved():
    articles = [article("a", published=datetime(2018, 3, 1, tzinfo=UTC))]
    off = publisher.render_feeds(
        articles, make_config(title="T", url="https://e.org/", feeds={"archives": False}), now=NOW
    )
    assert not any("archive" in name for name in off)
    assert "prev-archive" not in off["atom.xml"].decode()
    moved = publisher.render_feeds(
        articles, make_config(title="T", url="https://e.org/", feeds={"archive_pattern": "history/{year}.xml"}), now=NOW
    )
    assert "history/2018.xml" in moved


@pytest.mark.parametrize("pattern", ["archive.xml", "archive/{slug}.xml", "archive/{year"])
def test_an_archive_pattern_without_year_is_a_config_error(pattern):
    with pytest.raises(publisher.ConfigError, match="archive_pattern"):
        make_config(title="T", url="https://e.org/", feeds={"archive_pattern": pattern})
