"""The digest as a browser renders it: at 600 px (desktop clients) and 375 px (phones), covers
load and nothing overflows sideways. Screenshots go to pytest's temporary folder for a look."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import pytest
from lxml import html as lxml_html

import publisher
from tests.browser import chromium, serve
from tests.conftest import NOW, ROOT, article, make_config

FRAMES = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="w600" src="digest.html" width="600" height="4000" style="border:0"></iframe>
<iframe id="w375" src="digest.html" width="375" height="4000" style="border:0"></iframe>
<script>
window.addEventListener("load", () => {
  const report = {};
  const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,
                                                                   height: r.height, width: r.width}; };
  for (const frame of document.querySelectorAll("iframe")) {
    const doc = frame.contentDocument;
    report[frame.id] = {
      scrollWidth: doc.documentElement.scrollWidth,
      width: doc.documentElement.clientWidth,
      images: [...doc.images].map(i => ({src: i.currentSrc, loaded: i.complete && i.naturalWidth > 0,
                                         right: Math.round(i.getBoundingClientRect().right), cls: i.className,
                                         box: box(i)})),
      // Compact items: where the thumbnail is against its text.
      items: [...doc.querySelectorAll("td.thumb-cell")].map(t => ({thumb: box(t.querySelector("img")),
                                                                   text: box(t.nextElementSibling)})),
    };
  }
  const out = document.createElement("pre");
  out.id = "report";
  out.textContent = JSON.stringify(report);
  document.body.appendChild(out);
});
</script></body></html>"""

BODY = """A paragraph with a [link](/elsewhere/) and a long URL https://example.org/{long}.

<video controls width="700"><source src="/videos/clip.mp4" type="video/mp4"></video>

![wide diagram|1400x700](/images/prompt-cheatsheet.jpg)

| a very wide table | with | several | columns | of text that could push the layout sideways |
|---|---|---|---|---|
| 1 | 2 | 3 | 4 | 5 |
"""


@pytest.mark.parametrize("images", ["served", "missing"])
def test_digest_renders_at_600_and_375_pixels(tmp_path, images):
    """With images blocked or missing (as many mail clients show a message at first), the layout
    must still fit: a broken image keeps its width attribute but must not widen the column."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "content" / "static", site)
    if images == "missing":
        shutil.rmtree(site / "images")
    with serve(site) as base:
        config = make_config(
            title="Browser Site",
            url=base,
            static=str(site),
            feeds={"url": base},
            digest={"full_bodies": True, "unsubscribe_url": base + "unsubscribe"},
        )
        body = BODY.format(long="x" * 150)
        articles = [
            article(
                "lead",
                featured=True,
                cover_image="/images/studio-lighting.png",
                body=body,
                published=NOW - timedelta(days=1),
            ),
            article(
                "second",
                cover_image="/images/prompt-cheatsheet.jpg",
                description="A compact item.",
                published=NOW - timedelta(days=2),
            ),
            article("third", cover_image="/images/studio-lighting.png", published=NOW - timedelta(days=3)),
        ]
        digest = publisher.newsletter.render_digest(articles, config, now=NOW, days=7)
        (site / "digest.html").write_text(digest.html, encoding="utf-8")
        (site / "frames.html").write_text(FRAMES, encoding="utf-8")
        for name, data in digest.files.items():  # the e-mail-sized covers, where the digest says they are
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_bytes(data)

        dom = chromium(
            base + "frames.html",
            "--dump-dom",
            "--virtual-time-budget=15000",
            "--window-size=1000,4000",
            profile=tmp_path / "profile-dom",
        )
        # Both frames side by side in one picture (a window narrower than ~500 px is widened by Chromium).
        shot = tmp_path / "digest-600-375.png"
        chromium(
            base + "frames.html",
            f"--screenshot={shot}",
            "--window-size=1000,3000",
            "--virtual-time-budget=15000",
            profile=tmp_path / "profile-shot",
        )
        assert shot.stat().st_size > 10_000

    report = json.loads(lxml_html.fromstring(dom).get_element_by_id("report").text_content())
    if images == "served":
        covers = {base + name for name in digest.files if name.startswith("newsletter/images/")}
        assert len(covers) == 2
    else:  # no local file to resize: the cover's own address
        covers = {base + "images/studio-lighting.png", base + "images/prompt-cheatsheet.jpg"}
    for frame, width in (("w600", 600), ("w375", 375)):
        seen = report[frame]
        assert seen["width"] == width
        assert seen["scrollWidth"] <= width, f"{frame}: content {seen['scrollWidth']} px wide"
        assert covers <= {i["src"] for i in seen["images"]}
        assert all(i["right"] <= width for i in seen["images"]), seen["images"]
        if images == "served":
            assert all(i["loaded"] for i in seen["images"]), [i for i in seen["images"] if not i["loaded"]]
        else:
            assert not any(i["loaded"] for i in seen["images"])


def test_blocked_images_keep_the_layout_and_phones_keep_thumbnails_beside_the_text(tmp_path):
    """Many clients block images until asked: a blocked image keeps its sized box (as Outlook shows it;
    the clients that block images ignore aspect-ratio, caniemail) inside the column, at 600 and at
    375 px; and on a phone a compact item's thumbnail stays beside its text instead of growing to the
    full width."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "content" / "static", site)
    with serve(site) as base:
        config = make_config(title="Blocked", url=base, static=str(site), feeds={"url": base})
        articles = [
            article(
                "lead",
                featured=True,
                cover_image="/images/studio-lighting.png",
                title="The lead story of the week",
                published=NOW - timedelta(days=1),
            ),
            *[
                article(
                    f"item-{i}",
                    cover_image="/images/prompt-cheatsheet.jpg",
                    title=f"Compact item {i}",
                    description="A description long enough to wrap over a few lines on a phone screen.",
                    published=NOW - timedelta(days=2 + i),
                )
                for i in range(3)
            ],
        ]
        digest = publisher.newsletter.render_digest(articles, config, now=NOW, days=7)
        (site / "digest.html").write_text(digest.html, encoding="utf-8")
        (site / "frames.html").write_text(FRAMES, encoding="utf-8")
        for name, data in digest.files.items():
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_bytes(data)
        flags = ("--virtual-time-budget=15000", "--window-size=1000,3000")
        blocked = chromium(
            base + "frames.html",
            "--dump-dom",
            "--blink-settings=imagesEnabled=false",
            *flags,
            profile=tmp_path / "profile-blocked",
        )
        shown = chromium(base + "frames.html", "--dump-dom", *flags, profile=tmp_path / "profile-shown")
        chromium(
            base + "digest.html",
            f"--screenshot={tmp_path / 'blocked-375.png'}",
            "--window-size=375,1200",
            "--blink-settings=imagesEnabled=false",
            profile=tmp_path / "profile-shot",
        )

    def report(dom: str) -> dict:
        return json.loads(lxml_html.fromstring(dom).get_element_by_id("report").text_content())

    for frame, seen in report(blocked).items():
        assert len(seen["images"]) == 4
        assert seen["scrollWidth"] <= seen["width"], frame
        for image in seen["images"]:
            assert image["right"] <= seen["width"] and image["box"]["height"] <= image["box"]["width"], (frame, image)
    for seen in report(shown).values():
        lead = seen["images"][0]
        assert lead["cls"] == "card-image" and lead["box"]["height"] >= 0.5 * lead["box"]["width"] > 100, lead
    phone = report(shown)["w375"]["items"]
    assert len(phone) == 3
    for item in phone:
        assert item["thumb"]["right"] <= item["text"]["left"], item  # beside, not above
        assert abs(item["thumb"]["top"] - item["text"]["top"]) < 20, item
        assert 60 <= item["thumb"]["width"] <= 120, item
