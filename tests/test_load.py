from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import publisher
from publisher import ContentError
from tests.conftest import make_config, write_article


def load_one(tmp_path, text, config, name="post.md"):
    path = write_article(tmp_path, name, text)
    return publisher.content.load_article(path, config)


def error_of(tmp_path, text, config, name="post.md") -> ContentError:
    with pytest.raises(ContentError) as info:
        load_one(tmp_path, text, config, name)
    return info.value


def test_reference_article_loads_with_every_field(seed, config):
    a = publisher.content.load_article(seed, config)
    assert a.slug == "sora2-app-guide"
    assert a.title == "OpenAI’s Sora 2 App Guide - Features, Invite Codes, and How to Get Started"
    assert a.author == "AI Photo Prompt Lab Team"
    assert a.published == datetime(2025, 10, 1, tzinfo=UTC)
    assert a.tags == ("sora-2", "openai", "sora-app", "guide")
    assert a.category == "insights"
    assert a.featured is True
    assert a.seo_title == "OpenAI’s Sora 2 App Guide – Features, Invite Codes, Getting Started"
    assert a.description.startswith("Learn what’s new in Sora 2")
    assert a.cover_image == "https://img.aiphotoprompt.net/2025/10/70a3f8b02f7d468bf61d8d3335014049.png"
    assert a.source == "https://mp.weixin.qq.com/s/Q5QVWjN5NvNUcPWtdBYqMw"
    assert a.draft is False
    assert a.extra == {}


def test_mojibake_in_the_body_is_repaired_and_typographic_quotes_kept(seed, config):
    a = publisher.content.load_article(seed, config)
    assert "â€" not in a.body and "ðŸ" not in a.body
    assert "social landscape—Sora" in a.body
    assert "download link 🔗" in a.body


def test_utf8_byte_order_mark_keeps_the_frontmatter(tmp_path, config):
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf---\ntitle: With BOM\npublishDate: 2025-01-02\n---\nBody\n")
    a = publisher.content.load_article(path, config)
    assert a.title == "With BOM"
    assert a.body == "Body\n"


def test_crlf_line_endings(tmp_path, config):
    path = tmp_path / "crlf.md"
    path.write_bytes(b"---\r\ntitle: Windows\r\npublishDate: 2025-01-02\r\ntags:\r\n  - a\r\n---\r\nLine one\r\n")
    a = publisher.content.load_article(path, config)
    assert a.title == "Windows" and a.tags == ("a",)
    assert a.body == "Line one\n"


def test_slug_defaults_to_the_file_name(tmp_path, config):
    a = load_one(tmp_path, "---\ntitle: T\npublishDate: 2025-01-02\n---\n", config, name="my-post.md")
    assert a.slug == "my-post"


def test_unknown_fields_are_kept_in_extra(tmp_path, config):
    a = load_one(tmp_path, "---\ntitle: T\npublishDate: 2025-01-02\nlayout: blog-post\nrating: 5\n---\n", config)
    assert a.extra == {"layout": "blog-post", "rating": 5}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-10-01", datetime(2025, 10, 1, tzinfo=UTC)),
        ("'2025-10-01'", datetime(2025, 10, 1, tzinfo=UTC)),
        ("'2017-02-22T14:41:04.442Z'", datetime(2017, 2, 22, 14, 41, 4, 442000, tzinfo=UTC)),
        ("2017-02-22T14:41:04Z", datetime(2017, 2, 22, 14, 41, 4, tzinfo=UTC)),
        ("'2025-03-17T10:00:00-04:00'", datetime(2025, 3, 17, 14, 0, tzinfo=UTC)),
        ("2026-05-02 08:00:00", datetime(2026, 5, 2, 8, 0, tzinfo=UTC)),
        # The YAML 1.1 timestamp examples: one-digit hours, a fraction, offsets of hours only, a space.
        ("2001-12-14 21:59:43.10 -5", datetime(2001, 12, 15, 2, 59, 43, 100000, tzinfo=UTC)),
        ("2001-12-14t21:59:43.10-05:00", datetime(2001, 12, 15, 2, 59, 43, 100000, tzinfo=UTC)),
        ("2001-12-14 2:59:43.10", datetime(2001, 12, 14, 2, 59, 43, 100000, tzinfo=UTC)),
        ("2001-12-15 2:59:43.10 +5:30", datetime(2001, 12, 14, 21, 29, 43, 100000, tzinfo=UTC)),
        # A leap second is the last second of its minute (Python has no 60th second).
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("'2016-12-31 23:59:60.5 +00:00'", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_publish_date_forms(tmp_path, config, value, expected):
    a = load_one(tmp_path, f"---\ntitle: T\npublishDate: {value}\n---\n", config)
    assert a.published == expected
    assert a.published.tzinfo is not None


def test_naive_dates_are_in_the_sites_time_zone(tmp_path):
    config = make_config(title="T", timezone="Europe/Berlin")
    a = load_one(tmp_path, "---\ntitle: T\npublishDate: 2025-07-01 09:00\n---\n", config)
    assert a.published == datetime(2025, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert a.published.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    "value",
    ["2025-13-45", "'next Tuesday'", "'1st of October 2025'", "[2025]", "2025-01-01 10:00 +25", "2025-01-01T23:59:61Z"],
)
def test_impossible_or_worded_dates_are_reported_by_field(tmp_path, config, value):
    err = error_of(tmp_path, f"---\ntitle: T\npublishDate: {value}\n---\n", config)
    assert err.field == "publishDate"
    assert "is not a date (expected YYYY-MM-DD or ISO 8601)" in str(err)
    assert str(err).startswith(str(tmp_path / "post.md"))


def test_missing_title_and_missing_date_name_every_alias_tried(tmp_path, config):
    err = error_of(tmp_path, "---\npublishDate: 2025-01-01\n---\n", config)
    assert err.message.startswith("no title: looked for title") and err.reason == "no title"
    err = error_of(tmp_path, "---\ntitle: T\n---\n", config)
    assert err.message.startswith("no date: looked for publishDate, pubDate, date, published, publish_date, pubdate")
    hugo = make_config(title="T", preset="hugo")
    assert error_of(tmp_path, "---\ntitle: T\n---\n", hugo).message.startswith(
        "no date: looked for date, publishDate, pubDate (expected YYYY-MM-DD or ISO 8601)"
    )


def test_no_frontmatter_is_an_error_not_an_empty_article(tmp_path, config):
    err = error_of(tmp_path, "# Just Markdown\n\nNo frontmatter here.\n", config)
    assert "no frontmatter" in str(err)
    assert err.line == 1


def test_frontmatter_that_is_not_a_mapping(tmp_path, config):
    assert "is a list, expected a mapping" in str(error_of(tmp_path, "---\n- a\n- b\n---\nBody\n", config))
    assert "expected a mapping" in str(error_of(tmp_path, "---\njust a string\n---\nBody\n", config))


def test_empty_file(tmp_path, config):
    assert "empty file" in str(error_of(tmp_path, "", config))


def test_yaml_syntax_error_names_the_files_own_line_and_column(tmp_path, config):
    text = "---\ntitle: Fine\npublishDate: 2025-01-01\ntags: [a, b\nauthor: x\n---\nBody\n"
    err = error_of(tmp_path, text, config)
    assert "not valid YAML" in err.message
    # The unclosed flow sequence opens on line 4 of the file; libyaml notices on line 5.
    assert err.line in (4, 5, 6)
    assert "column" in err.message
    assert str(err).startswith(f"{tmp_path / 'post.md'}:{err.line}:")


def test_yaml_error_line_counts_from_the_top_of_the_file(tmp_path, config):
    text = "---\ntitle: a\nbad: : :\n---\n"
    err = error_of(tmp_path, text, config)
    assert err.line == 3


def test_python_object_tags_are_refused(tmp_path, config):
    marker = tmp_path / "pwned"
    text = f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\npublishDate: 2025-01-01\n---\n"
    err = error_of(tmp_path, text, config)
    assert "not valid YAML" in str(err)
    assert not marker.exists()


def test_not_utf8_names_the_byte_offset(tmp_path, config):
    path = tmp_path / "latin1.md"
    path.write_bytes("---\ntitle: Café\npublishDate: 2025-01-01\n---\n".encode("latin-1"))
    with pytest.raises(ContentError) as info:
        publisher.content.load_article(path, config)
    assert str(info.value) == (
        f"{path}:2: not UTF-8 (byte 0xe9 at offset 14); save it as UTF-8, "
        'or set fallback_encoding (e.g. "cp1252") in the config'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ('"yes"', True), ('"true"', True), ("1", True), ("false", False), ('"no"', False), ("0", False)],
)
def test_featured_accepts_the_usual_spellings(tmp_path, config, value, expected):
    a = load_one(tmp_path, f"---\ntitle: T\npublishDate: 2025-01-01\nfeatured: {value}\n---\n", config)
    assert a.featured is expected


def test_unclear_featured_value_is_an_error(tmp_path, config):
    err = error_of(tmp_path, "---\ntitle: T\npublishDate: 2025-01-01\nfeatured: maybe\n---\n", config)
    assert err.field == "featured"


def test_loose_types_become_text_and_lists(tmp_path, config):
    a = load_one(tmp_path, "---\ntitle: 2025\npublishDate: 2025-01-01\ntags: news\n---\n", config)
    assert a.title == "2025"
    assert a.tags == ("news",)


def test_title_with_line_breaks_becomes_one_line(tmp_path, config):
    a = load_one(tmp_path, '---\ntitle: "Two\\r\\nlines"\npublishDate: 2025-01-01\n---\n', config)
    assert a.title == "Two lines"


def test_common_aliases_work_out_of_the_box(tmp_path, config):
    text = """\
    ---
    title: Astro style
    pubDate: 2025-02-03
    updated: 2025-03-04
    description: From the description field
    heroImage: /images/hero.jpg
    ---
    Body
    """
    a = load_one(tmp_path, text, config)
    assert a.published.date() == date(2025, 2, 3)
    assert a.updated.date() == date(2025, 3, 4)
    assert a.description == "From the description field"
    assert a.cover_image == "/images/hero.jpg"


def test_field_mapping_is_configurable(tmp_path):
    config = make_config(title="T", fields={"published": ["when"]})
    a = load_one(tmp_path, "---\ntitle: T\nwhen: 2024-04-04\ndate: 1999-01-01\n---\n", config)
    assert a.published.date() == date(2024, 4, 4)
    assert a.extra == {"date": "1999-01-01"}


def test_load_articles_reports_and_skips_bad_files(tmp_path, config):
    write_article(tmp_path, "good.md", "---\ntitle: Good\npublishDate: 2025-01-01\n---\nok\n")
    write_article(tmp_path, "sub/also-good.markdown", "---\ntitle: Also\npublishDate: 2025-01-02\n---\nok\n")
    write_article(tmp_path, "bad.md", "---\ntitle: Bad\n---\n")
    write_article(tmp_path, "notes.txt", "not an article")
    errors: list[ContentError] = []
    articles = publisher.load_articles(tmp_path, config, errors=errors)
    assert sorted(a.slug for a in articles) == ["also-good", "good"]
    assert len(errors) == 1 and errors[0].path == str(tmp_path / "bad.md") and errors[0].reason == "no date"


def test_strict_makes_a_bad_file_fatal(tmp_path, config):
    write_article(tmp_path, "bad.md", "---\ntitle: Bad\n---\n")
    with pytest.raises(ContentError):
        publisher.load_articles(tmp_path, config, strict=True)


def old_and_new(folder, config, old: tuple[str, str], new: tuple[str, str]):
    """Load ``folder`` after writing an older and a newer article there, as (file name, frontmatter lines)
    pairs: the articles kept and the errors."""
    for (name, lines), day in ((old, "2025-01-01"), (new, "2025-06-01")):
        write_article(folder, name, f"---\n{lines}publishDate: {day}\n---\n")
    errors: list[ContentError] = []
    return publisher.load_articles(folder, config, errors=errors), errors


def test_duplicate_slugs_keep_the_newer_article_and_name_both_files(tmp_path, config):
    articles, errors = old_and_new(
        tmp_path, config, ("a/post.md", "title: Old\nslug: same\n"), ("b/post.md", "title: New\nslug: same\n")
    )
    assert [a.title for a in articles] == ["New"]
    assert str(tmp_path / "a/post.md") in str(errors[0]) and str(tmp_path / "b/post.md") in str(errors[0])


def test_slugs_in_nfc_and_nfd_are_one_slug_and_one_address(tmp_path, config):
    # macOS writes file names in NFD; the same name typed elsewhere is NFC: one address to a reader.
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    articles, errors = old_and_new(
        tmp_path, config, (f"{nfd}.md", "title: Old\n"), ("b.md", f"title: New\nslug: {nfc}\n")
    )
    assert [(a.title, a.slug) for a in articles] == [("New", nfc)]
    assert [e.reason for e in errors] == ["duplicate slug"] and errors[0].path == str(tmp_path / f"{nfd}.md")


def test_slugs_that_differ_only_in_case_are_named_as_one_address(tmp_path, config):
    # /Post/ and /post/ are one address on case-insensitive hosts (macOS, Windows, many CDNs).
    articles, errors = old_and_new(tmp_path, config, ("Post.md", "title: Old\n"), ("post.md", "title: New\n"))
    assert [a.title for a in articles] == ["New"]
    (error,) = errors
    assert error.path == str(tmp_path / "Post.md") and error.reason == "duplicate permalink"
    assert str(error).endswith(
        "permalink: https://example.org/Post/ differs only in letter case from https://example.org/post/, the "
        f"address of {tmp_path / 'post.md'} (one address on case-insensitive hosts); the newer article wins"
    )


def test_symlinks_outside_the_content_folder_are_not_followed(tmp_path, config):
    outside = write_article(tmp_path / "outside", "secret.md", "---\ntitle: Secret\npublishDate: 2025-01-01\n---\n")
    content = tmp_path / "content"
    write_article(content, "ok.md", "---\ntitle: Ok\npublishDate: 2025-01-01\n---\n")
    (content / "link.md").symlink_to(outside)
    (content / "loop").symlink_to(content, target_is_directory=True)
    errors: list[ContentError] = []
    articles = publisher.load_articles(content, config, errors=errors)
    assert [a.slug for a in articles] == ["ok"]
    assert any("outside the content folder" in str(e) for e in errors)


def test_bundled_content_loads_without_errors(config):
    from tests.conftest import ROOT

    errors: list[ContentError] = []
    articles = publisher.load_articles(ROOT / "content", publisher.load_config(ROOT / "publisher.toml"), errors=errors)
    assert errors == []
    assert len(articles) >= 11


def test_copy_of_seed_in_content_is_identical_to_the_reference(seed):
    from tests.conftest import ROOT

    assert (ROOT / "content" / "sora2-app-guide.md").read_bytes() == seed.read_bytes()


def test_article_requires_an_aware_datetime():
    with pytest.raises(TypeError):
        publisher.Article(slug="x", title="X", published=datetime(2025, 1, 1))


def test_load_articles_on_a_missing_folder(tmp_path, config):
    with pytest.raises(ContentError, match="no such content folder"):
        publisher.load_articles(tmp_path / "nope", config)


def test_copying_an_article_keeps_its_meaning(tmp_path, seed, config):
    shutil.copy(seed, tmp_path / "copy.md")
    (a,) = publisher.load_articles(tmp_path, config)
    assert a.slug == "sora2-app-guide"


def test_frontmatter_boundary_is_python_frontmatters():
    from frontmatter.default_handlers import YAMLHandler

    from publisher.content.frontmatter import BOUNDARY

    assert BOUNDARY.pattern == YAMLHandler.FM_BOUNDARY.pattern and BOUNDARY.flags == YAMLHandler.FM_BOUNDARY.flags


def test_a_loaded_body_is_read_when_first_used_and_equals_the_parsed_one(tmp_path, config):
    text = "---\ntitle: Lazy\npublishDate: 2025-10-01\n---\r\nOpenAIâ€™s body\r\n"
    path = tmp_path / "lazy.md"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    loaded = publisher.content.load_article(path, config)
    assert "_body" in vars(loaded) and not isinstance(vars(loaded)["_body"], str)
    assert loaded.body == publisher.content.parse_article(text, config, path=path).body == "OpenAI’s body\n"
    assert loaded == publisher.content.parse_article(text, config, path=path)


def test_terms_past_max_terms_are_dropped_with_one_warning(tmp_path, caplog):
    # Each tag gives feeds that carry the entry with all its tags: the output of one article grows with
    # the square of its tag count, so the count is bounded ([site] max_terms).
    config = make_config(max_terms=3)
    text = "---\ntitle: T\npublishDate: 2025-10-01\ntags: [a, b, c, d, e]\ncategories: [news, f]\n---\nBody.\n"
    with caplog.at_level("WARNING", logger="publisher"):
        loaded = load_one(tmp_path, text, config)
    assert loaded.tags == ("a", "b", "c") and loaded.category == "news"
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path / 'post.md'}: tags, categories: 6 terms, more than max_terms (3): 3 dropped ('d', 'e', 'f')"
    ]


def test_ten_thousand_plain_tags_are_read_and_capped(tmp_path, caplog):
    tags = ", ".join(f"tag{i}" for i in range(10_000))
    text = f"---\ntitle: T\npublishDate: 2025-10-01\ntags: [{tags}]\n---\nBody.\n"
    with caplog.at_level("WARNING", logger="publisher"):
        loaded = load_one(tmp_path, text, make_config())
    assert len(loaded.tags) == 100 and loaded.tags[-1] == "tag99"
    (message,) = [r.getMessage() for r in caplog.records]
    assert "tags: 10,000 terms, more than max_terms (100): 9,900 dropped ('tag100', 'tag101', 'tag102', ...)" in message
