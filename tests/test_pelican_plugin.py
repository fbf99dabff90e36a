"""The Pelican plugin on a real site (tests/fixtures/pelican_site) built by the real `pelican`: entry links
that are Pelican's article URLs, every article of Pelican's own Atom feed in ours, full content with
absolute URLs, no draft; and with PUBLISHER_REPLACE_FEEDS, ours at Pelican's feed paths."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest

from publisher.markup.html import sanitize
from tests.conftest import ROOT
from tests.test_jsonfeed import json_feed_validator, valid_json_feed

pytest.importorskip("pelican", reason="pelican is not installed (pip install -e '.[test]')")

FIXTURE = ROOT / "tests" / "fixtures" / "pelican_site"
SITE_URL = "https://harbour.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"


def run_pelican(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", "output"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},  # Pelican's log wraps its lines at the terminal's width
    )


def pelican(folder: Path) -> Path:
    proc = run_pelican(folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder / "output"


@pytest.fixture(scope="session")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pelican") / "site"
    shutil.copytree(FIXTURE, folder)
    return pelican(folder)


def entries(output: Path, name: str) -> dict[str, feedparser.FeedParserDict]:
    parsed = feedparser.parse(output / name)
    assert not parsed.bozo, (name, parsed.get("bozo_exception"))
    return {e.link: e for e in parsed.entries}


def test_entry_links_are_pelicans_article_urls_and_the_draft_is_absent(output):
    pelicans = entries(output, "feeds/all.atom.xml")
    assert len(pelicans) == 10
    for url in pelicans:  # each is a page Pelican wrote
        assert (output / urlsplit(url).path.lstrip("/")).is_file(), url
    for name in ("feeds/atom.xml", "feeds/rss.xml"):
        assert set(entries(output, name)) == set(pelicans), name
    assert not any(b"Half written" in p.read_bytes() for p in (output / "feeds").rglob("*") if p.is_file())


def test_every_feed_of_ours_parses_without_errors(output):
    names = [p for p in (output / "feeds").rglob("*") if p.suffix in (".xml", ".json")]
    ours = [p for p in names if p.name == "atom.xml" or p.parent.name != "feeds" or p.suffix == ".json"]
    assert len(ours) >= 40
    schema = json_feed_validator()
    for path in ours:
        if path.suffix == ".json":
            valid_json_feed(schema, path.read_bytes())
        else:
            assert not feedparser.parse(path).bozo, path


def test_every_article_of_pelicans_atom_feed_is_in_ours(output):
    ours = entries(output, "feeds/atom.xml")
    for url, theirs in entries(output, "feeds/all.atom.xml").items():
        assert ours[url].title == theirs.title
        assert ours[url].published_parsed == theirs.published_parsed, url


def test_rss_and_atom_hold_the_full_content_with_absolute_urls(output):
    atom = lxml.etree.parse(str(output / "feeds" / "atom.xml"))
    rss = lxml.etree.parse(str(output / "feeds" / "rss.xml"))
    contents = {
        next(x.get("href") for x in e.iter(f"{ATOM}link") if x.get("rel", "alternate") == "alternate"): e.find(
            f"{ATOM}content"
        ).text
        for e in atom.iter(f"{ATOM}entry")
    }
    encoded = "{http://purl.org/rss/1.0/modules/content/}encoded"
    assert {i.findtext("link"): i.findtext(encoded) for i in rss.iter("item")} == contents
    for url, content in contents.items():
        page = lxml.html.parse(str(output / urlsplit(url).path.lstrip("/")))
        body = page.find(".//div[@class='entry-content']")
        for chrome in body.findall("footer"):  # the theme's date and author line
            chrome.drop_tree()
        shown = (body.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in body)
        assert content == sanitize(shown, base_url=url).strip(), url
        for address in re.findall(r'(?:href|src)="([^"]*)"', content):
            assert address.startswith("https://"), (url, address)
    photo = contents[SITE_URL + "/knots-every-deckhand-knows.html"]
    assert 'src="https://harbour.example.org/images/photo.png"' in photo  # written relative in the Markdown


def test_summary_cover_and_update_come_from_the_metadata(output):
    ours = entries(output, "feeds/atom.xml")
    tides = ours[SITE_URL + "/reading-the-tide-tables.html"]
    assert tides.summary == "How to read a tide table in five minutes, before the boat leaves."
    storm = ours[SITE_URL + "/a-storm-off-the-cape.html"]  # no Summary: its Description, as in publisher.toml
    assert storm.summary == "Three days of wind from the south, and the boat came home."
    cats = ours[SITE_URL + "/harbour-cats.html"]
    enclosure = next(link for link in cats.links if link.rel == "enclosure")
    assert enclosure.href == SITE_URL + "/images/photo.png"
    assert int(enclosure.length) == (output / "images" / "photo.png").stat().st_size
    storm = ours[SITE_URL + "/a-storm-off-the-cape.html"]
    assert storm.updated.startswith("2025-04-03T09:00:00+02:00")
    assert (output / "feeds" / "categories" / "voyages.atom.xml").is_file()


def test_replacing_pelicans_feeds_puts_ours_at_its_paths_and_an_empty_week_leaves_no_digest(tmp_path):
    folder = tmp_path / "site"
    shutil.copytree(FIXTURE, folder)
    with (folder / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write('PUBLISHER_REPLACE_FEEDS = True\nFEED_ALL_RSS = "feeds/all.rss.xml"\nPUBLISHER_DIGEST_DAYS = 7\n')
    (folder / "output" / "feeds").mkdir(parents=True)
    (folder / "output" / "feeds" / "digest.eml").write_bytes(b"From: last week\n\nold issue\n")
    out = pelican(folder)
    assert not (out / "feeds" / "digest.eml").exists()  # a weekly `send --message` must not send it again
    assert b"how to subscribe" in (out / "feeds" / "index.html").read_bytes()  # our feeds page
    assert b"how to subscribe" not in (out / "index.html").read_bytes()  # Pelican's home page, as it was
    atom = feedparser.parse(out / "feeds" / "all.atom.xml")
    assert not atom.bozo and atom.feed.generator == "publisher"
    assert len(atom.entries) == 10
    assert feedparser.parse(out / "feeds" / "all.rss.xml").feed.generator == "publisher"
    assert feedparser.parse(out / "feeds" / "voyages.atom.xml").feed.generator == "publisher"
    assert feedparser.parse(out / "feeds" / "voyages.rss.xml").feed.generator == "publisher"


@pytest.mark.parametrize(
    "setting, said",
    [
        ('PUBLISHER = {"feeds": 20}', "PUBLISHER: 'feeds': expected a dict (publisher.toml's [feeds] table), got int"),
        ('PUBLISHER_DIGEST_DAYS = "seven"', "PUBLISHER_DIGEST_DAYS: 'seven' is not a number of days (e.g. 7)"),
        ('SITEURL = ""', "ERROR publisher: SITEURL is not set in pelicanconf.py; feeds need the site's public address"),
    ],
)
def test_a_bad_setting_is_named_once_without_a_traceback(tmp_path, setting, said):
    folder = tmp_path / "site"
    shutil.copytree(FIXTURE, folder)
    with (folder / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write(setting + "\n")
    proc = run_pelican(folder)
    assert "Traceback" not in proc.stdout + proc.stderr
    said_all = " ".join(re.sub(r"\s+\S+\.py:\d+\s", " ", proc.stdout + proc.stderr).split())  # Pelican's log: no source
    assert said in said_all and "publisher: publisher:" not in said_all, proc.stdout + proc.stderr
    assert not (folder / "output" / "feeds" / "atom.xml").exists()
