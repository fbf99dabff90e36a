"""The Node.js blog (1,043 real posts, MIT) read from ../shared, never copied into the repo."""

from __future__ import annotations

import json

import feedparser
import pytest
from lxml import etree

import publisher
from tests.conftest import FULL_SIZE, NODEJS_BLOG, NOW, make_config, need_shared


@pytest.fixture(scope="module")
def corpus():
    root = need_shared(NODEJS_BLOG)
    config = make_config(
        title="Node.js Blog", url="https://nodejs.org/en/blog/", feeds={"limit": 100, "tags": True, "categories": True}
    )
    errors: list[publisher.ContentError] = []
    articles = publisher.load_articles(root, config, errors=errors)
    return root, config, articles, errors


def test_every_post_with_a_title_and_date_loads_with_the_builtin_aliases(corpus):
    root, _, articles, errors = corpus
    assert len(articles) == 1042
    assert [(e.path, e.reason) for e in errors] == [(str(root / "index.md"), "no date")]
    assert errors[0].message.startswith("no date: looked for publishDate, pubDate, date")


def test_quoted_utc_strings_and_offsets_are_aware(corpus):
    _, _, articles, _ = corpus
    assert all(a.published.tzinfo is not None for a in articles)
    offsets = {a.published.utcoffset().total_seconds() for a in articles}
    assert offsets == {0.0, -4 * 3600.0}  # the one post written with -04:00 keeps its offset
    assert sum(1 for a in articles if not a.category) == 2
    assert len({a.slug for a in articles}) == len(articles)  # slugs from file names where none is given


def test_corpus_feeds_are_well_formed_and_read_back(corpus):
    _, config, articles, _ = corpus
    feeds = publisher.render_feeds(articles, config, now=NOW)
    assert {"atom.xml", "rss.xml", "categories/release.atom.xml"} <= set(feeds)
    # feedparser reads 58 MB of feeds here in a minute: in CI all of them; on a developer's machine the
    # main Atom feed and the smallest feed of each other kind and format (lxml still parses every one).
    read_back = set(feeds) if FULL_SIZE else {"atom.xml", *_smallest_of_each_kind(feeds)}
    parsed = {}
    for name, data in feeds.items():
        if name.endswith(".json"):
            assert json.loads(data)["version"] == "https://jsonfeed.org/version/1.1", name
            continue
        if not name.endswith(".xml"):
            continue
        etree.fromstring(data)
        if name in read_back:
            parsed[name] = feedparser.parse(data)
            assert parsed[name].bozo == 0, (name, parsed[name].get("bozo_exception"))
    main = parsed["atom.xml"]
    assert len(main.entries) == 100
    dates = [e.published_parsed for e in main.entries]
    assert dates == sorted(dates, reverse=True)
    for entry in main.entries:
        assert "<iframe" not in entry.content[0].value and "<script" not in entry.content[0].value


def _smallest_of_each_kind(feeds: dict[str, bytes]) -> list[str]:
    """Per folder and format (archive/*.atom.xml, categories/*.rss.xml, ...), the feed with the fewest bytes."""
    kinds: dict[tuple[str, str], str] = {}
    for name, data in feeds.items():
        folder, _, file = name.rpartition("/")
        kind = (folder, file.partition(".")[2])
        if folder and (kind not in kinds or len(data) < len(feeds[kinds[kind]])):
            kinds[kind] = name
    return sorted(kinds.values())
