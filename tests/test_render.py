from __future__ import annotations

import pytest
from lxml import html as lxml_html

from publisher.markup.html import first_paragraph, markdown_to_html, render_html, sanitize, summary
from tests.conftest import ENGINES, article


@pytest.fixture
def config(engine_config):
    """Every render_html test here runs with each Markdown engine."""
    return engine_config


def parse(fragment: str):
    return lxml_html.fragment_fromstring(fragment, create_parent="div")


def test_image_size_syntax_becomes_width_and_height(config):
    a = article(body="![image-b4c17f8c160b|700x521](https://img.example.org/a.png)")
    (img,) = parse(render_html(a, config)).iter("img")
    assert img.get("alt") == "image-b4c17f8c160b"
    assert (img.get("width"), img.get("height")) == ("700", "521")


def test_images_without_size_keep_their_alt(config):
    (img,) = parse(render_html(article(body="![plain alt](https://img.example.org/a.png)"), config)).iter("img")
    assert img.get("alt") == "plain alt" and img.get("width") is None


def test_relative_links_and_sources_become_absolute_against_the_article(config):
    body = (
        "[guide](/guides/lighting/) [next](../part-2/) [same](notes.html) [anchor](#top)\n\n"
        "![d|640x360](/images/a.png)\n\n"
        '<video controls poster="poster.jpg"><source src="clip.mp4" type="video/mp4"></video>\n\n'
        '<img srcset="small.png 1x, /big.png 2x" src="small.png">\n'
    )
    tree = parse(render_html(article(slug="my-post", body=body), config))
    hrefs = [a.get("href") for a in tree.iter("a")]
    assert hrefs == [
        "https://example.org/guides/lighting/",
        "https://example.org/part-2/",
        "https://example.org/my-post/notes.html",
        "https://example.org/my-post/#top",
    ]
    assert tree.find(".//source").get("src") == "https://example.org/my-post/clip.mp4"
    assert tree.find(".//video").get("poster") == "https://example.org/my-post/poster.jpg"
    srcset = [img.get("srcset") for img in tree.iter("img") if img.get("srcset")]
    assert srcset == ["https://example.org/my-post/small.png 1x, https://example.org/big.png 2x"]


def test_raw_video_html_is_kept(config):
    body = '<video controls width="700">\n  <source src="https://v.example.org/a.mp4" type="video/mp4">\n</video>\n'
    tree = parse(render_html(article(body=body), config))
    video = tree.find(".//video")
    assert video is not None and video.get("width") == "700" and video.get("controls") is not None


def test_active_content_is_removed_and_embeds_become_links(config):
    body = (
        '<script>alert(1)</script><p onclick="steal()">Hi <a href="javascript:alert(1)">x</a></p>'
        '<iframe src="https://www.youtube.com/embed/x" onload="x()"></iframe><form><input></form>'
    )
    out = render_html(article(body=body), config)
    assert "<script" not in out and "alert(1)" not in out
    assert "onclick" not in out and "onload" not in out and "javascript:" not in out
    assert "<form" not in out and "<input" not in out
    assert "<iframe" not in out
    assert '<a href="https://www.youtube.com/embed/x">https://www.youtube.com/embed/x</a>' in out


def test_python_markdown_extensions_tables_fenced_code_footnotes_attr_lists():
    out = markdown_to_html(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint(1)\n```\n\nText[^1]\n\n[^1]: A note.\n\n"
        "Para\n{: .lead }\n",
        "python-markdown",
    )
    tree = parse(out)
    assert tree.find(".//table") is not None
    assert tree.find(".//pre/code").text == "print(1)\n"
    assert tree.find(".//div[@class='footnote']") is not None
    assert tree.find(".//p[@class='lead']") is not None


@pytest.mark.parametrize("engine", ENGINES)
def test_markdown_state_does_not_leak_between_articles(engine):
    first = markdown_to_html("Text[^1]\n\n[^1]: First note.\n", engine)
    second = markdown_to_html("No notes here.\n", engine)
    assert "First note" in first
    assert "footnote" not in second and "First note" not in second


def test_image_sizes_survive_quotes_titles_links_and_autolinked_neighbours(config):
    body = (
        '![say "cheese"|640x360](a.png "A title") [![linked|10x20](b.png)](/big/)\n\n'
        "![spaced | 30 X 40](c.png) ![not a size|axb](d.png) https://example.org/next\n\n"
        '<img src="e.png" alt="raw|50x60" width="5">\n'
    )
    tree = parse(render_html(article(body=body), config))
    images = {img.get("src").rsplit("/", 1)[1]: img for img in tree.iter("img")}
    sizes = {name: (img.get("alt"), img.get("width"), img.get("height")) for name, img in images.items()}
    assert sizes == {
        "a.png": ('say "cheese"', "640", "360"),
        "b.png": ("linked", "10", "20"),
        "c.png": ("spaced", "30", "40"),
        "d.png": ("not a size|axb", None, None),
        "e.png": ("raw|50x60", "5", None),  # raw HTML that sets its own size keeps it
    }
    assert images["a.png"].get("title") == "A title"


def test_summary_prefers_seo_description_then_the_first_paragraph():
    assert summary(article(description="Described.", body="Para")) == "Described."
    body = "![cover](a.png)\n\n## Heading\n\nThe *first* real paragraph.\n\nSecond."
    assert summary(article(body=body)) == "The first real paragraph."


def test_first_paragraph_is_cut_on_a_word_boundary():
    text = first_paragraph("<p>" + "word " * 100 + "</p>", limit=50)
    assert len(text) <= 50 and text.endswith("…") and not text.endswith(" …")


def test_sanitize_strips_characters_xml_forbids():
    assert sanitize("<p>a\x0bb\x07c\x1bd</p>") == "<p>abcd</p>"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_lone_surrogate_in_a_body_built_in_code_is_dropped_by_every_engine(engine):
    # str can hold one; UTF-8 (and so the Rust engine) cannot. A feed drops it (XML forbids it).
    html = markdown_to_html("caf\ud800e *x*", engine, ("tables",) if engine == "python-markdown" else ())
    assert "\ud800" not in sanitize(html, base_url="https://example.org/") and "<em>x</em>" in html


def test_sanitize_on_many_threads_makes_each_address_absolute_against_its_own_base():
    """The sanitiser is built once per allow-list and shared; each call's URL policy and base URL must
    stay its own, also when threads (the preview server's) sanitise at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    html = "".join(f'<p><a href="page-{i}/">link</a><img src="img-{i}.png" alt=""></p>' for i in range(300))

    def run(n: int) -> tuple[int, str]:
        return n, sanitize(html, base_url=f"https://site-{n}.example/post/")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(64)))
    for n, out in results:
        hosts = {
            a.split("/")[2] for a in lxml_html.fragment_fromstring(out, create_parent="div").xpath("//@href | //@src")
        }
        assert hosts == {f"site-{n}.example"}, (n, hosts)


def test_sanitize_inside_an_attribute_filter_of_another_sanitize_keeps_both_policies():
    """A filter that sanitises (a site's own html filter run during a render) must not leave the outer
    call with the inner call's base URL."""
    from publisher.markup import html as markup

    inner: list[str] = []
    entered = []
    original = markup.urls.link_url

    def nested(value, base, **kwargs):
        if not entered:  # once, from the outer call's first link
            entered.append(True)
            inner.append(sanitize('<a href="x/">x</a>', base_url="https://inner.example/"))
        return original(value, base, **kwargs)

    markup.urls.link_url = nested
    try:
        out = sanitize('<a href="a/">a</a><a href="b/">b</a>', base_url="https://outer.example/")
    finally:
        markup.urls.link_url = original
    assert 'href="https://inner.example/x/"' in inner[0]
    assert out.count("https://outer.example/") == 2 and "inner" not in out
