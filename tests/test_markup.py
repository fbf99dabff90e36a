"""Markup real articles carry that must come out as their authors meant it."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

import feedparser

import publisher
from tests.conftest import make_config


def entry_html(body: str) -> str:
    config = make_config(title="T")
    article = publisher.Article(slug="post", title="T", published=datetime(2025, 1, 1, tzinfo=UTC), body=body)
    return feedparser.parse(publisher.render_feeds([article], config)["atom.xml"]).entries[0].content[0].value


def test_noscript_content_is_kept_as_markup_never_escaped_into_text():
    html = entry_html(
        'Lazy image:\n\n<img data-src="big.jpg" class="lazy">\n<noscript><img src="big.jpg" alt="A">'
        "</noscript>\n\nInline <noscript><b>bold</b></noscript> end.\n"
    )
    assert '<img alt="A" src="https://example.org/post/big.jpg"' in html
    assert "<b>bold</b>" in html
    assert "&lt;" not in html and "noscript" not in html


def test_the_digest_names_every_author():
    config = make_config(title="T")
    article = publisher.Article(
        slug="post",
        title="T",
        published=datetime(2025, 1, 1, tzinfo=UTC),
        body="Hi.",
        authors=("Ethan Lee", "Hana Kim", "Jonathan Amsterdam"),
    )
    digest = publisher.newsletter.render_digest([article], config, now=datetime(2025, 1, 2, tzinfo=UTC))
    assert "Ethan Lee, Hana Kim and Jonathan Amsterdam" in digest.text
    assert "Ethan Lee, Hana Kim and Jonathan Amsterdam" in digest.html


def feeds_of(article_: publisher.Article, **settings) -> dict[str, bytes]:
    config = make_config(title="T", **settings)
    return publisher.render_feeds([article_], config)


def test_three_authors_in_every_format():
    names = ["Ethan Lee", "Hana Kim", "Jonathan Amsterdam"]
    feeds = feeds_of(
        publisher.Article(
            slug="p", title="T", published=datetime(2025, 1, 1, tzinfo=UTC), body="x", authors=tuple(names)
        )
    )
    atom = feedparser.parse(feeds["atom.xml"]).entries[0]
    assert [a.name for a in atom.authors] == names
    assert feeds["atom.xml"].count(b"<author>") == 1 + 3  # the feed's own, then the entry's three
    rss = feeds["rss.xml"]
    assert [c.decode() for c in re.findall(rb"<dc:creator>(.*?)</dc:creator>", rss)] == names
    assert [a["name"] for a in json.loads(feeds["feed.json"])["items"][0]["authors"]] == names


def test_rss_description_is_html_that_reads_back_as_exactly_the_summary():
    text = 'Use the <T> parameter & see "AT&T" < 3'
    feeds = feeds_of(
        publisher.Article(slug="p", title="T", published=datetime(2025, 1, 1, tzinfo=UTC), body="x", description=text),
        description="Tips & tricks, 1 < 2",
    )
    item = feedparser.parse(feeds["rss.xml"]).entries[0]
    assert item.summary_detail.type == "text/html"
    assert html.unescape(item.summary) == text  # an HTML reader shows the text, "<T>" included
    assert feedparser.parse(feeds["atom.xml"]).entries[0].summary == text  # Atom says type="text"
    # The channel's plain text: character references, as the RSS profile (and the W3C validator) asks.
    assert b"<description>Tips &#x26; tricks, 1 &#x3C; 2</description>" in feeds["rss.xml"]
    assert html.unescape(feedparser.parse(feeds["rss.xml"]).feed.subtitle) == "Tips & tricks, 1 < 2"


def test_a_source_address_is_written_as_a_uri():
    feeds = feeds_of(
        publisher.Article(
            slug="p",
            title="T",
            published=datetime(2025, 1, 1, tzinfo=UTC),
            body="x",
            source="https://de.wikipedia.org/wiki/Köln",
        )
    )
    assert b'rel="via" href="https://de.wikipedia.org/wiki/K%C3%B6ln"' in feeds["atom.xml"]
    assert json.loads(feeds["feed.json"])["items"][0]["external_url"] == "https://de.wikipedia.org/wiki/K%C3%B6ln"


def test_hard_line_breaks_reach_the_feed():
    html = entry_html("Roses are red,\\\nviolets are blue;\ntwo trailing spaces  \nbreak too.\n")
    assert html.count("<br") == 2 and "\\" not in html
