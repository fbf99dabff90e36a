"""Finding the feeds: `publisher links`, and the feeds page (feeds/index.html) as a browser shows it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta

import feedparser
from lxml import html as lxml_html

import publisher
from publisher.cli import main
from tests.browser import chromium, serve
from tests.conftest import NOW, ROOT, article

# Whatever the page links, the browser may fetch nothing but the loopback server.
LOOPBACK_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
COVERS = ("/images/studio-lighting.png", "/images/prompt-cheatsheet.jpg")


def links_of(markup: str) -> list[dict[str, str]]:
    head = lxml_html.fromstring(f"<html><head>{markup}</head></html>").find("head")
    return [dict(link.attrib) for link in head.iter("link")]


def test_link_tags_announce_main_and_featured_feeds_in_every_format():
    config = publisher.Config(title='Tom & "Jerry"', url="https://example.org/blog/")
    links = links_of(publisher.link_tags(config, [article(featured=True)]))
    assert [(ln["type"], ln["href"]) for ln in links] == [
        ("application/atom+xml", "https://example.org/blog/feeds/atom.xml"),
        ("application/rss+xml", "https://example.org/blog/feeds/rss.xml"),
        ("application/feed+json", "https://example.org/blog/feeds/feed.json"),
        ("application/atom+xml", "https://example.org/blog/feeds/featured.atom.xml"),
        ("application/rss+xml", "https://example.org/blog/feeds/featured.rss.xml"),
        ("application/feed+json", "https://example.org/blog/feeds/featured.json"),
    ]
    assert {ln["rel"] for ln in links} == {"alternate"}
    assert links[0]["title"] == 'Tom & "Jerry" (Atom)' and links[5]["title"] == 'Tom & "Jerry": featured (JSON Feed)'


def test_publisher_links_prints_the_tags(tmp_path):
    (tmp_path / "publisher.toml").write_text(
        'title = "Links"\nurl = "https://links.example/"\n[feeds]\nurl = "https://cdn.links.example/f/"\n'
        'json = "all.json"\n'
    )
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("---\ntitle: A\ndate: 2025-01-01\nfeatured: true\n---\nx\n")
    proc = subprocess.run([sys.executable, "-m", "publisher", "links"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 6 and all(line.startswith('<link rel="alternate" ') for line in lines)
    assert lines[2] == ('<link rel="alternate" type="application/feed+json" title="Links (JSON Feed)" '
                        'href="https://cdn.links.example/f/all.json">')


def test_publisher_links_without_a_config_is_a_usage_error(tmp_path, capsys):
    assert main(["links", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml: no such configuration file" in capsys.readouterr().err


def page_of(feeds: dict[str, bytes]) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(feeds["index.html"])


def test_feeds_page_lists_every_feed_address_and_the_newest_entries(seed, config):
    grouped = publisher.Config(title="Test Site", url="https://example.org/", tag_feeds=True, category_feeds=True)
    articles = [publisher.load_article(seed, grouped), article("older", published=NOW - timedelta(days=800))]
    feeds = publisher.render_feeds(articles, grouped, now=NOW)
    page = page_of(feeds)
    addresses = [code.text_content() for code in page.cssselect(".feed code")]
    # The yearly archives are the main feed's history (RFC 5005), not feeds to subscribe to.
    expected = ["https://example.org/feeds/" + name for name in feeds
                if name != "index.html" and not name.startswith("archive/")]
    assert sorted(addresses) == sorted(expected)
    assert [h.text_content() for h in page.cssselect(".entry h3")] == [
        "OpenAI’s Sora 2 App Guide - Features, Invite Codes, and How to Get Started", "Older"]
    (cover,) = page.cssselect(".entry img")
    assert cover.get("src") == "https://img.aiphotoprompt.net/2025/10/70a3f8b02f7d468bf61d8d3335014049.png"
    head = [(ln.get("type"), ln.get("href")) for ln in page.cssselect("head link[rel=alternate]")]
    assert head[:3] == [("application/atom+xml", "https://example.org/feeds/atom.xml"),
                        ("application/rss+xml", "https://example.org/feeds/rss.xml"),
                        ("application/feed+json", "https://example.org/feeds/feed.json")]
    assert page.get("lang") == "en"


def test_feeds_page_escapes_what_authors_write():
    config = publisher.Config(title="<b>Site</b>", url="https://example.org/", description="Q&A")
    feeds = publisher.render_feeds([article(title="<script>alert(1)</script>", tags=("<i>x</i>",))], config, now=NOW)
    assert b"<script>alert" not in feeds["index.html"] and b"<b>Site" not in feeds["index.html"]
    page = page_of(feeds)
    assert page.cssselect(".entry h3")[0].text_content() == "<script>alert(1)</script>"
    assert page.cssselect("h1")[0].text_content() == "<b>Site</b>: feeds"


def test_feeds_page_is_deterministic_and_dated_by_the_newest_entry(config):
    articles = [article("a"), article("b", published=NOW - timedelta(days=1))]
    first = publisher.render_feeds(articles, config, now=NOW)["index.html"]
    assert first == publisher.render_feeds(list(reversed(articles)), config, now=NOW + timedelta(days=9))["index.html"]
    (time,) = page_of({"index.html": first}).cssselect("footer time")
    assert time.get("datetime") == (NOW - timedelta(days=1)).isoformat()


def test_a_site_template_replaces_the_feeds_page(tmp_path):
    (tmp_path / "feeds-index.html.j2").write_text(
        "<!DOCTYPE html><title>{{ site.title }}</title>{% for f in main %}{% for l in f.links %}"
        "<a href='{{ l.href }}'>{{ l.format_name }}</a>{% endfor %}{% endfor %}\n"
    )
    config = publisher.Config(title="Mine & yours", url="https://example.org/", templates_dir=str(tmp_path))
    page = publisher.render_feeds([article(featured=True)], config, now=NOW)["index.html"].decode()
    assert page.startswith("<!DOCTYPE html><title>Mine &amp; yours</title>")
    assert page.count("<a href=") == 6


def test_feeds_page_file_name_is_configurable(tmp_path):
    (tmp_path / "publisher.toml").write_text('title = "T"\nurl = "https://example.org/"\n'
                                             '[feeds]\nindex = "feeds.html"\n')
    config = publisher.load_config(tmp_path / "publisher.toml")
    feeds = publisher.render_feeds([article()], config, now=NOW)
    assert "feeds.html" in feeds and "index.html" not in feeds
    assert "https://example.org/feeds/feeds.html" in {ln.href for ln in feedparser.parse(feeds["atom.xml"]).feed.links}


REPORT = """<!DOCTYPE html><html><body>
<iframe id="page" src="feeds/index.html" width="1000" height="3000"></iframe>
<script>
window.addEventListener("load", () => {
  const doc = document.getElementById("page").contentDocument;
  const out = document.createElement("pre");
  out.id = "report";
  out.textContent = JSON.stringify({
    images: [...doc.images].map(i => ({src: i.currentSrc, loaded: i.complete && i.naturalWidth > 0})),
    buttons: [...doc.querySelectorAll("button.copy")].map(b => b.offsetWidth > 0),
  });
  document.body.appendChild(out);
});
</script></body></html>"""


def test_feeds_page_in_headless_chromium(tmp_path):
    """Acceptance: the page as Chromium renders it shows every feed's address and the newest entries with
    their covers (loaded); it works without JavaScript too, and every feed still reads with bozo == 0."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "content" / "static", site)
    content = tmp_path / "content"
    for n in range(15):
        cover = f"coverImage: {COVERS[n % 2]}\n" if n % 3 else ""
        (content / f"post-{n:02d}.md").parent.mkdir(exist_ok=True)
        (content / f"post-{n:02d}.md").write_text(
            f"---\ntitle: Post number {n}\npublishDate: 2026-01-{n + 1:02d}\ntags: [topic-{n % 3}]\n"
            f"category: {'news' if n % 2 else 'guides'}\nfeatured: {str(n % 4 == 0).lower()}\n{cover}---\n"
            f"Body of post {n}.\n", encoding="utf-8")
    with serve(site) as base:
        (tmp_path / "publisher.toml").write_text(
            f'title = "Browser Site"\nurl = "{base}"\ncontent = "content"\noutput = "site/feeds"\n'
            'static = "site"\n[feeds]\ntags = true\ncategories = true\n', encoding="utf-8")
        assert main(["build", "--config", str(tmp_path / "publisher.toml"), "--now", "2026-02-01", "-q"]) == 0
        (site / "report.html").write_text(REPORT, encoding="utf-8")
        browser = (LOOPBACK_ONLY, "--virtual-time-budget=15000", "--window-size=1000,3000")
        dom = chromium(base + "feeds/index.html", "--dump-dom", *browser, profile=tmp_path / "p1")
        report = chromium(base + "report.html", "--dump-dom", *browser, profile=tmp_path / "p3")
        shot = tmp_path / "feeds-page.png"  # left in pytest's temporary folder for a look
        chromium(base + "feeds/index.html", f"--screenshot={shot}", *browser, profile=tmp_path / "p4")
        assert shot.stat().st_size > 10_000

    written = sorted(p.relative_to(site / "feeds").as_posix() for p in (site / "feeds").rglob("*")
                     if p.is_file() and not p.name.startswith("."))
    # The yearly archives are the main feed's history (RFC 5005), not feeds to subscribe to.
    feed_files = [name for name in written if name != "index.html" and not name.startswith("archive/")]
    assert len(feed_files) == 3 * (2 + 3 + 2)  # main, featured, three tags, two categories; three formats each
    assert [name for name in written if name.startswith("archive/")] == ["archive/2026.atom.xml"]
    for name in [*feed_files, "archive/2026.atom.xml"]:
        data = (site / "feeds" / name).read_bytes()
        if name.endswith(".json"):
            assert json.loads(data)["version"] == "https://jsonfeed.org/version/1.1"
        else:
            assert feedparser.parse(data).bozo == 0, name

    newest = [f"Post number {n}" for n in range(14, 2, -1)]  # the twelve newest
    # Without JavaScript a browser shows the page as served: the same addresses, the copy buttons hidden.
    as_served = (site / "feeds" / "index.html").read_text(encoding="utf-8")
    for rendered, script_ran in ((dom, True), (as_served, False)):
        page = lxml_html.fromstring(rendered)
        shown = [code.text_content() for code in page.cssselect(".feed code")]
        assert sorted(shown) == sorted(base + "feeds/" + name for name in feed_files)
        assert [h.text_content() for h in page.cssselect(".entry h3")] == newest
        for entry in page.cssselect(".entry"):
            n = int(entry.cssselect("h3")[0].text_content().rsplit(" ", 1)[1])
            images = [img.get("src") for img in entry.cssselect("img")]
            assert images == ([base + COVERS[n % 2].lstrip("/")] if n % 3 else []), n
        buttons = page.cssselect("button.copy")
        assert len(buttons) == len(feed_files)
        assert all((b.get("hidden") is None) == script_ran for b in buttons)

    seen = json.loads(lxml_html.fromstring(report).get_element_by_id("report").text_content())
    covers = seen["images"]
    assert len(covers) == sum(1 for n in range(3, 15) if n % 3) and all(i["loaded"] for i in covers), covers
    assert {i["src"] for i in covers} == {base + c.lstrip("/") for c in COVERS}
    assert len(seen["buttons"]) == len(feed_files) and all(seen["buttons"])


def test_the_feeds_page_example_is_what_publisher_links_prints_for_the_bundled_site():
    page = (ROOT / "docs" / "feeds.md").read_text(encoding="utf-8")
    example = page.split("$ publisher links\n", 1)[1].split("```", 1)[0]
    assert example == publisher.link_tags(publisher.load_config(ROOT / "publisher.toml"))


def test_a_broken_site_template_is_a_configuration_error_naming_the_file(tmp_path, capsys):
    templates = tmp_path / "my-templates"
    templates.mkdir()
    (templates / "feeds-index.html.j2").write_text("<h1>{{ site.title }</h1>\n")
    (tmp_path / "publisher.toml").write_text(
        'title = "T"\nurl = "https://example.org/"\ntemplates = "my-templates"\ncontent = "content"\n')
    (tmp_path / "content").mkdir()
    assert main(["build", "--config", str(tmp_path / "publisher.toml")]) == 2
    err = capsys.readouterr().err
    assert f"{templates / 'feeds-index.html.j2'}:1: unexpected '}}'" in err, err
    (templates / "feeds-index.html.j2").write_text("{{ site.no_such_setting }}\n")
    assert main(["build", "--config", str(tmp_path / "publisher.toml")]) == 2
    assert "feeds-index.html.j2:1: 'publisher.config.sections.Site object' has no attribute 'no_such_setting'" in \
        capsys.readouterr().err
