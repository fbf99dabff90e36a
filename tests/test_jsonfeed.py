from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import jsonschema
import pytest
from lxml import etree

import publisher
from tests.conftest import NOW, article, make_config

FIXTURES = Path(__file__).parent / "fixtures" / "jsonfeed"
ATOM = "{http://www.w3.org/2005/Atom}"
SEED_COVER = "https://img.aiphotoprompt.net/2025/10/70a3f8b02f7d468bf61d8d3335014049.png"


@functools.cache
def json_feed_validator() -> jsonschema.protocols.Validator:
    """The JSON Feed 1.1 schema, checked, with its formats."""
    schema = json.loads((FIXTURES / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    return json_feed_validator()


def valid_json_feed(validator, data: bytes) -> dict:
    feed = json.loads(data.decode("utf-8"))
    errors = sorted(validator.iter_errors(feed), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    return feed


@pytest.mark.parametrize("name", ["spec-podcast.json", "spec-microblog.json"])
def test_the_schema_accepts_the_spec_examples(validator, name):
    valid_json_feed(validator, (FIXTURES / name).read_bytes())


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda f: f.pop("items"), "'items' is a required property"),
        (lambda f: f["items"][0].pop("id"), "'id' is a required property"),
        (lambda f: f["items"][0].pop("content_text"), "is not valid under any of the given schemas"),
        (lambda f: f["items"][0].update(date_published="9 May 2014"), "is not a 'date-time'"),
        (lambda f: f["items"][0].update(url="not a url"), "is not a 'uri'"),
        (lambda f: f["items"][0]["attachments"][0].pop("mime_type"), "'mime_type' is a required property"),
        (lambda f: f["items"][0].update(image_url="https://x.example/a.png"), "does not match any of the regexes"),
        (lambda f: f.update(version="https://jsonfeed.org/version/1.2"), "was expected"),
        (lambda f: f.update(authors=[{}]), "is not valid under any of the given schemas"),
    ],
)
def test_the_schema_rejects_what_the_spec_forbids(validator, change, complaint):
    """Guards the guard: formats are really checked and required members really required."""
    feed = json.loads((FIXTURES / "spec-podcast.json").read_text(encoding="utf-8"))
    feed["items"][0].pop("content_html")
    change(feed)
    messages = [e.message for e in validator.iter_errors(feed)]
    assert any(complaint in m for m in messages), messages


def test_the_schema_allows_extensions(validator):
    feed = json.loads((FIXTURES / "spec-microblog.json").read_text(encoding="utf-8"))
    feed["_blue_shed"] = {"about": "https://blueshed-podcasts.com/json-feed-extension-docs", "explicit": False}
    feed["items"][0]["_blue_shed"] = {"explicit": False}
    assert not list(validator.iter_errors(feed))


@pytest.fixture
def seed_feeds(seed, config):
    return publisher.render_feeds([publisher.content.load_article(seed, config)], config, now=NOW)


@pytest.mark.parametrize("name", ["feed.json", "featured.json"])
def test_seed_article_in_json_feed_with_its_cover_as_image_and_attachment(validator, seed_feeds, name):
    feed = valid_json_feed(validator, seed_feeds[name])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert list(feed)[0] == "version"
    assert feed["feed_url"] == f"https://example.org/feeds/{name}"
    assert feed["home_page_url"] == "https://example.org/"
    assert feed["description"] == "Testing publisher" and feed["language"] == "en"
    assert feed["authors"] == [{"name": "Test Site", "url": "https://example.org/"}]
    (item,) = feed["items"]
    assert item["id"] == item["url"] == "https://example.org/sora2-app-guide/"
    assert item["title"] == "OpenAI’s Sora 2 App Guide - Features, Invite Codes, and How to Get Started"
    assert item["external_url"] == "https://mp.weixin.qq.com/s/Q5QVWjN5NvNUcPWtdBYqMw"
    assert item["image"] == item["banner_image"] == SEED_COVER
    assert item["attachments"] == [{"url": SEED_COVER, "mime_type": "image/png"}]  # size unknown: left out
    assert item["date_published"] == item["date_modified"] == "2025-10-01T00:00:00+00:00"
    assert item["summary"].startswith("Learn what’s new in Sora 2")
    assert item["tags"] == ["sora-2", "openai", "sora-app", "guide", "insights"]
    assert item["authors"] == [{"name": "AI Photo Prompt Lab Team"}]
    assert item["content_html"].count("<video") == 5 and "â€" not in item["content_html"]


def test_json_items_match_the_atom_entries(seed_feeds):
    """Same id, same sanitised HTML, same summary as the Atom feed: a reader switching formats sees no reruns."""
    (item,) = json.loads(seed_feeds["feed.json"])["items"]
    (entry,) = etree.fromstring(seed_feeds["atom.xml"]).findall(f"{ATOM}entry")
    assert item["id"] == entry.findtext(f"{ATOM}id")
    assert item["content_html"] == entry.findtext(f"{ATOM}content")
    assert item["summary"] == entry.findtext(f"{ATOM}summary")


def test_json_feed_is_utf8_and_ends_with_a_newline(seed_feeds):
    data = seed_feeds["feed.json"]
    assert "OpenAI’s".encode() in data and data.endswith(b"}\n")


def test_local_cover_attachment_has_its_size(validator, tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "cover.jpg").write_bytes(b"\xff\xd8" + b"x" * 998)
    config = make_config(title="T", static=str(tmp_path))
    feeds = publisher.render_feeds([article(cover_image="/images/cover.jpg")], config, now=NOW)
    (item,) = valid_json_feed(validator, feeds["feed.json"])["items"]
    assert item["attachments"] == [
        {"url": "https://example.org/images/cover.jpg", "mime_type": "image/jpeg", "size_in_bytes": 1000}
    ]


def test_articles_built_in_code_give_a_valid_json_feed(validator):
    config = make_config(title="Fish & <Chips>", icon="/icon.png", language="de-AT")
    articles = [
        article("plain"),
        article(
            "odd",
            title="Bell\x07 and\nnewline",
            source="Printed magazine",
            tags=("a", "A", "a"),
            published=datetime(2025, 10, 2, 9, 30, 15, 250000, tzinfo=UTC),
            body="",
        ),
    ]
    feed = valid_json_feed(validator, publisher.render_feeds(articles, config, now=NOW)["feed.json"])
    assert feed["title"] == "Fish & <Chips>"
    assert feed["icon"] == feed["favicon"] == "https://example.org/icon.png"
    odd, plain = feed["items"]
    assert odd["title"] == "Bell and newline" and "external_url" not in odd
    assert odd["tags"] == ["a", "A"] and "summary" not in odd
    assert odd["date_published"] == "2025-10-02T09:30:15.250000+00:00"
    assert "image" not in plain and "attachments" not in plain


def test_tag_and_category_json_feeds(validator):
    config = make_config(title="T", feeds={"tags": True, "categories": True})
    feeds = publisher.render_feeds([article("a", tags=("News",), category="Insights")], config, now=NOW)
    assert {"tags/news.json", "categories/insights.json"} <= set(feeds)
    feed = valid_json_feed(validator, feeds["tags/news.json"])
    assert feed["title"] == "T: News" and feed["feed_url"] == "https://example.org/feeds/tags/news.json"


def test_tags_that_differ_only_by_invisible_characters_or_normalisation_are_one_tag_everywhere(validator, tmp_path):
    # They share one tag feed (its slug drops format characters); each entry lists that tag once too.
    names = ("news", "ne\u200bws", "news\u200d", "ne\u0301ws", "n\u00e9ws")
    config = make_config(title="T", feeds={"tags": True})
    (tmp_path / "a.md").write_text(f"---\ntitle: A\npublishDate: 2025-10-01\ntags: [{', '.join(names)}]\n---\nA\n")
    for given in (article("a", tags=names), *publisher.load_articles(tmp_path, config)):
        feeds = publisher.render_feeds([given], config, now=NOW)
        assert sorted(n for n in feeds if n.startswith("tags/")) == [
            f"tags/{slug}.{suffix}" for slug in ("news", "n\u00e9ws") for suffix in ("atom.xml", "json", "rss.xml")
        ]
        for name in ("feed.json", "tags/news.json"):
            assert valid_json_feed(validator, feeds[name])["items"][0]["tags"] == ["news", "ne\u0301ws"]
        entry = feedparser.parse(feeds["atom.xml"]).entries[0]
        assert [t.term for t in entry.tags] == ["news", "ne\u0301ws"]


def test_json_file_names_are_configurable():
    config = make_config(
        title="T",
        feeds={
            "json": "all.json",
            "featured_json": "best.json",
            "tags": True,
            "tag_json_pattern": "topics/{slug}/feed.json",
        },
    )
    feeds = publisher.render_feeds([article(tags=("x",))], config, now=NOW)
    assert {"all.json", "best.json", "topics/x/feed.json"} <= set(feeds)
    assert "feed.json" not in feeds


@pytest.mark.parametrize(
    ("xml_name", "json_name"),
    [("atom.xml", "feed.json"), ("rss.xml", "feed.json"), ("featured.atom.xml", "featured.json")],
)
def test_atom_and_rss_link_their_json_feed_and_the_feeds_page(seed_feeds, xml_name, json_name):
    root = etree.fromstring(seed_feeds[xml_name])
    links = root.findall(f"{ATOM}link") + root.findall(f"channel/{ATOM}link")
    alternates = {ln.get("type"): ln.get("href") for ln in links if ln.get("rel") == "alternate"}
    assert alternates["application/feed+json"] == f"https://example.org/feeds/{json_name}"
    assert alternates["text/html"] == "https://example.org/feeds/index.html"


@pytest.mark.parametrize("name", ["atom.xml", "rss.xml", "featured.atom.xml", "featured.rss.xml"])
def test_the_site_link_stays_the_home_page(seed_feeds, name):
    """Readers take the last text/html alternate as the site's address: the feeds page must come before it."""
    feed = feedparser.parse(seed_feeds[name])
    assert feed.bozo == 0 and feed.feed.link == "https://example.org/"
    assert {ln.href for ln in feed.feed.links if ln.type == "application/feed+json"}


def test_no_feeds_page_means_no_link_to_it(config):
    without = make_config(title="T", feeds={"index": ""})
    feeds = publisher.render_feeds([article()], without, now=NOW)
    assert "index.html" not in feeds
    assert b"text/html" not in feeds["atom.xml"] and "index.html" not in json.loads(feeds["feed.json"])["user_comment"]
