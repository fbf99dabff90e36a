"""Which feeds a site has: featured feeds only with something featured, "" turns any feed off
everywhere, and the feeds page counts what is published, not what fits in a feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from lxml import html as lxml_html

import publisher
from tests.conftest import NOW, article, make_config, merged

FEATURED = ("featured.atom.xml", "featured.rss.xml", "featured.json")


def grouped(**settings):
    """Tag and category feeds on, ``settings`` (TOML-shaped) on top."""
    return make_config(title="T", **merged({"feeds": {"tags": True, "categories": True}}, settings))


def mentions(feeds: dict[str, bytes], name: str) -> list[str]:
    """The outputs whose bytes name the file ``name`` (in a link, an alternate, a listing)."""
    return [output for output, data in feeds.items() if f"/feeds/{name}".encode() in data]


def test_featured_feeds_exist_only_while_something_is_featured():
    config = grouped()
    plain = publisher.render_feeds([article("a")], config, now=NOW)
    assert not set(FEATURED) & set(plain)
    assert all(mentions(plain, name) == [] for name in FEATURED)
    assert "featured" not in publisher.feeds.link_tags(config, [article("a")])
    assert "featured" not in publisher.feeds.link_tags(config)  # without the articles: only configured ones
    starred = [article("a"), article("b", featured=True)]
    featured = publisher.render_feeds(starred, config, now=NOW)
    assert set(FEATURED) <= set(featured)
    assert "index.html" in mentions(featured, "featured.atom.xml")
    assert publisher.feeds.link_tags(config, starred).count("/feeds/featured") == 3


def test_a_featured_feed_named_in_the_config_is_written_even_when_empty():
    config = make_config(title="T", feeds={"featured_atom": "stars.xml"})
    feeds = publisher.render_feeds([article("a")], config, now=NOW)
    assert "stars.xml" in feeds and "featured.rss.xml" not in feeds
    assert 'href="https://example.org/feeds/stars.xml"' in publisher.feeds.link_tags(config)


@pytest.mark.parametrize(
    ("setting", "file"),
    [
        ("atom", "atom.xml"),
        ("rss", "rss.xml"),
        ("json", "feed.json"),
        ("featured_atom", "featured.atom.xml"),
        ("featured_rss", "featured.rss.xml"),
        ("featured_json", "featured.json"),
        ("tag_pattern", "tags/news.atom.xml"),
        ("tag_json_pattern", "tags/news.json"),
        ("category_pattern", "categories/cat.rss.xml"),
        ("category_json_pattern", "categories/cat.json"),
        ("index", "index.html"),
    ],
)
def test_an_empty_name_turns_a_feed_off_everywhere(tmp_path, setting, file):
    articles = [article("a", featured=True, tags=("news",), category="cat")]
    feeds = publisher.render_feeds(articles, grouped(feeds={setting: ""}), now=NOW)
    assert file not in feeds and "" not in feeds
    assert mentions(feeds, file) == []
    assert f"/feeds/{file}" not in publisher.feeds.link_tags(grouped(feeds={setting: ""}), articles)
    assert file in publisher.render_feeds(articles, grouped(), now=NOW)  # there by default
    # A build writes none of it, and so pings no hub about it.
    config = grouped(feeds={setting: ""}, content="content", output="out", state_dir="state", base=tmp_path)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text(
        "---\ntitle: A\ndate: 2025-01-01\nfeatured: true\ntags: [news]\ncategory: cat\n---\nx\n", encoding="utf-8"
    )
    result = publisher.build(config, now=NOW)
    assert file not in result.written and not (tmp_path / "out" / file).exists()
    assert not (tmp_path / "out" / "feeds").exists()  # never the folder's own address as a file name


def test_no_main_atom_feed_means_no_archives_to_chain_from_it():
    feeds = publisher.render_feeds([article("a")], grouped(feeds={"atom": ""}), now=NOW)
    assert not [name for name in feeds if name.startswith("archive/")]
    assert [
        name
        for name in publisher.render_feeds([article("a")], grouped(feeds={"archive_pattern": ""}), now=NOW)
        if name.startswith("archive/")
    ] == []


def test_the_feeds_page_counts_every_published_article_not_the_feed_limit():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    articles = [
        article(f"p{i}", published=start + timedelta(days=i), category="announcements", featured=i % 10 == 0)
        for i in range(126)
    ]
    feeds = publisher.render_feeds(articles, grouped(), now=NOW)
    page = lxml_html.fromstring(feeds["index.html"])
    headings = [" ".join(h.text_content().split()) for h in page.iter("h3")]
    assert "announcements (126 articles)" in headings, headings
    assert len(feedparser.parse(feeds["categories/announcements.atom.xml"]).entries) == 50
