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

from publisher.cli import main
from tests.cli.test_hostile_runs import article, make_site, run, skipped_lines

UNSAFE = ("javascript:", "vbscript:", "data:", "file:")


def outputs(site) -> dict[str, str]:
    return {str(p.relative_to(site / "feeds")): p.read_text(encoding="utf-8")
            for p in sorted((site / "feeds").rglob("*")) if p.is_file() and not p.name.startswith(".")}


@pytest.mark.parametrize("cover", ["javascript:alert(1)", "vbscript:msgbox(1)", "data:image/png;base64,AAAA",
                                   "file:///etc/passwd", " JaVaScRiPt:alert(1)"])
def test_a_cover_that_is_not_http_reaches_no_output_and_is_named(tmp_path, capsys, cover):
    site = make_site(tmp_path, {"cover.md": article("Cover", "2025-12-30", f"coverImage: {json.dumps(cover)}\n")},
                     "[feeds]\ntags = true")
    assert run(site) == 0 and run(site, "digest") == 0
    err = capsys.readouterr().err
    assert f"cover.md: coverImage: {cover.strip()!r} is not an http(s) address; dropped" in err
    for name, text in outputs(site).items():
        assert not any(scheme in text.lower() for scheme in UNSAFE), name
    entry = feedparser.parse((site / "feeds" / "rss.xml").read_bytes()).entries[0]
    assert entry.title == "Cover" and not entry.get("enclosures") and not entry.get("media_content")


def test_a_relative_cover_is_made_absolute(tmp_path):
    site = make_site(tmp_path, {"cover.md": article("Cover", "2025-12-30", "coverImage: /images/c.png\n")})
    assert run(site) == 0
    item = json.loads((site / "feeds" / "feed.json").read_text())["items"][0]
    assert item["image"] == "https://hostile.example.org/images/c.png"


def test_an_rss_description_with_markup_reads_back_as_that_text(tmp_path):
    text = '<img src=x onerror=alert(1)> Fish & "Chips"'
    site = make_site(tmp_path, {"desc.md": article("Desc", "2025-12-30", f"seoDescription: {json.dumps(text)}\n")})
    assert run(site) == 0
    entry = feedparser.parse((site / "feeds" / "rss.xml").read_bytes()).entries[0]
    # A reader renders <description> as HTML: what it shows must be the text itself, no element.
    assert entry.summary_detail.type == "text/html"
    shown = lxml_html.fragment_fromstring(entry.summary, create_parent="div")
    assert shown.text_content() == text and not list(shown.iter("img"))
    atom = feedparser.parse((site / "feeds" / "atom.xml").read_bytes()).entries[0]
    assert atom.summary_detail.type == "text/plain" and atom.summary == text
    assert json.loads((site / "feeds" / "feed.json").read_text())["items"][0]["summary"] == text


def test_srcset_and_links_follow_the_same_policy_and_each_drop_is_named(tmp_path, capsys):
    body = ('<img src="a.png" srcset="javascript:alert(1) 1x, b.png 2x, data:image/png;base64,AA 3x">\n\n'
            '[click](javascript:alert(1)) <a href="vbscript:x">v</a> <a href="mailto:me@example.org">mail</a>\n\n'
            '<video src="v.mp4" poster="javascript:alert(2)"></video>')
    site = make_site(tmp_path, {"media.md": article("Media", "2025-12-30", body=body)})
    assert run(site) == 0
    err = capsys.readouterr().err
    dropped = (("srcset", "javascript:alert(1)"), ("srcset", "data:image/png;base64,AA"),
               ("href", "javascript:alert(1)"), ("href", "vbscript:x"), ("poster", "javascript:alert(2)"))
    for attribute, value in dropped:
        assert f"media.md: {attribute}={value!r} is not an http(s) address; dropped" in err
    # Read with lxml: feedparser's own sanitiser would drop srcset whatever it held.
    content = etree.fromstring((site / "feeds" / "atom.xml").read_bytes()).findtext(".//{*}entry/{*}content")
    page = lxml_html.fragment_fromstring(content, create_parent="div")
    assert page.find(".//img").get("srcset") == "https://hostile.example.org/media/b.png 2x"
    assert [a.get("href") for a in page.iter("a")] == [None, None, "mailto:me@example.org"]
    for text in outputs(site).values():
        assert not any(scheme in text.lower() for scheme in UNSAFE)


# -- names and messages ------------------------------------------------------------------------------

def test_content_and_out_on_the_command_line_are_relative_to_the_current_folder(tmp_path, monkeypatch):
    site = make_site(tmp_path / "site", {})
    work = tmp_path / "work"
    make_site(work, {"here.md": article("Here")})
    monkeypatch.chdir(work)
    assert main(["build", "--config", str(site / "publisher.toml"), "--now", "2026-01-01",
                 "--content", "content", "--out", "mine"]) == 0
    assert (work / "mine" / "atom.xml").is_file() and not (site / "mine").exists()
    titles = [e.title for e in feedparser.parse((work / "mine" / "atom.xml").read_bytes()).entries]
    assert titles == ["Good", "Here"]


def test_a_newline_in_a_file_name_cannot_forge_a_line_of_output(tmp_path, capsys):
    name = "x\npublisher: 99 articles published, 0 skipped\n\u202eevil.md"
    site = make_site(tmp_path, {name: "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n"})
    assert run(site) == 0
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 2 and all(line.startswith("publisher: ") for line in err.splitlines())
    assert "x\\npublisher: 99 articles published, 0 skipped\\n\\u202eevil.md:3: publishDate:" in err


def test_tag_file_names_keep_distinct_names_apart_and_the_same_name_together(tmp_path):
    names = ["C++", "C#", "C", "café", unicodedata.normalize("NFD", "Café"), "..", "‥", "\u200b"]
    tags = ", ".join(json.dumps(n) for n in names)
    site = make_site(tmp_path, {"t.md": article("Tagged", extra=f"tags: [{tags}]\n")}, "[feeds]\ntags = true")
    assert run(site) == 0
    files = sorted(p.name.removesuffix(".atom.xml") for p in (site / "feeds" / "tags").glob("*.atom.xml"))
    assert files == ["c", "c-plus-plus", "c-sharp", "café", "full-stop-full-stop", "two-dot-leader",
                     "zero-width-space"]
    assert "untitled" not in files


def test_a_yaml_error_points_at_the_line_where_the_unclosed_quote_starts(tmp_path, capsys):
    site = make_site(tmp_path, {"quote.md": '---\ntitle: "Never closed\npublishDate: 2025-01-01\nauthor: A\n---\nx\n'})
    assert run(site) == 0
    line, = skipped_lines(capsys.readouterr().err)
    assert "quote.md:2: frontmatter is not valid YAML: found unexpected end of stream while scanning a quoted " \
           "scalar, which starts here, column 8" in line


def test_a_field_error_carries_the_line_of_its_key(tmp_path, capsys):
    site = make_site(tmp_path, {"field.md": "---\ntitle: T\npublishDate: 2025-01-01\n\nfeatured: maybe\n---\nx\n"})
    assert run(site) == 0
    line, = skipped_lines(capsys.readouterr().err)
    assert line.endswith("field.md:5: featured: 'maybe' is not a yes/no value (expected true or false)")


def test_bidi_overrides_are_dropped_from_titles_and_the_subject(tmp_path, capsys):
    title = "Invoice \u202egpj.exe\u202c and \u2066isolated\u2069"
    site = make_site(tmp_path, {"bidi.md": article(json.dumps(title), "2025-12-30", "featured: true\n")})
    assert run(site) == 0 and run(site, "digest") == 0
    clean = "Invoice gpj.exe and isolated"
    assert feedparser.parse((site / "feeds" / "atom.xml").read_bytes()).entries[0].title == clean
    assert f"subject: {clean}" in capsys.readouterr().out
    for text in outputs(site).values():
        assert not any(c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert html.unescape(clean) == clean
