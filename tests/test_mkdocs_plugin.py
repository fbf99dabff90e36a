"""The MkDocs plugin on a real Material blog (tests/fixtures/mkdocs_blog) built by the real `mkdocs build`:
feeds that parse, links that are MkDocs' page URLs, contents that are the pages' article HTML, no draft,
byte-identical rebuilds, and every entry of mkdocs-rss-plugin's feed (built in the same run) in ours."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest

import publisher
from publisher.markup.html import sanitize
from tests.conftest import NOW, ROOT
from tests.test_jsonfeed import json_feed_validator, valid_json_feed

pytest.importorskip("material", reason="mkdocs-material is not installed (pip install -e '.[test]')")
pytest.importorskip("mkdocs_rss_plugin", reason="mkdocs-rss-plugin is not installed (pip install -e '.[test]')")

FIXTURE = ROOT / "tests" / "fixtures" / "mkdocs_blog"
SITE_URL = "https://notes.example.org/"
ATOM = "{http://www.w3.org/2005/Atom}"


def mkdocs_build(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", *args], cwd=folder, capture_output=True, text=True, timeout=120
    )


def feed_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted((site / "feeds").rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def blog(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The blog built twice: the folder, and the feeds of the first build."""
    folder = tmp_path_factory.mktemp("mkdocs") / "blog"
    shutil.copytree(FIXTURE, folder)
    proc = mkdocs_build(folder)
    assert proc.returncode == 0, proc.stderr
    first = feed_files(folder / "site")
    proc = mkdocs_build(folder)
    assert proc.returncode == 0, proc.stderr
    return folder / "site", first


def post_urls(site: Path) -> set[str]:
    """MkDocs' own list of the site's pages (sitemap.xml), the posts among them."""
    tree = lxml.etree.parse(str(site / "sitemap.xml"))
    locs = {loc.text for loc in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    return {loc for loc in locs if loc and urlsplit(loc).path.startswith("/blog/20")}


def atom_entries(site: Path, name: str = "feeds/atom.xml") -> dict[str, lxml.etree._Element]:
    tree = lxml.etree.parse(str(site / name))
    return {link(e): e for e in tree.iter(f"{ATOM}entry")}


def link(entry: lxml.etree._Element) -> str:
    """An Atom entry's link to its page (rel="alternate", the default)."""
    return next(e.get("href") for e in entry.iter(f"{ATOM}link") if e.get("rel", "alternate") == "alternate")


def article_html(site: Path, url: str) -> str:
    """The article of a built page as MkDocs rendered it: Material's <article> without its tag list."""
    page = lxml.html.parse(str(site / urlsplit(url).path.lstrip("/") / "index.html"))
    article = page.find(".//article")
    for chrome in article.xpath(".//nav[contains(@class, 'md-tags')]"):
        chrome.drop_tree()
    return (article.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in article)


def test_every_feed_parses_without_errors(blog):
    site, _ = blog
    names = [n for n in feed_files(site) if n.endswith(".xml") or n.endswith(".json")]
    assert len(names) >= 10, names  # main, featured?, tags, categories, archives
    schema = json_feed_validator()
    for name in names:
        if name.endswith(".xml"):
            parsed = feedparser.parse(site / name)
            assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        else:
            valid_json_feed(schema, (site / name).read_bytes())


def test_entry_links_are_mkdocs_page_urls_and_the_draft_is_absent(blog):
    site, _ = blog
    urls = post_urls(site)
    assert len(urls) == 12
    assert set(atom_entries(site)) == urls
    rss = feedparser.parse(site / "feeds" / "rss.xml")
    assert {e.link for e in rss.entries} == urls
    everything = b"".join(feed_files(site).values())
    assert b"Unfinished thoughts" not in everything and b"unfinished-thoughts" not in everything


def test_contents_are_the_pages_article_html_sanitised_and_absolute(blog):
    site, _ = blog
    for url, entry in atom_entries(site).items():
        content = entry.find(f"{ATOM}content").text
        # the template indents the article; its content is the same bytes
        assert content == sanitize(article_html(site, url), base_url=url).strip(), url


def test_code_blocks_keep_their_blank_lines_and_images_are_absolute(blog):
    site, _ = blog
    entries = atom_entries(site)
    code = entries[SITE_URL + "blog/2025/12/03/a-logger-in-forty-lines/"].find(f"{ATOM}content").text
    assert '<span class="nn">csv</span>\n\n\n<span class="k">def</span>' in code
    moisture = entries[SITE_URL + "blog/2025/11/19/measuring-soil-moisture/"]
    assert 'src="https://notes.example.org/blog/images/diagram.png"' in moisture.find(f"{ATOM}content").text
    cover = moisture.find(f"{ATOM}link[@rel='enclosure']")
    assert cover.get("href") == SITE_URL + "blog/images/cover.png"
    assert int(cover.get("length")) == (site / "blog" / "images" / "cover.png").stat().st_size


def test_authors_categories_tags_and_dates_come_from_the_posts(blog):
    site, _ = blog
    entry = feedparser.parse(site / "feeds" / "atom.xml").entries
    logger = next(e for e in entry if e.link.endswith("/a-logger-in-forty-lines/"))
    assert [a.name for a in logger.authors] == ["Bo Lindqvist", "Ada Quinn"]  # from .authors.yml
    assert {t.term for t in logger.tags} >= {"Code", "Sensors", "python", "logging"}
    assert logger.published.startswith("2025-12-03T00:00:00")
    moisture = next(e for e in entry if e.link.endswith("/measuring-soil-moisture/"))
    assert moisture.updated.startswith("2025-12-02")
    assert (site / "feeds" / "categories" / "sensors.atom.xml").is_file()
    assert (site / "feeds" / "tags" / "hardware.atom.xml").is_file()


def test_a_second_build_writes_byte_identical_feeds(blog):
    site, first = blog
    assert feed_files(site) == first


def test_every_page_announces_the_feeds_in_its_head(blog):
    site, _ = blog
    pages = list(site.rglob("index.html"))
    assert len(pages) > 12
    for page in pages:
        if page.parent.name == "feeds":
            continue
        head = lxml.html.parse(str(page)).find(".//head")
        hrefs = {link.get("href") for link in head.iter("link") if link.get("rel") == "alternate"}
        assert SITE_URL + "feeds/atom.xml" in hrefs, page


def test_every_entry_of_mkdocs_rss_plugin_is_in_ours_with_its_link_title_and_date(blog):
    site, _ = blog
    theirs = feedparser.parse(site / "feed_rss_created.xml")
    assert not theirs.bozo and len(theirs.entries) == 12
    ours = {e.link: e for e in feedparser.parse(site / "feeds" / "rss.xml").entries}
    for entry in theirs.entries:
        assert entry.link in ours, entry.link
        assert ours[entry.link].title == entry.title
        assert ours[entry.link].published_parsed == entry.published_parsed, entry.link


def stored_html(folder: Path) -> dict[str, str]:
    """Page URL -> the key of its HTML in the state folder's store (what the HTML was made from)."""
    from publisher import Store

    with Store(folder / ".publisher") as store:
        return dict(store.state.html_keys())


def test_after_one_edited_post_a_build_renders_that_page_again_and_no_other(tmp_path):
    """Each `mkdocs build` (and each rebuild of `mkdocs serve`) hands over every page again; the state
    folder's store finds the 11 unchanged ones: their HTML and entries come from it, not rendered again."""
    folder = tmp_path / "blog"
    shutil.copytree(FIXTURE, folder)
    assert mkdocs_build(folder).returncode == 0
    before = stored_html(folder)
    assert len(before) == 12
    first = feed_files(folder / "site")
    post = folder / "docs" / "blog" / "posts" / "winter-field-kit.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert mkdocs_build(folder).returncode == 0  # MkDocs empties site/ first: every feed is written again
    after = stored_html(folder)
    changed = {url for url in after if after[url] != before.get(url)}
    assert changed == {SITE_URL + "blog/2026/02/20/winter-field-kit/"}
    second = feed_files(folder / "site")
    assert b"One more line." in second["feeds/atom.xml"]
    differ = {name for name in first if first[name] != second.get(name)}
    assert {"feeds/atom.xml", "feeds/archive/2026.atom.xml", "feeds/tags/kit.atom.xml"} <= differ
    assert not differ & {"feeds/archive/2025.atom.xml", "feeds/tags/python.atom.xml", "feeds/categories/code.json"}


def stored_entries(folder: Path) -> dict[tuple[str, str], str]:
    """(page, format) -> the key of its feed entry in the state folder's store (what it was made from)."""
    with closing(sqlite3.connect(folder / ".publisher" / "state.sqlite3")) as db:
        return {(rel, name): key for rel, name, key in db.execute("SELECT rel, name, key FROM entries")}


def entry_links(name: str, data: bytes) -> set[str]:
    if name.endswith(".json"):
        return {item["url"] for item in json.loads(data)["items"]}
    return {entry.link for entry in feedparser.parse(data).entries}


def test_an_edit_makes_one_pages_entries_again_and_only_the_files_that_hold_it(tmp_path):
    """MkDocs empties site/ before every build; from the second build on, the files that do not hold the
    edited post are written from the bytes the store kept, and only those that hold it are made again
    (the build log counts them)."""
    folder = tmp_path / "blog"
    shutil.copytree(FIXTURE, folder)
    assert mkdocs_build(folder).returncode == 0
    assert mkdocs_build(folder).returncode == 0  # the store finds site/ emptied and keeps the files' bytes
    first, before = feed_files(folder / "site"), stored_entries(folder)
    post = folder / "docs" / "blog" / "posts" / "winter-field-kit.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    second, after = feed_files(folder / "site"), stored_entries(folder)
    url = SITE_URL + "blog/2026/02/20/winter-field-kit/"
    holding = {name for name, data in second.items() if url in entry_links(name, data)}
    holding.add("feeds/index.html")  # the feeds page lists the newest entries (their summaries: unchanged here)
    assert {name for name in first if first[name] != second[name]} == holding - {"feeds/index.html"}
    assert 10 < len(holding) < len(second) / 2
    assert f"(made: the entries of 1 article, {len(holding)} files)" in proc.stderr
    assert {page for page, kind in after if after[page, kind] != before.get((page, kind))} == {url}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert "(made: the entries of 0 articles, 0 files)" in proc.stderr  # every file written as kept
    assert feed_files(folder / "site") == second


@pytest.mark.parametrize(
    "setting, named",
    [
        ("feeds: {limit: many}", ["option 'feeds'", "feeds.limit: 'many' is not valid (expected a whole number)"]),
        ("contnet: docs", ["option 'contnet'", "Unrecognised configuration name: contnet (a typo?)"]),
        ("digest_days: -7", ["option 'digest_days'", "digest_days: -7 is not a number of days (e.g. 7)"]),
        ("content: posts", ["option 'content'", "(a setting of publisher.toml the plugin does not take: MkDocs gives"]),
        ("output: ../outside", ["option 'output'", "output '../outside' is not a folder inside the built site"]),
    ],
)
def test_a_bad_setting_is_an_mkdocs_configuration_error_naming_it(tmp_path, setting, named):
    folder = tmp_path / "blog"
    shutil.copytree(FIXTURE, folder)
    config = folder / "mkdocs.yml"
    text = config.read_text(encoding="utf-8").replace(
        "      feeds:\n        tags: true\n        categories: true\n", ""
    )
    config.write_text(text.replace("  - publisher:\n", f"  - publisher:\n      {setting}\n"), encoding="utf-8")
    proc = mkdocs_build(folder)
    assert proc.returncode == 1
    for words in ["Config value 'plugins': Plugin 'publisher'", *named]:
        assert words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


GLOB_SITE = """\
site_name: Plain
site_url: https://plain.example.org/docs/
plugins:
  - publisher:
      pages: ["notes/*.md"]
      feeds:
        archives: false
"""


def test_pages_matched_by_a_glob_are_the_articles(tmp_path):
    (tmp_path / "docs" / "notes").mkdir(parents=True)
    (tmp_path / "mkdocs.yml").write_text(GLOB_SITE, encoding="utf-8")
    (tmp_path / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    for day in (1, 2, 3):
        (tmp_path / "docs" / "notes" / f"n{day}.md").write_text(
            f"---\ndate: 2026-03-0{day}\nauthor: Kim\ntags: [a]\n---\n# Note {day}\n\nSee [home](../index.md).\n",
            encoding="utf-8",
        )
    proc = mkdocs_build(tmp_path)
    assert proc.returncode == 0, proc.stderr
    feed = feedparser.parse(tmp_path / "site" / "feeds" / "atom.xml")
    assert not feed.bozo
    assert [e.link for e in feed.entries] == [f"https://plain.example.org/docs/notes/n{d}/" for d in (3, 2, 1)]
    assert 'href="https://plain.example.org/docs/"' in feed.entries[0].content[0].value


def test_a_dirty_build_leaves_the_feeds_as_they_were(tmp_path):
    """`mkdocs build --dirty` renders only changed pages: feeds of those alone would drop the others."""
    (tmp_path / "docs" / "notes").mkdir(parents=True)
    (tmp_path / "mkdocs.yml").write_text(GLOB_SITE, encoding="utf-8")
    (tmp_path / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    for day in (1, 2):
        (tmp_path / "docs" / "notes" / f"n{day}.md").write_text(f"---\ndate: 2026-03-0{day}\n---\n# Note {day}\n")
    assert mkdocs_build(tmp_path).returncode == 0
    before = (tmp_path / "site" / "feeds" / "atom.xml").read_bytes()
    (tmp_path / "docs" / "notes" / "n2.md").write_text("---\ndate: 2026-03-02\n---\n# Note 2, edited\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--dirty"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "the feeds were left as they were" in proc.stderr
    assert (tmp_path / "site" / "feeds" / "atom.xml").read_bytes() == before


def test_the_build_log_line_of_either_plugin_counts_in_words():
    """MkDocs and Pelican print this line; a one-post blog once read "publisher: 1 articles"."""
    from publisher.integrations import host

    one = publisher.Article(slug="a", title="A", published=NOW)
    assert host.summary([one], ["atom.xml"], "site/feeds") == "publisher: 1 article, 1 file written to site/feeds"


def test_publishers_messages_are_in_mkdocs_log_and_a_damaged_state_is_never_fatal_under_strict(tmp_path):
    """What publisher says while the plugin runs goes to MkDocs' log, as a plugin's messages do: with its level and
    the info lines shown. The state database found damaged is said at INFO, so `mkdocs build --strict` (warnings
    are errors) still builds; before, it came out as a bare line, and the digest's info line never."""
    folder = tmp_path / "blog"
    shutil.copytree(FIXTURE, folder)
    config = folder / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("  - publisher:\n", "  - publisher:\n      digest_days: 0.001\n", 1)
    )
    assert "digest_days: 0.001" in config.read_text(encoding="utf-8")
    assert mkdocs_build(folder).returncode == 0
    (folder / ".publisher" / "state.sqlite3").write_bytes(b"not a database" * 100)
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    damaged = [line for line in lines if "moved it to state.sqlite3.damaged-" in line]
    assert len(damaged) == 1 and damaged[0].startswith("INFO") and "publisher: " in damaged[0], proc.stderr
    assert any(
        line.startswith("INFO") and "publisher: no digest: nothing was published since" in line for line in lines
    )
    assert feed_files(folder / "site")


def test_a_page_that_cannot_be_rendered_is_named_once(tmp_path):
    """A page publisher cannot render is said once in MkDocs' log, so `--strict` counts one warning: render_feeds
    reports it, and host.publish said it again (two identical 'publisher: skipped' lines a build)."""
    (tmp_path / "docs" / "notes").mkdir(parents=True)
    (tmp_path / "mkdocs.yml").write_text(GLOB_SITE, encoding="utf-8")
    (tmp_path / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (tmp_path / "docs" / "notes" / "fine.md").write_text("---\ndate: 2026-03-01\n---\n# Fine\n", encoding="utf-8")
    deep = "<ul><li>" * 300
    (tmp_path / "docs" / "notes" / "deep.md").write_text(f"---\ndate: 2026-03-02\n---\n# Deep\n\n{deep}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    named = [line for line in proc.stderr.splitlines() if "deep.md" in line]
    assert len(named) == 1 and named[0].startswith("WARNING") and "nested more than 200" in named[0], proc.stderr
    assert [e.title for e in feedparser.parse(tmp_path / "site" / "feeds" / "atom.xml").entries] == ["Fine"]
