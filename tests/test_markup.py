"""Markup real articles carry that must come out as their authors meant it."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser

import publisher


def entry_html(body: str) -> str:
    config = publisher.Config(title="T", url="https://example.org/")
    article = publisher.Article(slug="post", title="T", published=datetime(2025, 1, 1, tzinfo=UTC), body=body)
    return feedparser.parse(publisher.render_feeds([article], config)["atom.xml"]).entries[0].content[0].value


def test_noscript_content_is_kept_as_markup_never_escaped_into_text():
    html = entry_html('Lazy image:\n\n<img data-src="big.jpg" class="lazy">\n<noscript><img src="big.jpg" alt="A">'
                      "</noscript>\n\nInline <noscript><b>bold</b></noscript> end.\n")
    assert '<img alt="A" src="https://example.org/post/big.jpg"' in html
    assert "<b>bold</b>" in html
    assert "&lt;" not in html and "noscript" not in html


def test_the_digest_names_every_author():
    config = publisher.Config(title="T", url="https://example.org/")
    article = publisher.Article(slug="post", title="T", published=datetime(2025, 1, 1, tzinfo=UTC), body="Hi.",
                                authors=("Ethan Lee", "Hana Kim", "Jonathan Amsterdam"))
    digest = publisher.render_digest([article], config, now=datetime(2025, 1, 2, tzinfo=UTC))
    assert "Ethan Lee, Hana Kim and Jonathan Amsterdam" in digest.text
    assert "Ethan Lee, Hana Kim and Jonathan Amsterdam" in digest.html
