from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

import publisher
from tests.conftest import NOW, article, make_config

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"


def read(data: bytes):
    """Parse as a feed reader would; a feed that feedparser flags is a failure."""
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def absolute_urls_only(fragment: str) -> list[str]:
    tree = lxml_html.fragment_fromstring(fragment, create_parent="div")
    urls = [v for el in tree.iter() for k, v in el.attrib.items() if k in ("href", "src", "poster")]
    bad = [u for u in urls if not u.startswith(("https://", "http://", "mailto:"))]
    assert not bad, bad
    return urls


@pytest.fixture
def config(engine_config):
    """Every test here runs with each Markdown engine."""
    return engine_config


@pytest.fixture
def seed_feeds(seed, config):
    articles = [publisher.content.load_article(seed, config)]
    return publisher.render_feeds(articles, config, now=NOW)


def test_default_outputs(seed_feeds):
    assert set(seed_feeds) == {
        "atom.xml",
        "rss.xml",
        "feed.json",
        "featured.atom.xml",
        "featured.rss.xml",
        "featured.json",
        "index.html",
        "archive/2025.atom.xml",
    }


@pytest.mark.parametrize("name", ["atom.xml", "rss.xml", "featured.atom.xml", "featured.rss.xml"])
def test_seed_article_reads_back_from_every_feed(seed_feeds, name):
    feed = read(seed_feeds[name])
    (entry,) = feed.entries
    assert entry.title == "OpenAI’s Sora 2 App Guide - Features, Invite Codes, and How to Get Started"
    assert entry.link == "https://example.org/sora2-app-guide/"
    assert entry.id == "https://example.org/sora2-app-guide/"
    assert entry.published_parsed[:3] == (2025, 10, 1)
    assert entry.author == "AI Photo Prompt Lab Team"
    assert [t.term for t in entry.tags] == ["sora-2", "openai", "sora-app", "guide", "insights"]
    assert entry.summary.startswith("Learn what’s new in Sora 2")
    (enclosure,) = entry.enclosures
    assert enclosure.href == "https://img.aiphotoprompt.net/2025/10/70a3f8b02f7d468bf61d8d3335014049.png"
    assert enclosure.type == "image/png"
    content = entry.content[0].value
    assert content.count("<video") == 5
    assert "â€" not in content and "social landscape—Sora" in content
    urls = absolute_urls_only(content)
    assert "https://img.aiphotoprompt.net/videos/4922dc7b-44e0-4271-9752-8ac66e31d423-c9b410e2c18a.mp4" in urls


def test_rss_item_structure(seed_feeds):
    root = etree.fromstring(seed_feeds["rss.xml"])
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("link") == "https://example.org/"
    self_link = channel.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "https://example.org/feeds/rss.xml"
    item = channel.find("item")
    guid = item.find("guid")
    assert guid.text == "https://example.org/sora2-app-guide/" and guid.get("isPermaLink") == "true"
    enclosure = item.find("enclosure")
    assert enclosure.attrib == {
        "url": "https://img.aiphotoprompt.net/2025/10/70a3f8b02f7d468bf61d8d3335014049.png",
        "length": "0",
        "type": "image/png",
    }
    assert item.find(f"{MEDIA}content").get("medium") == "image"
    assert item.find(f"{MEDIA}thumbnail").get("url") == enclosure.get("url")
    assert "<video" in item.findtext(f"{CONTENT}encoded")
    assert item.find("author") is None  # RSS <author> must be an e-mail address; dc:creator carries names


def test_atom_entry_links_survive_feedgen_issue_135(seed_feeds):
    """feedgen 1.0.0 writes entry links without rel/type/length; this fails if that comes back."""
    root = etree.fromstring(seed_feeds["atom.xml"])
    (entry,) = root.findall(f"{ATOM}entry")
    links = entry.findall(f"{ATOM}link")
    alternates = [ln for ln in links if ln.get("rel", "alternate") == "alternate"]
    assert [ln.get("href") for ln in alternates] == ["https://example.org/sora2-app-guide/"]
    (enclosure,) = [ln for ln in links if ln.get("rel") == "enclosure"]
    assert enclosure.get("type") == "image/png"
    assert enclosure.get("href").endswith("70a3f8b02f7d468bf61d8d3335014049.png")
    (via,) = [ln for ln in links if ln.get("rel") == "via"]
    assert via.get("href") == "https://mp.weixin.qq.com/s/Q5QVWjN5NvNUcPWtdBYqMw"
    assert entry.find(f"{ATOM}content").get("type") == "html"


def test_feed_level_metadata(seed_feeds):
    root = etree.fromstring(seed_feeds["atom.xml"])
    assert root.findtext(f"{ATOM}id") == "https://example.org/feeds/atom.xml"
    assert root.findtext(f"{ATOM}title") == "Test Site"
    assert root.findtext(f"{ATOM}subtitle") == "Testing publisher"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "https://example.org/feeds/atom.xml"
    (home,) = [ln for ln in root.findall(f"{ATOM}link[@rel='alternate']") if ln.get("type") is None]
    assert home.get("href") == "https://example.org/"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert root.findtext(f"{ATOM}generator") == "publisher"
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Test Site"


def test_feed_updated_comes_from_the_newest_entry_not_the_clock(config):
    articles = [
        article("old", published=datetime(2025, 1, 1, tzinfo=UTC)),
        article("edited", published=datetime(2025, 2, 1, tzinfo=UTC), updated=datetime(2025, 3, 5, 8, 30, tzinfo=UTC)),
    ]
    feeds = publisher.render_feeds(articles, config, now=NOW)
    atom = etree.fromstring(feeds["atom.xml"])
    assert atom.findtext(f"{ATOM}updated") == "2025-03-05T08:30:00+00:00"
    rss = etree.fromstring(feeds["rss.xml"])
    assert rss.findtext("channel/lastBuildDate") == "Wed, 05 Mar 2025 08:30:00 +0000"


def test_rendering_is_deterministic(config):
    articles = [article(f"post-{i}", published=datetime(2025, 1, 1 + i % 3, tzinfo=UTC)) for i in range(6)]
    first = publisher.render_feeds(articles, config, now=NOW)
    second = publisher.render_feeds(list(reversed(articles)), config, now=NOW + timedelta(days=3))
    assert first == second


def test_entries_are_newest_first_with_ties_by_slug(config):
    day = datetime(2025, 5, 5, tzinfo=UTC)
    articles = [
        article("b", published=day),
        article("a", published=day),
        article("newest", published=day + timedelta(hours=1)),
    ]
    feed = read(publisher.render_feeds(articles, config, now=NOW)["atom.xml"])
    assert [e.link.rstrip("/").rsplit("/", 1)[1] for e in feed.entries] == ["newest", "a", "b"]


def test_articles_built_in_code_give_valid_atom_and_rss(engine):
    """The library contract: no files at all, three Articles, two valid feeds."""
    config = make_config(title="My site", description="Testing publisher", markdown={"engine": engine})
    articles = [
        publisher.Article(
            slug="hello", title="Hello", published=datetime(2025, 10, 1, tzinfo=UTC), body="Markdown *text*"
        ),
        publisher.Article(
            slug="second",
            title="Second & more",
            published=datetime(2025, 10, 2, tzinfo=UTC),
            body="See [the first](/hello/).",
            tags=("news",),
            author="Ann",
            cover_image="/img/cover.webp",
        ),
        publisher.Article(
            slug="third",
            title="Third <b>bold</b>",
            published=datetime(2025, 10, 3, tzinfo=UTC),
            featured=True,
            description="A summary.",
        ),
    ]
    feeds = publisher.render_feeds(articles, config, now=NOW)
    for name in ("atom.xml", "rss.xml"):
        etree.fromstring(feeds[name])  # well-formed XML
        feed = read(feeds[name])
        assert [e.title for e in feed.entries] == ["Third <b>bold</b>", "Second & more", "Hello"]
        assert feed.entries[1].enclosures[0].href == "https://example.org/img/cover.webp"
        assert feed.entries[1].enclosures[0].type == "image/webp"
        assert 'href="https://example.org/hello/"' in feed.entries[1].content[0].value
    assert [e.title for e in read(feeds["featured.rss.xml"]).entries] == ["Third <b>bold</b>"]


def test_drafts_and_future_articles_are_in_no_feed(config):
    articles = [
        article("live"),
        article("draft", draft=True),
        article("future", published=NOW + timedelta(minutes=1)),
        article("featured-draft", draft=True, featured=True),
    ]
    for name, data in publisher.render_feeds(articles, config, now=NOW).items():
        if name.endswith(".json"):
            slugs = {item["id"].rstrip("/").rsplit("/", 1)[1] for item in json.loads(data)["items"]}
        elif name.endswith(".xml"):
            slugs = {e.link.rstrip("/").rsplit("/", 1)[1] for e in read(data).entries}
        else:
            slugs = {s for s in ("draft", "future") if f"/{s}/".encode() in data}
        assert slugs <= {"live"}, name


def test_featured_feeds_hold_only_featured_articles(config):
    articles = [article(f"p{i}", featured=i % 2 == 0, published=datetime(2025, 1, i + 1, tzinfo=UTC)) for i in range(6)]
    feeds = publisher.render_feeds(articles, config, now=NOW)
    for name in ("featured.atom.xml", "featured.rss.xml"):
        titles = [e.title for e in read(feeds[name]).entries]
        assert titles == ["P4", "P2", "P0"]


def test_an_empty_feed_is_still_valid_and_dated_deterministically():
    config = make_config(title="T", feeds={"featured_atom": "featured.atom.xml"})
    feeds = publisher.render_feeds([article("plain")], config, now=NOW)
    feed = read(feeds["featured.atom.xml"])
    assert feed.entries == [] and feed.feed.updated == "2025-10-01T00:00:00+00:00"


def test_feed_limit(config):
    small = make_config(title="T", feeds={"limit": 3})
    articles = [article(f"p{i}", published=datetime(2025, 1, i + 1, tzinfo=UTC)) for i in range(10)]
    assert len(read(publisher.render_feeds(articles, small, now=NOW)["rss.xml"]).entries) == 3


@pytest.mark.parametrize(
    ("cover", "media_type"),
    [
        ("a.jpg", "image/jpeg"),
        ("a.JPEG", "image/jpeg"),
        ("a.png", "image/png"),
        ("a.gif", "image/gif"),
        ("a.webp", "image/webp"),
        ("a.avif", "image/avif"),
        ("a.svg", "image/svg+xml"),
    ],
)
def test_enclosure_type_comes_from_the_extension(config, cover, media_type):
    data = publisher.render_feeds([article(cover_image=f"https://cdn.example.net/{cover}?v=2")], config, now=NOW)
    assert read(data["rss.xml"]).entries[0].enclosures[0].type == media_type


def test_local_cover_gets_its_real_length_and_an_absolute_url(tmp_path):
    static = tmp_path / "static"
    (static / "images").mkdir(parents=True)
    (static / "images" / "cover.png").write_bytes(b"\x89PNG" + b"x" * 1230)
    config = make_config(title="T", url="https://example.org/blog/", static=str(static))
    feeds = publisher.render_feeds([article(cover_image="/images/cover.png")], config, now=NOW)
    for name in ("rss.xml", "atom.xml"):
        (enclosure,) = read(feeds[name]).entries[0].enclosures
        assert enclosure.href == "https://example.org/images/cover.png"
        assert int(enclosure.length) == 1234


def test_cover_outside_the_static_folder_is_not_measured(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"x" * 99)
    (tmp_path / "static").mkdir()
    config = make_config(title="T", static=str(tmp_path / "static"))
    feeds = publisher.render_feeds([article(cover_image="/../secret.png")], config, now=NOW)
    rss = etree.fromstring(feeds["rss.xml"])
    assert rss.find("channel/item/enclosure").get("length") == "0"


def test_tag_and_category_feeds_have_safe_names(config):
    with_groups = make_config(title="T", feeds={"tags": True, "categories": True})
    articles = [
        article("a", tags=("News", "../../etc/passwd"), category="Insights"),
        article("b", tags=("news",), published=datetime(2025, 11, 1, tzinfo=UTC)),
    ]
    feeds = publisher.render_feeds(articles, with_groups, now=NOW)
    assert {
        "tags/news.atom.xml",
        "tags/news.rss.xml",
        "tags/etc-passwd.atom.xml",
        "categories/insights.rss.xml",
    } <= set(feeds)
    assert all(".." not in name for name in feeds)
    assert [e.title for e in read(feeds["tags/news.atom.xml"]).entries] == ["B", "A"]
    assert [e.title for e in read(feeds["categories/insights.atom.xml"]).entries] == ["A"]


def test_xml_forbidden_characters_never_reach_a_feed(config):
    bad = article(title="Bell\x07 and\x0b tab", body="Escape \x1b[31m red", tags=("t\x0c",), author="A\x01")
    feeds = publisher.render_feeds([bad], config, now=NOW)
    for data in (data for name, data in feeds.items() if name.endswith(".xml")):
        etree.fromstring(data)
        read(data)
    assert not any(c in json.loads(feeds["feed.json"])["items"][0]["title"] for c in "\x07\x0b")


def test_titles_are_escaped_exactly_once(config):
    feeds = publisher.render_feeds([article(title="Fish & Chips <today>")], config, now=NOW)
    assert b"Fish &amp; Chips &lt;today&gt;" in feeds["atom.xml"]
    assert b"&amp;amp;" not in feeds["atom.xml"]
    assert read(feeds["rss.xml"]).entries[0].title == "Fish & Chips <today>"
