"""Nothing unsafe reaches a reader, and what a run prints and writes cannot be forged by a file's name
or contents (issue 12): one http(s) URL policy, RSS descriptions as text, tag file names that keep
names apart, one-line messages, lines that point where a problem starts."""

from __future__ import annotations

import html
import json
import unicodedata

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from tests.cli.test_hostile_runs import article, hostile, skipped_lines

UNSAFE = ("javascript:", "vbscript:", "data:", "file:")


def outputs(site) -> dict[str, str]:
    return {
        str(p.relative_to(site / "feeds")): p.read_text(encoding="utf-8")
        for p in sorted((site / "feeds").rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.mark.parametrize(
    "cover",
    [
        "javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:image/png;base64,AAAA",
        "file:///etc/passwd",
        " JaVaScRiPt:alert(1)",
    ],
)
def test_a_cover_that_is_not_http_reaches_no_output_and_is_named(site, cli, tmp_path, cover):
    blog = hostile(
        site, {"cover.md": article("Cover", "2025-12-30", f"coverImage: {json.dumps(cover)}\n")}, feeds={"tags": True}
    )
    built, digest = cli.on(blog, "build"), cli.on(blog, "digest", "--days", "3650")
    assert built.code == 0 and digest.code == 0
    err = built.err + digest.err
    assert f"cover.md: coverImage: {cover.strip()!r} is not an http(s) address; dropped" in err
    for name, text in outputs(blog).items():
        assert not any(scheme in text.lower() for scheme in UNSAFE), name
    entry = feedparser.parse((blog / "feeds" / "rss.xml").read_bytes()).entries[0]
    assert entry.title == "Cover" and not entry.get("enclosures") and not entry.get("media_content")


def test_a_relative_cover_is_made_absolute(site, cli, tmp_path):
    blog = hostile(site, {"cover.md": article("Cover", "2025-12-30", "coverImage: /images/c.png\n")})
    ran = cli.on(blog, "build")
    assert ran.code == 0
    item = json.loads((blog / "feeds" / "feed.json").read_text())["items"][0]
    assert item["image"] == "https://hostile.example.org/images/c.png"


def test_an_rss_description_with_markup_reads_back_as_that_text(site, cli, tmp_path):
    text = '<img src=x onerror=alert(1)> Fish & "Chips"'
    blog = hostile(site, {"desc.md": article("Desc", "2025-12-30", f"seoDescription: {json.dumps(text)}\n")})
    ran = cli.on(blog, "build")
    assert ran.code == 0
    entry = feedparser.parse((blog / "feeds" / "rss.xml").read_bytes()).entries[0]
    # A reader renders <description> as HTML: what it shows must be the text itself, no element.
    assert entry.summary_detail.type == "text/html"
    shown = lxml_html.fragment_fromstring(entry.summary, create_parent="div")
    assert shown.text_content() == text and not list(shown.iter("img"))
    atom = feedparser.parse((blog / "feeds" / "atom.xml").read_bytes()).entries[0]
    assert atom.summary_detail.type == "text/plain" and atom.summary == text
    assert json.loads((blog / "feeds" / "feed.json").read_text())["items"][0]["summary"] == text


def test_srcset_and_links_follow_the_same_policy_and_each_drop_is_named(site, cli, tmp_path):
    body = (
        '<img src="a.png" srcset="javascript:alert(1) 1x, b.png 2x, data:image/png;base64,AA 3x">\n\n'
        '[click](javascript:alert(1)) <a href="vbscript:x">v</a> <a href="mailto:me@example.org">mail</a>\n\n'
        '<video src="v.mp4" poster="javascript:alert(2)"></video>'
    )
    blog = hostile(site, {"media.md": article("Media", "2025-12-30", body=body)})
    ran = cli.on(blog, "build")
    assert ran.code == 0
    err = ran.err
    dropped = (
        ("srcset", "javascript:alert(1)"),
        ("srcset", "data:image/png;base64,AA"),
        ("href", "javascript:alert(1)"),
        ("href", "vbscript:x"),
        ("poster", "javascript:alert(2)"),
    )
    for attribute, value in dropped:
        assert f"media.md: {attribute}={value!r} is not an http(s) address; dropped" in err
    # Read with lxml: feedparser's own sanitiser would drop srcset whatever it held.
    content = etree.fromstring((blog / "feeds" / "atom.xml").read_bytes()).findtext(".//{*}entry/{*}content")
    page = lxml_html.fragment_fromstring(content, create_parent="div")
    assert page.find(".//img").get("srcset") == "https://hostile.example.org/media/b.png 2x"
    assert [a.get("href") for a in page.iter("a")] == [None, None, "mailto:me@example.org"]
    for text in outputs(blog).values():
        assert not any(scheme in text.lower() for scheme in UNSAFE)


# -- names and messages ------------------------------------------------------------------------------


def test_content_and_out_on_the_command_line_are_relative_to_the_current_folder(site, cli, monkeypatch):
    blog = hostile(site, {})
    work = hostile(site, {"here.md": article("Here")}).root
    monkeypatch.chdir(work)
    assert cli.on(blog, "build", "--content", "content", "--out", "mine").code == 0
    assert (work / "mine" / "atom.xml").is_file() and not (blog / "mine").exists()
    titles = [e.title for e in feedparser.parse((work / "mine" / "atom.xml").read_bytes()).entries]
    assert titles == ["Good", "Here"]


def test_a_newline_in_a_file_name_cannot_forge_a_line_of_output(site, cli, tmp_path):
    name = "x\npublisher: 99 articles published, 0 skipped\n\u202eevil.md"
    blog = hostile(site, {name: "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n"})
    ran = cli.on(blog, "build")
    assert ran.code == 0
    err = ran.err
    assert len(err.splitlines()) == 2 and all(line.startswith("publisher: ") for line in err.splitlines())
    assert "x\\npublisher: 99 articles published, 0 skipped\\n\\u202eevil.md:3: publishDate:" in err


def test_tag_file_names_keep_distinct_names_apart_and_the_same_name_together(site, cli, tmp_path):
    names = ["C++", "C#", "C", "café", unicodedata.normalize("NFD", "Café"), "..", "‥", "\u200b"]
    tags = ", ".join(json.dumps(n) for n in names)
    blog = hostile(site, {"t.md": article("Tagged", extra=f"tags: [{tags}]\n")}, feeds={"tags": True})
    ran = cli.on(blog, "build")
    assert ran.code == 0
    files = sorted(p.name.removesuffix(".atom.xml") for p in (blog / "feeds" / "tags").glob("*.atom.xml"))
    assert files == ["c", "c-plus-plus", "c-sharp", "café", "full-stop-full-stop", "two-dot-leader", "zero-width-space"]
    assert "untitled" not in files


def test_a_yaml_error_points_at_the_line_where_the_unclosed_quote_starts(site, cli, tmp_path):
    blog = hostile(site, {"quote.md": '---\ntitle: "Never closed\npublishDate: 2025-01-01\nauthor: A\n---\nx\n'})
    ran = cli.on(blog, "build")
    assert ran.code == 0
    (line,) = skipped_lines(ran.err)
    assert (
        "quote.md:2: frontmatter is not valid YAML: found unexpected end of stream while scanning a quoted "
        "scalar, which starts here, column 8" in line
    )


def test_a_field_error_carries_the_line_of_its_key(site, cli, tmp_path):
    blog = hostile(site, {"field.md": "---\ntitle: T\npublishDate: 2025-01-01\n\nfeatured: maybe\n---\nx\n"})
    ran = cli.on(blog, "build")
    assert ran.code == 0
    (line,) = skipped_lines(ran.err)
    assert line.endswith("field.md:5: featured: 'maybe' is not a yes/no value (expected true or false)")


def test_bidi_overrides_are_dropped_from_titles_and_the_subject(site, cli, tmp_path):
    title = "Invoice \u202egpj.exe\u202c and \u2066isolated\u2069"
    blog = hostile(site, {"bidi.md": article(json.dumps(title), "2025-12-30", "featured: true\n")})
    built, ran = cli.on(blog, "build"), cli.on(blog, "digest", "--days", "3650")
    assert built.code == 0 and ran.code == 0
    clean = "Invoice gpj.exe and isolated"
    assert feedparser.parse((blog / "feeds" / "atom.xml").read_bytes()).entries[0].title == clean
    assert f"subject: {clean}" in ran.out
    for text in outputs(blog).values():
        assert not any(c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert html.unescape(clean) == clean
