"""The feeds page of a blog with many tags, as headless Chromium lays it out: a page a person would
put online (issue 20: 138 tags made it 16,000 px tall with 420 copy buttons)."""

from __future__ import annotations

import json
from datetime import timedelta

from lxml import html as lxml_html

import publisher
from tests.browser import chromium, serve
from tests.conftest import NOW, article, make_config

MEASURE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="index.html" width="1000" height="900" style="border:0"></iframe>
<script>
window.addEventListener("load", () => {
  const doc = document.getElementById("page").contentDocument;
  const visible = [...doc.querySelectorAll("button.copy")].filter(b => b.offsetParent !== null).length;
  const report = {height: doc.documentElement.scrollHeight, buttons: visible,
                  scrollWidth: doc.documentElement.scrollWidth, tagLinks: doc.querySelectorAll(".terms a").length};
  for (const folded of doc.querySelectorAll("details")) folded.open = true;
  report.openHeight = doc.documentElement.scrollHeight;
  const out = document.createElement("pre");
  out.id = "report";
  out.textContent = JSON.stringify(report);
  document.body.appendChild(out);
});
</script></body></html>"""


def test_a_blog_with_138_tags_gets_a_page_a_person_would_put_online(tmp_path):
    config = make_config(title="Many tags", feeds={"tags": True})
    articles = [
        article(f"post-{n}", title=f"Post {n}", published=NOW - timedelta(days=n), tags=(f"tag {n}", f"tag {n + 1}"))
        for n in range(138)
    ]
    feeds = publisher.render_feeds(articles, config, now=NOW)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_bytes(feeds["index.html"])
    (site / "measure.html").write_text(MEASURE, encoding="utf-8")
    with serve(site) as base:
        dom = chromium(
            base + "measure.html",
            "--dump-dom",
            "--virtual-time-budget=10000",
            "--window-size=1000,900",
            profile=tmp_path / "profile",
        )
    report = json.loads(lxml_html.fromstring(dom).get_element_by_id("report").text_content())
    assert report["buttons"] == 3  # the main feeds' three formats; none per tag
    assert report["height"] < 4000, report  # folded: the tag index is one line until opened
    assert report["openHeight"] < 7000, report  # opened: columns of one line per tag
    assert report["tagLinks"] == 139 * 4  # per tag: its name and one link per format
    assert report["scrollWidth"] <= 1000
