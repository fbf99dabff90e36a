"""Another publisher's pages in, feeds out: each page hands over its own URL and the HTML it already
rendered (MkDocs, Pelican), and a Config with only a title and a url renders them. The HTML is
sanitised and made absolute, never read as Markdown again: a highlighted code block with blank
lines (a CommonMark HTML block would end at the first one) comes out as it went in."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest
from lxml import etree

import publisher
from publisher.config import Site
from tests.conftest import NOW

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


@dataclass
class Page:
    """A host's page as a site generator keeps it: no frontmatter, no Markdown."""

    title: str
    url: str
    date: str
    html: str


CODE = '<div class="highlight"><pre><span></span><code>x = 1\n\n\ny = 2\n</code></pre></div>'
PAGES = [
    Page(
        "Install",
        "https://docs.example.org/guide/install/",
        "2025-03-01",
        f'<h2 id="setup">Setup</h2>\n{CODE}\n<p><img alt="diagram" src="../img/flow.png"></p>\n'
        '<p>See <a href="../usage/">usage</a>.</p>',
    ),
    Page(
        "Demo",
        "https://docs.example.org/guide/demo/",
        "2025-03-02T10:30:00+01:00",
        '<video controls="" poster="poster.jpg" width="640"><source src="clip.mp4" type="video/mp4"></video>\n'
        f'<p>Then:</p>\n{CODE.replace("x = 1", "z = 3")}\n<p><img alt="" src="/assets/logo.svg"></p>',
    ),
]
# The same HTML with every address absolute against its page: nothing else may change.
EXPECTED = {
    PAGES[0].url: PAGES[0]
    .html.replace('src="../img/flow.png"', 'src="https://docs.example.org/guide/img/flow.png"')
    .replace('href="../usage/"', 'href="https://docs.example.org/guide/usage/"'),
    PAGES[1].url: PAGES[1]
    .html.replace('poster="poster.jpg"', 'poster="https://docs.example.org/guide/demo/poster.jpg"')
    .replace('src="clip.mp4"', 'src="https://docs.example.org/guide/demo/clip.mp4"')
    .replace('src="/assets/logo.svg"', 'src="https://docs.example.org/assets/logo.svg"'),
}


def feeds_of(pages: list[Page]) -> dict[str, bytes]:
    config = publisher.Config(site=Site(title="Docs", url="https://docs.example.org/"))
    articles = [
        publisher.Article(
            slug=page.url.rstrip("/").rsplit("/", 1)[1],
            title=page.title,
            published=publisher.parse_date(page.date, config),
            url=page.url,
            html=page.html,
        )
        for page in pages
    ]
    return publisher.render_feeds(articles, config, now=NOW)


def test_a_render_only_config_carries_no_folders():
    config = publisher.Config(site=Site(title="Docs", url="https://docs.example.org/"))
    assert (config.site.content, config.site.output, config.site.state_dir) == (None, None, None)


def test_given_html_comes_out_byte_equal_with_absolute_urls_and_links_are_the_given_urls():
    feeds = feeds_of(PAGES)
    atom = etree.fromstring(feeds["atom.xml"])
    entries = {e.find(f"{ATOM}link").get("href"): e.find(f"{ATOM}content").text for e in atom.iter(f"{ATOM}entry")}
    assert entries == EXPECTED
    rss = etree.fromstring(feeds["rss.xml"])
    assert {item.findtext("link"): item.findtext(CONTENT) for item in rss.iter("item")} == EXPECTED
    items = json.loads(feeds["feed.json"])["items"]
    assert {item["url"]: item["content_html"] for item in items} == EXPECTED
    assert CODE in entries[PAGES[0].url]  # blank lines and all, inside its <div>


def test_feedparser_reads_every_feed_without_complaint():
    feeds = feeds_of(PAGES)
    xml = [name for name in feeds if name.endswith(".xml")]
    assert len(xml) >= 3  # atom.xml, rss.xml and the year's archive
    for name in xml:
        parsed = feedparser.parse(feeds[name])
        assert not parsed.bozo, f"{name}: {parsed.get('bozo_exception')}"
        assert sorted(entry.link for entry in parsed.entries) == sorted(page.url for page in PAGES), name


def test_a_given_url_that_is_no_web_address_is_reported_and_the_page_left_out():
    bad = Page("Bad", "javascript:alert(1)", "2025-03-03", "<p>x</p>")
    errors: list[publisher.ContentError] = []
    config = publisher.Config(site=Site(title="Docs", url="https://docs.example.org/"))
    articles = [
        publisher.Article(slug=p.title, title=p.title, published=publisher.parse_date(p.date), url=p.url, html=p.html)
        for p in [*PAGES, bad]
    ]
    feeds = publisher.render_feeds(articles, config, now=NOW, errors=errors)
    assert [(e.field, e.message) for e in errors] == [("url", "'javascript:alert(1)' is not an http(s) address")]
    assert sorted(e.link for e in feedparser.parse(feeds["atom.xml"]).entries) == sorted(p.url for p in PAGES)


def test_parse_date_is_public_and_names_what_it_expected():
    assert publisher.parse_date("2025-03-02T10:30:00+01:00").isoformat() == "2025-03-02T10:30:00+01:00"
    assert publisher.parse_date("2025-3-2").isoformat() == "2025-03-02T00:00:00+00:00"
    with pytest.raises(publisher.ContentError, match=r"'2025-13-45' is not a date \(expected YYYY-MM-DD or ISO 8601\)"):
        publisher.parse_date("2025-13-45")


def test_given_html_goes_through_the_html_filters_but_never_the_body_filters():
    def mark_html(html: str) -> str:
        return html.replace("<p>", '<p class="host">')

    def mark_markdown(text: str) -> str:
        return text + "\n\nadded to Markdown"

    config = publisher.Config(
        site=Site(title="Docs", url="https://docs.example.org/", html_filters=[mark_html], body_filters=[mark_markdown])
    )
    page = publisher.Article(slug="a", title="A", published=NOW, url="https://docs.example.org/a/", html="<p>x</p>")
    items = json.loads(publisher.render_feeds([page], config, now=NOW)["feed.json"])["items"]
    assert [item["content_html"] for item in items] == ['<p class="host">x</p>']


def pages_with_files(pages: list[Page], config: publisher.Config) -> list[publisher.Article]:
    """The pages as a plugin hands them over: each with its URL, its HTML and its source file."""
    return [
        publisher.Article(
            slug=page.title.lower(),
            title=page.title,
            published=publisher.parse_date(page.date, config),
            url=page.url,
            html=page.html,
            path=f"docs/{page.title.lower()}.md",
        )
        for page in pages
    ]


def test_a_second_call_with_a_store_finds_the_pages_unchanged_and_a_changed_page_is_made_again(tmp_path):
    config = publisher.Config(site=Site(title="Docs", url="https://docs.example.org/"))

    def call(pages: list[Page]) -> list[str]:
        articles = pages_with_files(pages, config)
        with publisher.Store(tmp_path / "state") as store:
            store.take(articles, config)
            feeds = publisher.render_feeds(articles, config, now=NOW, store=store)
            return publisher.write_feeds(feeds, tmp_path / "out", store=store)

    assert "atom.xml" in call(PAGES)
    assert call(PAGES) == []
    edited = [PAGES[0], Page(PAGES[1].title, PAGES[1].url, PAGES[1].date, PAGES[1].html + "<p>More.</p>")]
    assert "atom.xml" in call(edited)
    atom = etree.parse(str(tmp_path / "out" / "atom.xml")).getroot()
    assert {e.find(f"{ATOM}link").get("href"): e.find(f"{ATOM}content").text for e in atom.iter(f"{ATOM}entry")}[
        PAGES[1].url
    ].endswith("<p>More.</p>")


def store_call(pages: list[Page], folder: Path) -> tuple[list[str], list[str], dict[str, bytes]]:
    """The public stages with a store, as the plugins call them: (outputs made, articles whose
    entries were made, the files of the output folder)."""
    config = publisher.Config(site=Site(title="Docs", url="https://docs.example.org/"))
    articles = pages_with_files(pages, config)
    with publisher.Store(folder / "state") as store:
        store.take(articles, config)
        feeds = publisher.render_feeds(articles, config, now=NOW, store=store)
        publisher.write_feeds(feeds, folder / "out", store=store)
    files = {str(p.relative_to(folder / "out")): p.read_bytes() for p in (folder / "out").rglob("*") if p.is_file()}
    return store.made, store.entries_made, files


def test_an_emptied_output_folder_gets_the_kept_bytes_and_an_edit_makes_only_what_holds_the_page(tmp_path):
    """MkDocs empties site/ before every build: once the store saw its files gone, it keeps their bytes and
    writes each unchanged output from them, and after an edit makes again only the outputs that hold the
    edited page, and its entries alone. A first write keeps no bytes (publisher build's folder keeps its
    files)."""
    old = Page("Old", "https://docs.example.org/old/", "2024-06-01", "<p>From last year.</p>")
    made, entries, first = store_call([*PAGES, old], tmp_path)
    assert set(made) == set(first) and len(entries) == 3
    shutil.rmtree(tmp_path / "out")
    made, entries, again = store_call([*PAGES, old], tmp_path)
    assert (set(made), entries, again) == (set(first), [], first)  # from the kept entries; bytes kept now
    shutil.rmtree(tmp_path / "out")
    made, entries, again = store_call([*PAGES, old], tmp_path)
    assert (made, entries, again) == ([], [], first)
    shutil.rmtree(tmp_path / "out")
    edited = Page(PAGES[1].title, PAGES[1].url, PAGES[1].date, PAGES[1].html + "<p>More.</p>")
    made, entries, after = store_call([PAGES[0], edited, old], tmp_path)
    assert entries == ["docs/demo.md"]  # Article.key: its file
    assert set(made) == {name for name in after if name != "archive/2024.atom.xml"}  # the old page's year
    assert after["archive/2024.atom.xml"] == first["archive/2024.atom.xml"]
    assert {name for name in after if after[name] != first[name]} == set(made) - {"index.html"}


def test_kept_bytes_found_damaged_move_the_store_aside_and_the_feeds_are_made_afresh(tmp_path, caplog):
    from publisher.integrations import host

    config = host.host_config(
        {}, title="Docs", url="https://docs.example.org/", site_dir=tmp_path / "site", base=tmp_path, source="test"
    )
    articles = pages_with_files(PAGES, config)
    host.publish(articles, config, now=NOW)
    first = {p.name: p.read_bytes() for p in config.output_folder.rglob("*") if p.is_file()}
    shutil.rmtree(config.output_folder)
    host.publish(articles, config, now=NOW)  # the files were gone: their bytes are kept from now on
    shutil.rmtree(config.output_folder)
    with closing(sqlite3.connect(config.state_folder / "state.sqlite3")) as db, db:
        db.execute("UPDATE output_bytes SET data = X'00'")
    with caplog.at_level(logging.WARNING, logger="publisher"):
        published = host.publish(articles, config, now=NOW)
    assert "the bytes kept of" in caplog.text and "moved it to state.sqlite3.damaged-" in caplog.text
    assert published.made == len(first)
    assert {p.name: p.read_bytes() for p in config.output_folder.rglob("*") if p.is_file()} == first


def test_a_page_with_thousands_of_dropped_addresses_renders_within_a_bodys_budget(tmp_path, caplog):
    """A host's HTML is sanitised outside the time budget, so nothing in it may cost more than linear time:
    each dropped address was looked for again in the page's source file, read again each time (10,000
    links of javascript: took 15 s of CPU, 20,000 over a minute). Each is still warned about; the first
    ones with their line."""
    import time

    from publisher.guard import render_budget

    n = 10_000
    source = tmp_path / "links.md"
    source.write_text("\n".join(f"[link {i}](javascript:void({i}))" for i in range(n)), encoding="utf-8")
    html = "".join(f'<p><a href="javascript:void({i})">link {i}</a></p>' for i in range(n))
    page = publisher.Article(
        slug="links", title="Links", published=NOW, url="https://docs.example.org/links/", html=html, path=str(source)
    )
    config = publisher.Config(site=Site(title="Docs", url="https://docs.example.org/"))
    started = time.thread_time()
    with caplog.at_level(logging.WARNING, logger="publisher"):
        feeds = publisher.render_feeds([page], config, now=NOW)
    assert time.thread_time() - started < render_budget(len(html))
    assert b"link 9999" in feeds["atom.xml"] and b"javascript" not in feeds["atom.xml"]
    dropped = [r.getMessage() for r in caplog.records if "is not an http(s) address" in r.getMessage()]
    assert len(dropped) == n
    assert dropped[0].endswith("dropped (line 1, link text 'link 0')") and "line" not in dropped[-1]


def test_an_element_with_thousands_of_attributes_is_refused_before_anything_parses_it():
    """The sanitiser (html5ever) and lxml look at each attribute of a tag against the ones before it, in
    native code no time budget stops: one <p> of 100,000 attributes (1.5 MB) took nh3 5 s of CPU and
    lxml (an <iframe> or <noscript> beside it) 133 s. Refused as deep nesting is, the page named."""
    attributes = " ".join(f'a{i}="{i}"' for i in range(100_000))
    config = publisher.Config(site=Site(title="Docs", url="https://docs.example.org/"))
    pages = [
        publisher.Article(slug=s, title=s, published=NOW, url=f"https://docs.example.org/{s}/", html=html)
        for s, html in [("wide", f"<iframe src=x></iframe><p {attributes}>x</p>"), ("fine", "<p>Fine.</p>")]
    ]
    errors: list[publisher.ContentError] = []
    feeds = publisher.render_feeds(pages, config, now=NOW, errors=errors)
    assert [str(e) for e in errors] == ["<article 'wide'>: an element has more than 128 attributes; refused"]
    assert b"Fine." in feeds["atom.xml"] and b"wide" not in feeds["atom.xml"]
