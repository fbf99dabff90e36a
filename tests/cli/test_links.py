"""Finding the feeds: `publisher links`, and the feeds page (feeds/index.html) as a browser shows it."""

from __future__ import annotations

import json
import shutil

import feedparser
from lxml import html as lxml_html

from tests.browser import chromium, serve
from tests.conftest import ROOT, run_publisher

# Whatever the page links, the browser may fetch nothing but the loopback server.
LOOPBACK_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
COVERS = ("/images/studio-lighting.png", "/images/prompt-cheatsheet.jpg")


def test_publisher_links_prints_the_tags(site):
    links = site(
        title="Links", url="https://links.example/", feeds={"url": "https://cdn.links.example/f/", "json": "all.json"}
    )
    links.add("a.md", "---\ntitle: A\ndate: 2025-01-01\nfeatured: true\n---\nx\n")
    proc = run_publisher("links", cwd=links, timeout=60)  # ./publisher.toml, as a user types it
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 6 and all(line.startswith('<link rel="alternate" ') for line in lines)
    assert lines[2] == (
        '<link rel="alternate" type="application/feed+json" title="Links (JSON Feed)" '
        'href="https://cdn.links.example/f/all.json">'
    )


def test_links_announces_the_featured_feeds_once_a_featured_article_is_published_by_now(site, cli):
    """--now pins links as it pins build: a featured article dated after it announces nothing yet."""
    blog = site()
    blog.add("soon.md", "---\ntitle: Soon\ndate: 2026-12-01\nfeatured: true\n---\nx\n")
    before = cli.on(blog, "links", now="2026-11-30T00:00:00Z")
    after = cli.on(blog, "links", now="2026-12-02T00:00:00Z")
    assert before.code == after.code == 0
    assert "featured" not in before.out
    assert len(after.out.splitlines()) == 6 and before.out in after.out  # main and featured, three formats each


def test_publisher_links_without_a_config_is_a_usage_error(tmp_path, cli):
    ran = cli("links", "--config", tmp_path / "missing.toml")
    assert ran.code == 2 and "missing.toml: no such configuration file" in ran.err


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


def test_feeds_page_in_headless_chromium(site, cli, tmp_path):
    """Acceptance: the page as Chromium renders it shows every feed's address and the newest entries with
    their covers (loaded); it works without JavaScript too, and every feed still reads with bozo == 0."""
    browsed = site(title="Browser Site", output="site/feeds", static="site", feeds={"tags": True, "categories": True})
    served = browsed / "site"  # the web server's folder: the static files and the feeds
    shutil.copytree(ROOT / "content" / "static", served)
    for n in range(15):
        cover = {"coverImage": COVERS[n % 2]} if n % 3 else {}
        browsed.add(
            f"post-{n:02d}.md",
            title=f"Post number {n}",
            date=f"2026-01-{n + 1:02d}",
            body=f"Body of post {n}.",
            tags=f"[topic-{n % 3}]",
            category="news" if n % 2 else "guides",
            featured=str(n % 4 == 0).lower(),
            **cover,
        )
    with serve(served) as base:
        browsed.configure(url=base)
        assert cli.on(browsed, "build", "-q").code == 0
        (served / "report.html").write_text(REPORT, encoding="utf-8")
        browser = (LOOPBACK_ONLY, "--virtual-time-budget=15000", "--window-size=1000,3000")
        dom = chromium(base + "feeds/index.html", "--dump-dom", *browser, profile=tmp_path / "p1")
        report = chromium(base + "report.html", "--dump-dom", *browser, profile=tmp_path / "p3")
        shot = tmp_path / "feeds-page.png"  # left in pytest's temporary folder for a look
        chromium(base + "feeds/index.html", f"--screenshot={shot}", *browser, profile=tmp_path / "p4")
        assert shot.stat().st_size > 10_000

    written = sorted(
        p.relative_to(served / "feeds").as_posix()
        for p in (served / "feeds").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    # The yearly archives are the main feed's history (RFC 5005), not feeds to subscribe to.
    feed_files = [name for name in written if name != "index.html" and not name.startswith("archive/")]
    assert len(feed_files) == 3 * (2 + 3 + 2)  # main, featured, three tags, two categories; three formats each
    assert [name for name in written if name.startswith("archive/")] == ["archive/2026.atom.xml"]
    for name in [*feed_files, "archive/2026.atom.xml"]:
        data = (served / "feeds" / name).read_bytes()
        if name.endswith(".json"):
            assert json.loads(data)["version"] == "https://jsonfeed.org/version/1.1"
        else:
            assert feedparser.parse(data).bozo == 0, name

    newest = [f"Post number {n}" for n in range(14, 2, -1)]  # the twelve newest
    # Without JavaScript a browser shows the page as served: the same addresses, the copy buttons hidden.
    as_served = (served / "feeds" / "index.html").read_text(encoding="utf-8")
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


def test_a_broken_site_template_is_a_configuration_error_naming_the_file(site, cli):
    mine = site(title="T")
    templates = mine / "my-templates"
    templates.mkdir()
    (templates / "feeds-index.html.j2").write_text("<h1>{{ site.title }</h1>\n")
    mine.configure(templates="my-templates")
    ran = cli.on(mine, "build", now=None)
    assert ran.code == 2
    assert f"{templates / 'feeds-index.html.j2'}:1: unexpected '}}'" in ran.err, ran.err
    (templates / "feeds-index.html.j2").write_text("{{ site.no_such_setting }}\n")
    ran = cli.on(mine, "build", now=None)
    assert ran.code == 2
    assert (
        "feeds-index.html.j2:1: 'publisher.config.sections.Site object' has no attribute 'no_such_setting'" in ran.err
    )
