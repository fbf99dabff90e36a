"""The preview server, fetched over real HTTP on 127.0.0.1: the page, the three digest files,
re-rendering on reload, and errors shown as pages instead of stopping the server."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from lxml import html as lxml_html

import publisher
from publisher.email.digest import render_digest
from publisher.email.preview import PreviewServer, make_preview_server
from publisher.errors import ConfigError, PublisherError
from tests.browser import chromium
from tests.conftest import NOW, Site, article, make_config, write_article

FEATURED = """
---
title: Sora 2 – what’s new
publishDate: 2026-11-20
featured: true
seoDescription: The lead article of the week.
coverImage: https://img.example.org/sora.png
---
Body of the lead article.
"""

OTHER = """
---
title: A smaller note
publishDate: 2026-11-18
---
Body of the note.
"""


def preview_site(site: Callable[..., Site]) -> Site:
    """The lead and a note of the last week; a templates folder of the site's own, empty."""
    made = site(title="Preview Site", output="out", templates="templates")
    (made / "templates").mkdir()
    made.add("sora.md", FEATURED.lstrip())
    made.add("note.md", OTHER.lstrip())
    return made


@pytest.fixture
def previewed(site) -> Site:
    return preview_site(site)


def renderer(previewed: Site, *, strict: bool = False, days: float = 30):
    config = previewed.config()

    def render():
        articles = publisher.load_articles(previewed.content, config, strict=strict)
        return render_digest(articles, config, now=NOW, days=days)

    return render


@contextmanager
def running(render, **options) -> Iterator[PreviewServer]:
    server = make_preview_server(render, port=0, **options)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fetch(server: PreviewServer, path: str, method: str = "GET", headers: dict | None = None):
    request = urllib.request.Request(server.url.rstrip("/") + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_the_page_shows_the_digest_at_600_and_375_px_with_its_headers_and_text(previewed):
    render = renderer(previewed)
    digest = render()
    with running(render) as server:
        status, headers, body = fetch(server, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    page = lxml_html.document_fromstring(body)
    frames = page.findall(".//iframe")
    assert [(f.get("title"), f.get("width")) for f in frames] == [
        ("digest: desktop, 600 px", "600"),
        ("digest: phone, 375 px", "375"),
        ("digest: dark mode, 600 px", "600"),
        ("digest: images off, 600 px", "600"),
    ]
    assert [f.get("srcdoc") == digest.html for f in frames] == [True, True, False, False]
    assert "prefers-color-scheme" in digest.html and "prefers-color-scheme" not in frames[2].get("srcdoc")
    assert """content="img-src 'none'">""" in frames[3].get("srcdoc")
    assert all("allow-scripts" not in f.get("sandbox") for f in frames)
    # The row an inbox lists: sender, subject, the start of the preheader.
    inbox = page.find_class("inbox")[0]
    assert inbox.find_class("sender")[0].text_content() == "Preview Site"
    assert inbox.find_class("subject")[0].text_content() == "Sora 2 – what’s new"
    assert inbox.find_class("preheader")[0].text_content() == "– " + " ".join(digest.preheader.split())[:140]
    rows = {row.findtext("th"): row.findtext("td") for row in page.iter("tr")}
    assert rows["Subject"] == "Sora 2 – what’s new"
    assert rows["Message-ID"] == digest.message["Message-ID"]
    assert page.findtext(".//pre") == digest.text
    assert page.findtext(".//title") == "Preview: Sora 2 – what’s new"


def test_the_digest_files_are_served_with_their_types(previewed):
    render = renderer(previewed)
    digest = render()
    with running(render) as server:
        html = fetch(server, "/digest.html")
        text = fetch(server, "/digest.txt")
        eml = fetch(server, "/digest.eml")
    assert (html[0], html[1]["Content-Type"], html[2]) == (200, "text/html; charset=utf-8", digest.html.encode())
    assert (text[0], text[1]["Content-Type"], text[2]) == (200, "text/plain; charset=utf-8", digest.text.encode())
    assert (eml[0], eml[1]["Content-Type"]) == (200, "message/rfc822")
    message = message_from_bytes(eml[2], policy=policy.default)
    expected = message_from_bytes(digest.as_bytes(), policy=policy.default)  # the same but for the MIME boundary
    assert [(k, v) for k, v in message.items() if k != "Content-Type"] == [
        (k, v) for k, v in expected.items() if k != "Content-Type"
    ]
    assert [p.get_content() for p in message.iter_parts()] == [p.get_content() for p in expected.iter_parts()]
    assert message["Subject"] == "Sora 2 – what’s new"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert html[1]["Cache-Control"] == "no-store"


def test_an_edit_shows_on_the_next_reload(previewed):
    with running(renderer(previewed)) as server:
        assert "A smaller note" in fetch(server, "/digest.txt")[2].decode()
        write_article(previewed.content, "note.md", OTHER.replace("A smaller note", "A retitled note"))
        text = fetch(server, "/digest.txt")[2].decode()
    assert "A retitled note" in text and "A smaller note" not in text


def test_other_paths_are_not_found(previewed):
    with running(renderer(previewed)) as server:
        assert fetch(server, "/etc/passwd")[0] == 404
        assert fetch(server, "/digest.html/")[0] == 404
        assert fetch(server, "/?x=1")[0] == 200  # a query string does not change the page


def test_head_answers_without_a_body(previewed):
    with running(renderer(previewed)) as server:
        status, headers, body = fetch(server, "/digest.txt", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_a_broken_template_shows_an_error_page_and_the_server_keeps_serving(previewed):
    with running(renderer(previewed)) as server:
        (previewed / "templates" / "digest.html.j2").write_text("{% if %}broken{% endif %}")
        status, _, body = fetch(server, "/")
        assert status == 500
        page = lxml_html.document_fromstring(body)
        assert page.findtext(".//h1") == "The digest could not be rendered"
        assert page.findtext(".//pre").startswith(f"{previewed / 'templates' / 'digest.html.j2'}:1: ")
        (previewed / "templates" / "digest.html.j2").unlink()
        assert fetch(server, "/")[0] == 200


def test_an_article_error_names_the_file_and_field(previewed):
    write_article(previewed.content, "bad.md", "---\ntitle: Bad\npublishDate: 2026-13-45\n---\nx\n")
    with running(renderer(previewed, strict=True)) as server:
        status, _, body = fetch(server, "/digest.txt")
    assert status == 500
    message = lxml_html.document_fromstring(body).findtext(".//pre")
    assert "bad.md" in message and "publishDate" in message and "'2026-13-45' is not a date" in message


def test_an_empty_window_says_there_is_nothing_to_preview(previewed):
    with running(renderer(previewed, days=1)) as server:
        status, _, body = fetch(server, "/")
    assert status == 200
    assert lxml_html.document_fromstring(body).findtext(".//h1") == "Nothing to preview"


def test_it_listens_on_loopback_and_answers_only_to_loopback_names(previewed):
    with running(renderer(previewed)) as server:
        assert server.server_address[0] == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.server_address[1]}/"
        assert fetch(server, "/", headers={"Host": f"localhost:{server.server_address[1]}"})[0] == 200
        # A page on another site that rebinds its name to 127.0.0.1 still sends its own Host header.
        status, _, body = fetch(server, "/digest.txt", headers={"Host": "attacker.example:80"})
    assert status == 403 and b"Sora" not in body


def test_a_port_in_use_is_an_error_naming_it(previewed):
    with running(renderer(previewed)) as server:
        port = server.server_address[1]
        with pytest.raises(PublisherError, match=rf"cannot listen on 127\.0\.0\.1:{port}.*--port 0"):
            make_preview_server(renderer(previewed), port=port)


def test_make_preview_server_refuses_a_port_outside_0_to_65535(previewed):
    with pytest.raises(ConfigError, match="port 65536 is not a port number"):
        make_preview_server(renderer(previewed), port=65536)


def test_in_a_browser_each_frame_grows_to_its_digest_so_no_scroll_bar_narrows_it(previewed, tmp_path):
    # A scroll bar inside the 600 px frame would leave ~585 px and switch the digest to its phone layout.
    with running(renderer(previewed)) as server:
        dom = chromium(
            server.url,
            "--dump-dom",
            "--virtual-time-budget=10000",
            "--window-size=1300,2000",
            profile=tmp_path / "profile",
        )
    frames = lxml_html.document_fromstring(dom).findall(".//iframe")
    assert [f.get("scrolling") for f in frames] == ["no", "no", "no", "no"]
    heights = [re.search(r"height:\s*(\d+)px", f.get("style") or "") for f in frames]
    assert all(heights), [f.get("style") for f in frames]
    desktop, phone = (int(h[1]) for h in heights[:2])
    # Each fitted to its own content: the layouts differ, so do the heights (which is taller depends on
    # how far the covers scale down at 375 px).
    assert desktop > 300 and phone > 300 and desktop != phone


LOOK = """<!DOCTYPE html><html><body>
<iframe id="plain" src="plain.html" width="600" height="800"></iframe>
<iframe id="dark" src="dark.html" width="600" height="800"></iframe>
<iframe id="off" src="off.html" width="600" height="800"></iframe>
<script>
window.addEventListener("load", () => {
  const look = f => ({background: getComputedStyle(f.contentDocument.querySelector(".container")).backgroundColor,
                      loaded: [...f.contentDocument.images].filter(i => i.complete && i.naturalWidth > 0).length,
                      images: f.contentDocument.images.length});
  const out = document.createElement("pre");
  out.id = "report";
  out.textContent = JSON.stringify(Object.fromEntries([...document.querySelectorAll("iframe")].map(
    f => [f.id, look(f)])));
  document.body.appendChild(out);
});
</script></body></html>"""


def test_in_a_browser_the_dark_frame_is_dark_and_the_images_off_frame_loads_no_image(previewed, tmp_path):
    import json

    from PIL import Image

    from publisher.email.preview import dark_mode, images_off
    from tests.browser import serve

    web = tmp_path / "web"
    (web / "images").mkdir(parents=True)
    Image.new("RGB", (400, 200), (10, 120, 200)).save(web / "images" / "c.png")
    with serve(web) as base:
        config = make_config(title="Look", url=base, feeds={"url": base})
        html = render_digest(
            [article("a", featured=True, cover_image=base + "images/c.png", published=NOW - timedelta(days=1))],
            config,
            now=NOW,
        ).html
        for name, variant in (("plain", html), ("dark", dark_mode(html)), ("off", images_off(html))):
            (web / f"{name}.html").write_text(variant, encoding="utf-8")
        (web / "look.html").write_text(LOOK, encoding="utf-8")
        dom = chromium(base + "look.html", "--dump-dom", "--virtual-time-budget=10000", profile=tmp_path / "p")
    look = json.loads(lxml_html.document_fromstring(dom).get_element_by_id("report").text_content())
    assert look["plain"] == {"background": "rgb(255, 255, 255)", "loaded": 1, "images": 1}
    assert look["dark"]["background"] == "rgb(31, 41, 55)"  # #1f2937, the dark-mode container
    assert look["off"] == {"background": "rgb(255, 255, 255)", "loaded": 0, "images": 1}
