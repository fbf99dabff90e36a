"""Article URLs and entry ids: valid URIs, no "//", every placeholder, one article per address."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import feedparser
import pytest
from rfc3986_validator import validate_rfc3986

import publisher
from publisher.content.permalinks import article_url, entry_id
from publisher.urls import uri
from tests.conftest import make_config, write_article


def article(slug="post", **fields):
    fields.setdefault("title", "T")
    fields.setdefault("published", datetime(2024, 4, 9, 12, tzinfo=UTC))
    return publisher.Article(slug=slug, **fields)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("https://example.org/my first post/", "https://example.org/my%20first%20post/"),
        ("https://example.org/über-uns/", "https://example.org/%C3%BCber-uns/"),
        ("https://bücher.example/a?q=straße#teil 2", "https://xn--bcher-kva.example/a?q=stra%C3%9Fe#teil%202"),
        ("https://example.org/100%/a%20b", "https://example.org/100%25/a%20b"),
        ("https://example.org/already%C3%BC", "https://example.org/already%C3%BC"),
        ("/images/a b.png", "/images/a%20b.png"),
    ],
)
def test_iris_become_uris(address, expected):
    assert uri(address) == expected
    assert validate_rfc3986(uri(address), rule="URI_reference")


def test_file_names_with_spaces_and_umlauts_give_valid_urls_in_every_format(tmp_path):
    write_article(
        tmp_path,
        "my first post.md",
        "---\ntitle: First\ndate: 2024-01-01\n---\n[Köln](https://de.wikipedia.org/wiki/Köln)\n",
    )
    write_article(tmp_path, "über-uns.md", "---\ntitle: Über uns\ndate: 2024-01-02\n---\n![Bild](<bild eins.png>)\n")
    config = make_config(title="T")
    feeds = publisher.render_feeds(publisher.load_articles(tmp_path, config), config)
    atom = feedparser.parse(feeds["atom.xml"])
    assert [e.link for e in atom.entries] == [
        "https://example.org/%C3%BCber-uns/",
        "https://example.org/my%20first%20post/",
    ]
    assert 'src="https://example.org/%C3%BCber-uns/bild%20eins.png"' in atom.entries[0].content[0].value
    assert 'href="https://de.wikipedia.org/wiki/K%C3%B6ln"' in atom.entries[1].content[0].value
    rss = feedparser.parse(feeds["rss.xml"])
    assert [e.link for e in rss.entries] == [e.link for e in atom.entries]
    items = json.loads(feeds["feed.json"])["items"]
    assert [i["url"] for i in items] == [e.link for e in atom.entries]


def test_an_empty_placeholder_drops_its_segment():
    config = make_config(title="T", permalink="/blog/{category}/{slug}/")
    assert article_url(article(category="news"), config) == "https://example.org/blog/news/post/"
    assert article_url(article(), config) == "https://example.org/blog/post/"


def test_every_placeholder(tmp_path):
    write_article(tmp_path, "2024/first-post/index.md", "---\ntitle: A\ndate: 2024-04-09\ncategory: Go/Rust\n---\n")
    write_article(tmp_path, "2024/notes.md", "---\ntitle: B\ndate: 2024-04-10\n---\n")
    config = make_config(title="T", permalink="/{category}/{year}/{month}/{day}/{filename}/{path}/{slug}.html")
    urls = sorted(article_url(a, config) for a in publisher.load_articles(tmp_path, config))
    assert urls == [
        "https://example.org/2024/04/10/notes/2024/notes/notes.html",
        "https://example.org/Go%2FRust/2024/04/09/first-post/2024/first-post/first-post.html",
    ]


def test_a_permalink_two_articles_share_is_reported_naming_both(tmp_path):
    write_article(tmp_path, "a/post.md", "---\ntitle: Old\ndate: 2024-01-01\n---\n")
    write_article(tmp_path, "b/post.md", "---\ntitle: New\ndate: 2024-02-01\n---\n")
    errors: list[publisher.ContentError] = []
    articles = publisher.load_articles(tmp_path, make_config(title="T"), errors=errors)
    assert [a.title for a in articles] == ["New"]
    assert [(e.path, e.field) for e in errors] == [(str(tmp_path / "a/post.md"), "slug")]
    assert str(tmp_path / "b/post.md") in errors[0].message
    # with a {path} permalink the two have addresses of their own
    assert len(publisher.load_articles(tmp_path, make_config(title="T", permalink="/{path}/"))) == 2


def test_different_slugs_at_one_address_are_reported(tmp_path):
    write_article(tmp_path, "a.md", "---\ntitle: A\ndate: 2024-01-01\ncategory: x\n---\n")
    write_article(tmp_path, "b.md", "---\ntitle: B\ndate: 2024-01-05\ncategory: x\n---\n")
    errors: list[publisher.ContentError] = []
    publisher.load_articles(tmp_path, make_config(title="T", permalink="/{category}/"), errors=errors)
    assert errors[0].field == "permalink" and "https://example.org/x/ is also the address of" in errors[0].message


def test_an_id_template_that_gives_two_articles_one_id_is_reported(tmp_path):
    write_article(tmp_path, "a.md", "---\ntitle: A\ndate: 2019-03-01\n---\n")
    write_article(tmp_path, "b.md", "---\ntitle: B\ndate: 2019-04-01\n---\n")
    errors: list[publisher.ContentError] = []
    config = make_config(title="T", feeds={"entry_id": "tag:example.org,2019:{year}"})
    publisher.load_articles(tmp_path, config, errors=errors)
    assert [e.field for e in errors] == ["id"] and "is also the entry id of" in errors[0].message


def test_the_default_id_is_the_url():
    assert entry_id(article(), make_config(title="T")) == "https://example.org/post/"


@pytest.mark.parametrize("pattern", ["/{slug}/{nope}/", "/{slug", "{0}"])
def test_a_permalink_publisher_cannot_fill_is_a_config_error(pattern):
    with pytest.raises(publisher.ConfigError, match="permalink"):
        make_config(title="T", permalink=pattern)
    with pytest.raises(publisher.ConfigError, match="entry_id"):
        make_config(title="T", feeds={"entry_id": pattern.replace("{slug}", "{url}")})


def test_the_sites_own_addresses_written_as_iris_become_uris():
    config = make_config(title="T", url="https://bücher.example/über uns", icon="/bilder/ä.ico")
    assert config.site.url == "https://xn--bcher-kva.example/%C3%BCber%20uns/"
    assert config.site.icon == "/bilder/%C3%A4.ico"
    digest = publisher.newsletter.render_digest([article()], config, now=datetime(2024, 4, 10, tzinfo=UTC))
    assert "https://xn--bcher-kva.example/%C3%BCber%20uns/post/" in digest.html
    assert "bücher" not in digest.html


def test_two_folders_files_of_one_name_are_two_entries_with_their_own_content(tmp_path):
    """OpenTelemetry's blog has 2022/gc-elections.md, 2023/gc-elections.md, ...: one slug, two articles."""
    for year in (2022, 2023):
        write_article(
            tmp_path,
            f"{year}/gc-elections.md",
            f"---\ntitle: Elections {year}\ndate: {year}-10-01\n---\nVote in {year}.\n",
        )
    config = make_config(title="T", permalink="/blog/{path}/")
    feeds = publisher.render_feeds(publisher.load_articles(tmp_path, config), config)
    for name in ("atom.xml", "rss.xml"):
        entries = feedparser.parse(feeds[name]).entries
        assert [(e.title, e.link, e.content[0].value) for e in entries] == [
            ("Elections 2023", "https://example.org/blog/2023/gc-elections/", "<p>Vote in 2023.</p>"),
            ("Elections 2022", "https://example.org/blog/2022/gc-elections/", "<p>Vote in 2022.</p>"),
        ], name


def test_ids_from_a_template_and_from_the_frontmatter(tmp_path):
    write_article(tmp_path, "kept.md", "---\ntitle: Kept\ndate: 2019-03-01\n---\n")
    write_article(
        tmp_path,
        "own.md",
        "---\ntitle: Own\ndate: 2019-03-02\nid: urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a\n---\n",
    )
    config = make_config(title="T", feeds={"entry_id": "tag:example.org,2019:{year}/{slug}"})
    feeds = publisher.render_feeds(publisher.load_articles(tmp_path, config), config)
    expected = ["urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", "tag:example.org,2019:2019/kept"]
    for name in ("atom.xml", "rss.xml"):
        assert [e.id for e in feedparser.parse(feeds[name]).entries] == expected, name
    assert [i["id"] for i in json.loads(feeds["feed.json"])["items"]] == expected
    assert b'isPermaLink="false"' in feeds["rss.xml"]
