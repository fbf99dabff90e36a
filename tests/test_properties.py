"""Property-based tests: whatever an author writes, the feeds stay well-formed and readable,
or the article is skipped with a reason. Never an uncaught exception."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime

import feedparser
import yaml
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

import publisher
from publisher.content.load import parse_article
from tests.conftest import NOW, make_config

CONFIG = make_config(title="Property Site", feeds={"tags": True, "categories": True})

# Any text, control characters and lone surrogates included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
html_bits = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<script>alert(1)</script>",
            "<video controls><source src='v.mp4'></video>",
            "<a href='javascript:x'>",
            "</a>",
            "<img src=x onerror=y>",
            "**bold**",
            "[l](../rel/)",
            "![i|10x20](/i.png)",
            "&amp;",
            "&",
            "<",
            "]]>",
            "\x00",
            "\x0b",
            "<iframe src=//e.com>",
            "\n\n",
            "# h",
            "| a |\n|---|\n| b |",
            "[^1]\n\n[^1]: n",
        ]
    ),
    max_size=12,
).map("".join)
bodies = st.one_of(any_text, html_bits, st.tuples(any_text, html_bits).map("".join))


def check_digest(articles):
    try:
        digest = publisher.newsletter.render_digest(articles, CONFIG, now=NOW, full_bodies=True)
    except publisher.errors.EmptyDigest:
        assert not publisher.select(articles, now=NOW)
        return
    tree = lxml_html.document_fromstring(digest.html)
    assert not [e for e in tree.iter("script", "iframe", "video", "object", "form")]
    parsed = email.message_from_bytes(digest.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == digest.subject and "\n" not in digest.subject


def check_feeds(articles):
    for name, data in publisher.render_feeds(articles, CONFIG, now=NOW).items():
        if name.endswith(".json"):
            items = json.loads(data)["items"]
            assert all(item["id"] and item["content_html"] is not None for item in items), name
            continue
        if not name.endswith(".xml"):
            continue
        etree.fromstring(data)
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
        if name in ("atom.xml", "rss.xml"):
            assert len(parsed.entries) == len(publisher.select(articles, now=NOW))


@given(
    title=any_text.filter(lambda t: t.strip()),
    tags=st.lists(any_text, max_size=4),
    body=bodies,
    author=st.none() | any_text,
    description=st.none() | any_text,
    category=st.none() | any_text,
)
def test_articles_built_in_code_always_give_readable_feeds(title, tags, body, author, description, category):
    a = publisher.Article(
        slug="p",
        title=title,
        published=datetime(2025, 1, 1, tzinfo=UTC),
        tags=tuple(tags),
        body=body,
        author=author,
        description=description,
        category=category,
    )
    check_feeds([a])


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | any_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_text, children, max_size=3),
    max_leaves=8,
)
frontmatter_fields = st.fixed_dictionaries(
    {},
    optional={
        "title": yaml_values | any_text,
        "publishDate": yaml_values | st.dates().map(str) | st.datetimes().map(lambda d: d.isoformat()),
        "tags": yaml_values,
        "category": yaml_values,
        "featured": yaml_values,
        "author": yaml_values,
        "coverImage": yaml_values | st.sampled_from(["/a.png", "https://x.org/b.webp", "c.gif?x=1"]),
        "draft": yaml_values,
        "slug": yaml_values,
    },
)


@given(meta=frontmatter_fields, body=bodies)
def test_any_frontmatter_is_published_validly_or_skipped_with_a_reason(meta, body):
    try:
        front = yaml.safe_dump(meta, allow_unicode=True)
    except yaml.YAMLError:
        return
    text = f"---\n{front}---\n{body}"
    try:
        article = parse_article(text, CONFIG, path="fuzz.md")
    except publisher.ContentError as exc:
        assert str(exc).startswith("fuzz.md") and exc.reason
        return
    check_feeds([article])
    check_digest([article])


@given(text=any_text | bodies)
def test_arbitrary_file_text_never_raises_anything_but_content_error(text):
    try:
        parse_article(text, CONFIG, path="raw.md")
    except publisher.ContentError:
        pass
