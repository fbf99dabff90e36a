"""Finding the feeds: the link tags and the feeds page (feeds/index.html) the library writes; the command line's
`publisher links` and the page in a browser are in tests/cli/test_links.py."""

from __future__ import annotations

from datetime import timedelta

import feedparser
from lxml import html as lxml_html

import publisher
from tests.conftest import NOW, ROOT, article, make_config


def links_of(markup: str) -> list[dict[str, str]]:
    head = lxml_html.fromstring(f"<html><head>{markup}</head></html>").find("head")
    return [dict(link.attrib) for link in head.iter("link")]


def test_link_tags_announce_main_and_featured_feeds_in_every_format():
    config = make_config(title='Tom & "Jerry"', url="https://example.org/blog/")
    links = links_of(publisher.feeds.link_tags(config, [article(featured=True)]))
    assert [(ln["type"], ln["href"]) for ln in links] == [
        ("application/atom+xml", "https://example.org/blog/feeds/atom.xml"),
        ("application/rss+xml", "https://example.org/blog/feeds/rss.xml"),
        ("application/feed+json", "https://example.org/blog/feeds/feed.json"),
        ("application/atom+xml", "https://example.org/blog/feeds/featured.atom.xml"),
        ("application/rss+xml", "https://example.org/blog/feeds/featured.rss.xml"),
        ("application/feed+json", "https://example.org/blog/feeds/featured.json"),
    ]
    assert {ln["rel"] for ln in links} == {"alternate"}
    assert links[0]["title"] == 'Tom & "Jerry" (Atom)' and links[5]["title"] == 'Tom & "Jerry": featured (JSON Feed)'


def page_of(feeds: dict[str, bytes]) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(feeds["index.html"])


def test_feeds_page_lists_every_feed_address_and_the_newest_entries(seed, config):
    grouped = make_config(title="Test Site", feeds={"tags": True, "categories": True})
    articles = [publisher.content.load_article(seed, grouped), article("older", published=NOW - timedelta(days=800))]
    feeds = publisher.render_feeds(articles, grouped, now=NOW)
    page = page_of(feeds)
    addresses = [code.text_content() for code in page.cssselect(".feed code")]
    # The yearly archives are the main feed's history (RFC 5005), not feeds to subscribe to.
    expected = [
        "https://example.org/feeds/" + name
        for name in feeds
        if name != "index.html" and not name.startswith("archive/")
    ]
    assert sorted(addresses) == sorted(expected)
    assert [h.text_content() for h in page.cssselect(".entry h3")] == [
        "OpenAI’s Sora 2 App Guide - Features, Invite Codes, and How to Get Started",
        "Older",
    ]
    (cover,) = page.cssselect(".entry img")
    assert cover.get("src") == "https://img.aiphotoprompt.net/2025/10/70a3f8b02f7d468bf61d8d3335014049.png"
    head = [(ln.get("type"), ln.get("href")) for ln in page.cssselect("head link[rel=alternate]")]
    assert head[:3] == [
        ("application/atom+xml", "https://example.org/feeds/atom.xml"),
        ("application/rss+xml", "https://example.org/feeds/rss.xml"),
        ("application/feed+json", "https://example.org/feeds/feed.json"),
    ]
    assert page.get("lang") == "en"


def test_feeds_page_escapes_what_authors_write():
    config = make_config(title="<b>Site</b>", description="Q&A")
    feeds = publisher.render_feeds([article(title="<script>alert(1)</script>", tags=("<i>x</i>",))], config, now=NOW)
    assert b"<script>alert" not in feeds["index.html"] and b"<b>Site" not in feeds["index.html"]
    page = page_of(feeds)
    assert page.cssselect(".entry h3")[0].text_content() == "<script>alert(1)</script>"
    assert page.cssselect("h1")[0].text_content() == "<b>Site</b>: feeds"


def test_feeds_page_is_deterministic_and_dated_by_the_newest_entry(config):
    articles = [article("a"), article("b", published=NOW - timedelta(days=1))]
    first = publisher.render_feeds(articles, config, now=NOW)["index.html"]
    assert first == publisher.render_feeds(list(reversed(articles)), config, now=NOW + timedelta(days=9))["index.html"]
    (time,) = page_of({"index.html": first}).cssselect("footer time")
    assert time.get("datetime") == (NOW - timedelta(days=1)).isoformat()


def test_a_site_template_replaces_the_feeds_page(tmp_path):
    (tmp_path / "feeds-index.html.j2").write_text(
        "<!DOCTYPE html><title>{{ site.title }}</title>{% for f in main %}{% for l in f.links %}"
        "<a href='{{ l.href }}'>{{ l.format_name }}</a>{% endfor %}{% endfor %}\n"
    )
    config = make_config(title="Mine & yours", templates=str(tmp_path))
    page = publisher.render_feeds([article(featured=True)], config, now=NOW)["index.html"].decode()
    assert page.startswith("<!DOCTYPE html><title>Mine &amp; yours</title>")
    assert page.count("<a href=") == 6


def test_feeds_page_file_name_is_configurable():
    config = make_config(title="T", feeds={"index": "feeds.html"})
    feeds = publisher.render_feeds([article()], config, now=NOW)
    assert "feeds.html" in feeds and "index.html" not in feeds
    assert "https://example.org/feeds/feeds.html" in {ln.href for ln in feedparser.parse(feeds["atom.xml"]).feed.links}


def test_the_feeds_page_example_is_what_publisher_links_prints_for_the_bundled_site():
    page = (ROOT / "docs" / "feeds.md").read_text(encoding="utf-8")
    example = page.split("$ publisher links\n", 1)[1].split("```", 1)[0]
    assert example == publisher.feeds.link_tags(publisher.load_config(ROOT / "publisher.toml"))
