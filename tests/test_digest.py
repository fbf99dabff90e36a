"""The e-mail digest: what goes in, e-mail-safe HTML, the message, the window and its state."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from lxml import html as lxml_html

import publisher
from publisher.email.digest import EmptyDigest, render_digest
from tests.conftest import NOW, article, make_config

ACTIVE = ("script", "video", "iframe", "audio", "object", "embed", "form")


def body_elements(html: str):
    tree = lxml_html.document_fromstring(html)
    return tree, [e for e in tree.find("body").iter() if isinstance(e.tag, str)]


def assert_email_safe(html: str) -> None:
    tree, elements = body_elements(html)
    assert len(html.encode()) < 102 * 1024
    for tag in ACTIVE:
        assert not list(tree.iter(tag)), f"<{tag}> in the e-mail"
    for element in tree.iter():
        for attribute in ("href", "src"):
            value = element.get(attribute)
            if value is not None:
                assert value.startswith(("https://", "http://", "mailto:")), f"relative {attribute}={value!r}"
        assert not any(name.startswith("on") for name in element.attrib), element.attrib
    # <tr> and <br> carry no presentation of their own; everything else is styled inline.
    unstyled = [e.tag for e in elements if e.tag not in ("tr", "br") and not e.get("style")]
    assert unstyled == []
    for img in tree.iter("img"):
        assert img.get("width") and img.get("height") and img.get("alt") is not None, img.attrib


def test_rendering_twice_gives_the_same_bytes(config):
    articles = [article("a", featured=True, published=NOW), article("b", published=NOW)]
    first, second = (render_digest(articles, config, now=NOW).as_bytes() for _ in range(2))
    assert first == second


def test_the_digest_has_its_own_writer_that_rewrites_only_what_changed(config, tmp_path):
    digest = render_digest([article("a", featured=True, published=NOW)], config, now=NOW)
    written = publisher.newsletter.write_digest_files(digest, config, tmp_path)
    assert {"digest.html", "digest.txt", "digest.eml"} <= set(written)
    assert sorted(written) == sorted(publisher.newsletter.digest_outputs(digest, config, tmp_path))
    assert (tmp_path / "digest.eml").read_bytes() == digest.as_bytes()
    assert publisher.newsletter.write_digest_files(digest, config, tmp_path) == []


def test_seed_article_in_the_digest(seed, tmp_path):
    config = make_config(
        title="Lab",
        url="https://lab.example.org/",
        digest={"full_bodies": True, "unsubscribe_url": "https://lab.example.org/unsubscribe"},
    )
    seed_article = publisher.content.load_article(seed, config)
    digest = render_digest([seed_article], config, now=NOW, days=3650)
    assert digest.subject == "OpenAI’s Sora 2 App Guide - Features, Invite Codes, and How to Get Started"
    assert "â€" not in digest.html and "â€" not in digest.text and "â€" not in digest.subject
    assert_email_safe(digest.html)
    tree = lxml_html.document_fromstring(digest.html)
    captions = [a for a in tree.iter("a") if "Watch the video" in a.text_content()]
    assert len(captions) == seed.read_text().count("<video")
    for caption in captions:
        assert caption.get("href").startswith("https://lab.example.org/sora2-app-guide/")
        # The seed's videos have no poster and none is configured: a styled block, never the cover again.
        assert caption.getparent().get("class") == "video-block"
        assert caption.getparent().getprevious() is None or caption.getparent().getprevious().tag != "a"
    # The card's cover, and the body's own picture of it: no third copy for the videos.
    in_body = seed.read_text().count(f"]({seed_article.cover_image})")
    assert [img.get("src") for img in tree.iter("img")].count(seed_article.cover_image) == 1 + in_body
    # ![image-b4c17f8c160b|700x521](...): the size survives, scaled to the 552 px column.
    sized = tree.xpath("//img[@alt='image-b4c17f8c160b']")
    assert len(sized) == 1
    width, height = int(sized[0].get("width")), int(sized[0].get("height"))
    assert width == 552 and abs(height - 552 * 521 / 700) < 1


def test_featured_articles_come_first_as_cards(config):
    articles = [
        article("old-featured", featured=True, published=NOW - timedelta(days=5), cover_image="/c.png"),
        article("new-plain", published=NOW - timedelta(days=1), description="Plain one"),
        article("newer-plain", published=NOW - timedelta(hours=1), cover_image="https://cdn.example.net/t.jpg"),
    ]
    digest = render_digest(articles, config, now=NOW, days=7)
    assert [a.slug for a in digest.articles] == ["old-featured", "newer-plain", "new-plain"]
    tree = lxml_html.document_fromstring(digest.html)
    assert [a.text_content() for a in tree.xpath("//h2/a")] == ["Old Featured"]
    assert [a.text_content() for a in tree.xpath("//h3/a")] == ["Newer Plain", "New Plain"]
    card_image = tree.xpath("//img[contains(@class, 'card-image')]")[0]
    assert card_image.get("src") == "https://example.org/c.png"
    assert (card_image.get("width"), card_image.get("height")) == ("600", "315")
    assert digest.subject == "Old Featured"
    assert "Read more" in digest.html


def test_subject_without_a_featured_article_and_from_a_template(config):
    articles = [article("a", published=NOW - timedelta(days=1)), article("b", published=NOW - timedelta(days=2))]
    assert render_digest(articles, config, now=NOW, days=7).subject == "Test Site: 2 new articles"
    assert render_digest(articles[:1], config, now=NOW, days=7).subject == "Test Site: 1 new article"
    custom = make_config(
        title="T", url="https://t.example/", digest={"subject": "Week of {{ articles[0].published.date() }}"}
    )
    assert render_digest(articles, custom, now=NOW, days=7).subject == "Week of 2026-11-24"


def test_a_title_with_cr_lf_cannot_add_a_header(config):
    evil = article(
        "evil", title="Hello\r\nBcc: victim@example.net\r\nX-Evil: 1", featured=True, published=NOW - timedelta(days=1)
    )
    digest = render_digest([evil], config, now=NOW, days=7)
    raw = digest.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed["Subject"] == "Hello Bcc: victim@example.net X-Evil: 1"


def test_non_ascii_subject_is_rfc2047_encoded(config):
    digest = render_digest([article("s", title="Café “quotes” ✓", featured=True, published=NOW)], config, now=NOW)
    raw = digest.as_bytes()
    header = raw.split(b"\r\n\r\n")[0]
    assert all(byte < 128 for byte in header) and b"=?utf-8?" in header
    assert email.message_from_bytes(raw, policy=email.policy.default)["Subject"] == "Café “quotes” ✓"


def test_preheader_is_the_lead_description():
    config = make_config(title="T", url="https://t.example/")
    lead = article("lead", featured=True, description="The hidden preview line", published=NOW)
    digest = render_digest([lead, article("x", published=NOW)], config, now=NOW)
    preheader = lxml_html.document_fromstring(digest.html).find("body")[0]
    assert preheader.text_content().startswith("The hidden preview line")


def test_campaign_parameters_only_on_links_to_the_site(tmp_path):
    config = make_config(
        title="T", url="https://t.example/", digest={"utm_source": "news", "utm_medium": "email", "full_bodies": True}
    )
    body = "See [ours](/guide/) and [theirs](https://other.example.net/page?x=1)."
    digest = render_digest([article("a", body=body, published=NOW)], config, now=NOW)
    hrefs = {a.get("href") for a in lxml_html.document_fromstring(digest.html).iter("a")}
    assert "https://t.example/guide/?utm_source=news&utm_medium=email" in hrefs
    assert "https://other.example.net/page?x=1" in hrefs
    assert "https://t.example/a/?utm_source=news&utm_medium=email" in hrefs
    assert not any("utm_" in h for h in hrefs if not h.startswith("https://t.example/"))


def test_active_content_never_reaches_the_email(config):
    body = (
        '<script>alert(1)</script><p onclick="steal()">Hi <a href="javascript:alert(1)">x</a></p>'
        '<iframe src="https://www.youtube.com/embed/abc"></iframe><form action="/x"><input name="q"></form>'
        '<object data="x.swf"></object><audio src="a.mp3"></audio><img src="a.png">'
    )
    digest = render_digest([article("a", body=body, published=NOW)], config, now=NOW, full_bodies=True)
    assert_email_safe(digest.html)
    assert "javascript:" not in digest.html and "alert(" not in digest.html and "steal" not in digest.html
    assert "https://www.youtube.com/embed/abc" in digest.html  # the embed became a link


def test_over_the_budget_bodies_give_way_then_old_items(config):
    big = "\n\n".join(f"Paragraph {i} " + "word " * 80 for i in range(40))  # ~20 KB of HTML each
    articles = [
        article(f"a{i:02d}", body=big, published=NOW - timedelta(hours=i), description=f"About {i}") for i in range(20)
    ]
    articles[15] = article("featured-old", body=big, featured=True, published=NOW - timedelta(days=3))
    small_budget = make_config(title="T", url="https://t.example/", digest={"full_bodies": True, "budget": 20_000})
    digest = render_digest(articles, small_budget, now=NOW, days=7)
    assert digest.size <= 20_000
    assert "Paragraph 3" not in digest.html  # descriptions, not bodies
    assert digest.articles[0].slug == "featured-old"  # featured never dropped
    assert digest.left_out > 0 and f"and {digest.left_out} more in the web version" in digest.html
    # ...which links the web page, where every article of the window is, whole.
    page = lxml_html.document_fromstring(digest.web_html)
    assert f'href="https://t.example/feeds/newsletter/{digest.issue}.html"' in digest.html
    assert len(page.xpath("//h2 | //h3")) == 20 and "Paragraph 3" in digest.web_html
    kept = [a.slug for a in digest.articles[1:]]
    assert kept == sorted(kept)  # newest (a00) kept, oldest dropped
    assert any("descriptions instead of whole articles" in n for n in digest.notes)
    assert any("left out to fit the budget" in n for n in digest.notes)
    assert digest.problems == () or all("List-Unsubscribe" in p for p in digest.problems)


def test_a_lone_article_over_the_budget_is_kept_with_a_note():
    # The only article of the window never gives way to the budget: a digest of nothing is no digest.
    tight = make_config(title="T", url="https://t.example/", digest={"budget": 5000})
    long = article("long", description="word " * 20_000, published=NOW)  # a 100 KB description
    for config in (tight, make_config(title="T", url="https://t.example/")):
        digest = render_digest([long], config, now=NOW, days=7)
        assert [a.slug for a in digest.articles] == ["long"] and digest.left_out == 0
        assert any("over the" in n and "one article" in n and "[digest] budget" in n for n in digest.notes)


def test_limit_keeps_featured_articles_first(config):
    articles = [article(f"p{i}", published=NOW - timedelta(hours=i)) for i in range(5)]
    articles.append(article("f", featured=True, published=NOW - timedelta(days=2)))
    digest = render_digest(articles, config, now=NOW, days=7, limit=3)
    assert [a.slug for a in digest.articles] == ["f", "p0", "p1"] and digest.left_out == 3


def test_empty_window_raises(config):
    with pytest.raises(EmptyDigest):
        render_digest([article("old", published=NOW - timedelta(days=30))], config, now=NOW, days=7)
    with pytest.raises(EmptyDigest):
        render_digest([article("d", draft=True, published=NOW)], config, now=NOW, days=7)
    with pytest.raises(EmptyDigest):
        render_digest([article("future", published=NOW + timedelta(hours=1))], config, now=NOW, days=7)


def test_check_lists_what_is_missing(config):
    digest = render_digest([article("a", published=NOW)], config, now=NOW)
    assert any("List-Unsubscribe" in p for p in digest.problems)
    ready = make_config(title="T", url="https://t.example/", digest={"unsubscribe_url": "https://t.example/u"})
    assert render_digest([article("a", published=NOW)], ready, now=NOW).problems == ()


def test_site_templates_override_the_bundled_ones(tmp_path):
    template = "{{ subject }}: {% for i in featured + others %}{{ i.title }}{% endfor %}\n"
    (tmp_path / "digest.txt.j2").write_text(template)
    config = make_config(title="T", url="https://t.example/", templates=str(tmp_path))
    digest = render_digest([article("only-one", published=NOW)], config, now=NOW)
    assert digest.text == "T: 1 new article: Only One"
    assert "<table" in digest.html  # the HTML template is still the bundled one


# The command line: window flags, --since-last state, empty windows, --check.


def test_library_example_from_the_readme(tmp_path):
    config = make_config(title="My site")
    articles = [
        publisher.Article(
            slug="hello", title="Hello", published=datetime(2025, 10, 1, tzinfo=UTC), body="Markdown *text*"
        )
    ]
    digest = publisher.newsletter.render_digest(articles, config, now=datetime(2025, 10, 3, tzinfo=UTC), days=7)
    assert digest.subject == "My site: 1 new article" and "Hello" in digest.text
    assert digest.message.get_content_type() == "multipart/alternative"
    assert digest.html.startswith("<!DOCTYPE html>") and digest.size == len(digest.html.encode())


def test_cssutils_noise_is_captured_not_printed(capfd):
    import uuid

    from publisher.email.inline import PremailerInliner

    inliner = PremailerInliner()
    unknown = f"-x-unknown-{uuid.uuid4().hex}"  # a new stylesheet each run: premailer caches parsed CSS
    html = f'<html><head><style>p {{ color: red }}</style></head><body><p style="{unknown}: 1">x</p></body></html>'
    result = inliner(html, base_url="https://example.org/")
    assert 'style="color:red; -x-unknown-' in result
    assert unknown in inliner.last_log  # cssutils did complain...
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # ...but nothing reached the terminal


@pytest.mark.parametrize(
    "subject, message",
    [
        (
            "{{ lead.titel }} and {{ count }",
            "[digest] subject: '{{ lead.titel }} and {{ count }' is not a valid template",
        ),
        ("{{ lead.titel }}", "[digest] subject: 'publisher.model.Article object' has no attribute 'titel'"),
    ],
)
def test_a_broken_subject_template_is_a_configuration_error(subject, message):
    config = make_config(title="T", url="https://t.example/", digest={"subject": subject})
    with pytest.raises(publisher.ConfigError) as caught:
        render_digest([article("a", featured=True, published=NOW)], config, now=NOW)
    assert str(caught.value).startswith(message)


def test_a_broken_site_template_names_its_file_and_line(tmp_path):
    config = make_config(title="T", url="https://t.example/", templates=str(tmp_path))
    (tmp_path / "digest.html.j2").write_text("<p>\n{% for x in featured %}\n<b>{{ x.title }</b>\n")
    with pytest.raises(publisher.ConfigError, match=rf"^{tmp_path}/digest.html.j2:3: unexpected '}}'"):
        render_digest([article("a", published=NOW)], config, now=NOW)
    (tmp_path / "digest.html.j2").write_text("<p>\n\n{{ site.nonsense.deeper }}\n")
    with pytest.raises(publisher.ConfigError, match=rf"^{tmp_path}/digest.html.j2:3: .*nonsense"):
        render_digest([article("a", published=NOW)], config, now=NOW)


def test_a_video_shows_its_own_poster_then_the_configured_field_never_the_cover(config):
    body = (
        '<video controls width="640" height="360" poster="/posters/own.jpg"><source src="/a.mp4"></video>\n\n'
        '<video controls><source src="/b.mp4"></video>\n'
    )
    cover = "https://cdn.example.net/cover.jpg"
    configured = make_config(title="V", digest={"video_poster": "videoPoster", "full_bodies": True})
    one = article(
        "clip",
        featured=True,
        published=NOW - timedelta(days=1),
        cover_image=cover,
        body=body,
        extra={"videoPoster": "/posters/field.jpg"},
    )
    tree = lxml_html.document_fromstring(render_digest([one], configured, now=NOW).html)
    posters = tree.xpath("//img[@class='video-poster']")
    assert [p.get("src") for p in posters] == [
        "https://example.org/posters/own.jpg",
        "https://example.org/posters/field.jpg",
    ]
    assert (posters[0].get("width"), posters[0].get("height")) == ("552", "310")  # 640x360 fitted to the column
    assert [img.get("src") for img in tree.iter("img")].count(cover) == 1
    plain = make_config(title="V", digest={"full_bodies": True})
    tree = lxml_html.document_fromstring(render_digest([one], plain, now=NOW).html)
    assert [b.text_content() for b in tree.xpath("//p[@class='video-block']")] == ["▶ Watch the video"]
    assert [img.get("src") for img in tree.iter("img")].count(cover) == 1


def test_a_remote_cover_keeps_its_real_shape_when_the_body_gives_its_size(seed):
    config = make_config(title="Lab", url="https://lab.example.org/")
    seed_article = publisher.content.load_article(seed, config)
    tree = lxml_html.document_fromstring(render_digest([seed_article], config, now=NOW, days=3650).html)
    card = tree.xpath("//img[@class='card-image']")[0]
    # ![image-b4c17f8c160b|700x521](<the cover>) in the body: 600 wide, 447 high, not the 1200x630 guess.
    assert (card.get("width"), card.get("height")) == ("600", str(round(600 * 521 / 700)))
