"""What real blogs hold that moving in must keep: ids that are short names, nested frontmatter keys,
Markdown and HTML in titles and author names, page-bundle covers (issue 20). The samples are small
and written here; the real sites are in tests/cli/test_sites.py."""

from __future__ import annotations

import json
import logging

import feedparser
import pytest
from lxml import html as lxml_html

import publisher
from publisher.content.permalinks import article_url
from tests.conftest import make_config, write_article


def test_an_id_that_is_not_a_uri_costs_no_article(tmp_path, caplog):
    write_article(tmp_path, "my-post.md", "---\nid: my-post\ntitle: T\ndate: 2024-01-01\n---\nx\n")
    config = make_config(title="T")
    with caplog.at_level(logging.WARNING, logger="publisher"):
        [article] = publisher.load_articles(tmp_path, config)
    assert article.id is None and article.extra == {"id": "my-post"}
    assert "'my-post' is not a URI, so it is no entry id; ignored" in caplog.text
    assert "[fields] id = []" in caplog.text
    entry = feedparser.parse(publisher.render_feeds([article], config)["atom.xml"]).entries[0]
    assert entry.id == "https://example.org/my-post/"  # what [feeds] entry_id makes of it


def test_emptying_a_field_list_switches_the_field_off(tmp_path, caplog):
    write_article(tmp_path, "p.md", "---\nid: nix-0.9\ntitle: T\ndate: 2024-01-01\n---\nx\n")
    config = make_config(title="T", fields={"id": []})
    with caplog.at_level(logging.WARNING, logger="publisher"):
        [article] = publisher.load_articles(tmp_path, config)
    assert article.id is None and caplog.text == ""
    with pytest.raises(publisher.ConfigError, match=r"\[fields\] title: cannot be switched off"):
        make_config(title="T", fields={"title": []})


def test_the_astro_preset_does_not_read_a_collection_id_as_a_feed_id(tmp_path, caplog):
    write_article(tmp_path, "nix.md", "---\nid: nix-0.9\ntitle: Nix\npubDate: 2024-01-01\n---\nx\n")
    with caplog.at_level(logging.WARNING, logger="publisher"):
        [article] = publisher.load_articles(tmp_path, make_config(title="T", preset="astro"))
    assert article.id is None and caplog.text == ""


@pytest.mark.parametrize(
    ("frontmatter", "preset"), [("params:\n  author: Ann Lee\n", "hugo"), ("extra:\n  author: Ann Lee\n", None)]
)
def test_nested_author_keys_are_read(tmp_path, frontmatter, preset):
    write_article(tmp_path, "p.md", f"---\ntitle: T\ndate: 2024-01-01\n{frontmatter}---\nx\n")
    [article] = publisher.load_articles(tmp_path, make_config(title="T", preset=preset))
    assert article.authors == ("Ann Lee",)


def test_a_dotted_name_in_fields_reads_inside_mappings(tmp_path):
    write_article(tmp_path, "p.md", "---\ntitle: T\ndate: 2024-01-01\nmeta:\n  writer: {name: Bo}\n---\nx\n")
    [article] = publisher.load_articles(tmp_path, make_config(title="T", fields={"author": ["meta.writer"]}))
    assert article.authors == ("Bo",)


def test_markdown_and_html_in_titles_and_authors_reach_readers_as_text(tmp_path):
    """v8.dev's frontmatter (BSD-3-Clause, github.com/v8/v8.dev): its own feed shows the text."""
    write_article(
        tmp_path,
        "elements-kinds.md",
        "---\ntitle: '<i>Elements kinds</i> in V8'\ndate: 2017-09-12\n"
        "author: '[Jane Doe](https://twitter.com/jane), the bit shifter'\n---\nx\n",
    )
    write_article(
        tmp_path, "init.md", "---\ntitle: 'What `__init__` and __init__ do: 1 < 2'\ndate: 2017-09-10\n---\nx\n"
    )
    config = make_config(title="T")
    articles = publisher.load_articles(tmp_path, config)
    assert [(a.title, a.authors, a.author_urls) for a in articles] == [
        ("Elements kinds in V8", ("Jane Doe, the bit shifter",), ("https://twitter.com/jane",)),
        ("What __init__ and __init__ do: 1 < 2", (), ()),
    ]
    feeds = publisher.render_feeds(articles, config)
    atom = feedparser.parse(feeds["atom.xml"]).entries[0]
    assert (atom.title, atom.title_detail.type) == ("Elements kinds in V8", "text/plain")
    assert atom.authors == [{"name": "Jane Doe, the bit shifter", "href": "https://twitter.com/jane"}]
    assert b"&lt;i&gt;" not in feeds["rss.xml"] and b"[Jane" not in feeds["rss.xml"]
    item = json.loads(feeds["feed.json"])["items"][0]
    assert item["authors"] == [{"name": "Jane Doe, the bit shifter", "url": "https://twitter.com/jane"}]
    assert b"Elements kinds in V8" in feeds["index.html"] and b"&lt;i&gt;" not in feeds["index.html"]


def test_a_page_bundles_cover_has_its_real_length(tmp_path):
    write_article(tmp_path, "p1/index.md", "---\ntitle: A\ndate: 2025-01-01\nimages: [cover.png]\n---\nx\n")
    (tmp_path / "p1" / "cover.png").write_bytes(b"\x89PNG" + b"\0" * 96)
    write_article(tmp_path, "p2/index.md", "---\ntitle: B\ndate: 2025-01-02\nimages: [../p1/cover.png]\n---\nx\n")
    config = make_config(title="T", preset="hugo")
    feeds = publisher.render_feeds(publisher.load_articles(tmp_path, config), config)
    rss = feedparser.parse(feeds["rss.xml"]).entries
    atom = feedparser.parse(feeds["atom.xml"]).entries
    # p2 names a file outside its own folder: never looked at, so its length is unknown (0)
    assert [e.enclosures[0].length for e in rss] == ["0", "100"]
    assert [e.enclosures[0].get("length") for e in atom] == [None, "100"]


def test_folder_and_title_placeholders(tmp_path):
    """{folder}: the folder that holds the article (a page bundle's too); {title}: Hugo's urlize."""
    write_article(tmp_path, "gc/2024-notes.md", "---\ntitle: What's new in Go 1.21?\ndate: 2024-02-01\n---\nx\n")
    write_article(tmp_path, "lone.md", "---\ntitle: Lone\ndate: 2024-02-02\n---\nx\n")
    write_article(tmp_path, "gc/b/index.md", "---\ntitle: B\ndate: 2024-02-03\n---\nx\n")
    config = make_config(title="T", permalink="/blog/{folder}/{year}/{filename}/{title}")
    urls = sorted(article_url(a, config) for a in publisher.load_articles(tmp_path, config))
    assert urls == [
        "https://example.org/blog/2024/lone/lone",  # no folder: no empty segment
        "https://example.org/blog/gc/2024/2024-notes/whats-new-in-go-1.21",
        "https://example.org/blog/gc/2024/b/b",
    ]


def test_hugos_slug_is_the_frontmatter_slug_else_the_title(tmp_path):
    write_article(tmp_path, "p1/index.md", "---\ntitle: Hello World\ndate: 2024-05-01\n---\nx\n")
    write_article(tmp_path, "p2/index.md", "---\ntitle: Other\nslug: own\ndate: 2024-05-02\n---\nx\n")
    config = make_config(title="T", preset="hugo", permalink="/{year}/{month}/{day}/{slug_or_title}/")
    urls = sorted(article_url(a, config) for a in publisher.load_articles(tmp_path, config))
    assert urls == ["https://example.org/2024/05/01/hello-world/", "https://example.org/2024/05/02/own/"]


MDX = """---
title: Tabs
date: 2024-03-01
---
import Tabs from '@theme/Tabs';
import TabItem from '@theme/TabItem';
export const meta = {
  draft: false,
};

Intro {/* truncate */} text.

<Tabs groupId="pm">
<TabItem value="npm" label={'npm'}>

```js
import {A} from 'b';
```

</TabItem>
</Tabs>

<YouTube id="abc" />

:::tip[Use *npm*]
Install it.
:::
"""


@pytest.mark.parametrize("engine", ["gfm", "python-markdown"])
def test_mdx_is_read_without_its_modules_and_components(tmp_path, engine):
    write_article(tmp_path, "tabs.mdx", MDX)
    config = make_config(title="T", markdown={"engine": engine})
    [article] = publisher.load_articles(tmp_path, config)
    html = json.loads(publisher.render_feeds([article], config)["feed.json"])["items"][0]["content_html"]
    assert "import Tabs" not in html and "export const" not in html and "truncate" not in html
    assert "Tabs" not in html.replace("<h", "") and "YouTube" not in html
    assert "import {A} from" in html  # code stays code
    assert "<blockquote" in html and "<strong>Use <em>npm</em></strong>" in html and ":::" not in html
    assert ("markdown-alert-tip" in html) == (engine == "gfm")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("_data/authors.yml", "jdoe:\n  name: Jane Doe\n  url: https://jane.example/\n"),  # Jekyll
        ("data/authors/jdoe.toml", 'name = "Jane Doe"\nwebsite = "https://jane.example/"\n'),  # Hugo, one per author
        ("blog/authors.json", '{"jdoe": {"name": "Jane Doe", "socials": {"github": "jdoe"}}}'),
    ],
)
def test_author_keys_resolve_from_the_sites_authors_file(tmp_path, path, text):
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(text, encoding="utf-8")
    write_article(tmp_path / "posts", "p.md", "---\ntitle: T\ndate: 2024-01-01\nauthors: [jdoe, Ann]\n---\nx\n")
    source = tmp_path / (path.rsplit("/", 1)[0] if "/authors/" in path else path)
    [article] = publisher.load_articles(tmp_path / "posts", make_config(title="T", authors=str(source)))
    url = "https://github.com/jdoe" if path.endswith(".json") else "https://jane.example/"
    assert (article.authors, article.author_urls) == (("Jane Doe", "Ann"), (url, ""))


def test_an_edited_authors_file_reaches_the_next_build(site):
    made = site(authors="authors.yml")
    (made / "authors.yml").write_text("jdoe:\n  name: Jane Doe\n", encoding="utf-8")
    made.add("p.md", "---\ntitle: T\ndate: 2024-01-01\nauthors: [jdoe]\n---\nx\n")
    made.build()
    assert feedparser.parse((made.out / "atom.xml").read_bytes()).entries[0].author == "Jane Doe"
    (made / "authors.yml").write_text("jdoe:\n  name: Jane Q. Doe\n", encoding="utf-8")
    made.build()
    assert feedparser.parse((made.out / "atom.xml").read_bytes()).entries[0].author == "Jane Q. Doe"


def test_a_dropped_empty_link_is_named_with_its_line_and_text(tmp_path, caplog):
    write_article(tmp_path, "p.md", "---\ntitle: T\ndate: 2024-01-01\n---\nFirst line.\n\nSee [the docs]() here.\n")
    config = make_config(title="T")
    with caplog.at_level(logging.WARNING, logger="publisher"):
        publisher.render_feeds(publisher.load_articles(tmp_path, config), config)
    assert "p.md: href='' is not an http(s) address; dropped (line 7, link text 'the docs')" in caplog.text


@pytest.mark.parametrize(
    ("title", "subtitle"),
    [("The Go Blog", "Every issue of The Go Blog newsletter"), ("Go", "Every issue of the Go newsletter")],
)
def test_the_newsletter_feeds_subtitle_reads_right(title, subtitle):
    from publisher.email.webarchive import issues_feed

    feed = feedparser.parse(issues_feed([], make_config(title=title)))
    assert feed.feed.subtitle == f"{subtitle}, as a web page"


def test_a_replacement_character_in_a_body_reaches_readers_as_a_reference(tmp_path):
    """v8.dev's 'well-formed JSON.stringify' shows '"\ufffd"': the validator took it for bad encoding."""
    write_article(tmp_path, "p.md", "---\ntitle: T\ndate: 2024-01-01\ndescription: D\n---\nIt prints `'\"\ufffd\"'`.\n")
    config = make_config(title="T")
    feeds = publisher.render_feeds(publisher.load_articles(tmp_path, config), config)
    assert "\ufffd".encode() not in feeds["atom.xml"] and b"&amp;#xFFFD;" in feeds["atom.xml"]
    html = feedparser.parse(feeds["atom.xml"]).entries[0].content[0].value
    assert lxml_html.fragment_fromstring(html, create_parent="div").text_content() == "It prints '\"\ufffd\"'."


def test_docusaurus_takes_a_missing_title_from_the_first_heading(tmp_path):
    write_article(
        tmp_path, "2024-02-03-hello.md", "---\nauthors: [a]\n---\n```\n# not this\n```\n# Hello *World*\n\nx\n"
    )
    config = make_config(title="T", preset="docusaurus", permalink="/blog/{dated_path}")
    [article] = publisher.load_articles(tmp_path, config)
    assert (article.title, article.published.date().isoformat()) == ("Hello World", "2024-02-03")
    assert article_url(article, config) == "https://example.org/blog/2024/02/03/hello"


def test_docusaurus_reads_every_markdown_file_as_mdx(tmp_path):
    write_article(
        tmp_path, "2024-02-03-a.md", "---\ntitle: A\n---\nimport X from '@site/x';\n\nText {/* truncate */}\n"
    )
    [article] = publisher.load_articles(tmp_path, make_config(title="T", preset="docusaurus"))
    assert article.body.strip() == "Text"
