"""Folders as real generators lay them out: frontmatter formats, dated file names, page bundles,
files that are not articles, generators' date forms, several authors, and the presets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import feedparser
import pytest

import publisher
from publisher import ContentError
from tests.conftest import make_config, write_article


def load(folder, config, **kwargs):
    errors: list[ContentError] = []
    articles = publisher.load_articles(folder, config, errors=errors, **kwargs)
    return {a.slug: a for a in articles}, errors


def preset(name, **settings):
    return make_config(title="T", preset=name, **settings)


# -- frontmatter formats ---------------------------------------------------------------------------


def test_toml_frontmatter_between_plus_lines(config):
    article = publisher.content.parse_article(
        '+++\ntitle = "Hugo in TOML"\ndate = 2024-04-09T10:00:00Z\ntags = ["a", "b"]\ndraft = false\n+++\n'
        "The *body*.\n",
        config,
    )
    assert (article.title, article.tags, article.draft) == ("Hugo in TOML", ("a", "b"), False)
    assert article.published == datetime(2024, 4, 9, 10, tzinfo=UTC)
    assert article.body == "The *body*.\n"


def test_toml_error_names_the_files_own_line(tmp_path, config):
    path = write_article(tmp_path, "bad.md", '+++\ntitle = "T"\ndate = 2024-04-09\ntags = [a\n+++\nBody\n')
    with pytest.raises(ContentError) as caught:
        publisher.content.load_article(path, config)
    assert caught.value.line == 4 and "frontmatter is not valid TOML" in caught.value.message


def test_json_frontmatter_with_a_nested_object(config):
    text = (
        '{\n  "title": "Hugo in JSON",\n  "date": "2024-04-09",\n  "params": {\n    "x": 1\n}\n}\n'
        "Body after the object.\n"
    )
    article = publisher.content.parse_article(text, config)
    assert article.title == "Hugo in JSON" and article.extra["params"] == {"x": 1}
    assert article.body == "Body after the object.\n"


def test_json_error_names_line_and_column(tmp_path, config):
    path = write_article(tmp_path, "bad.md", '{\n  "title": "T",\n  "date": 2024-04-09\n}\nBody\n')
    with pytest.raises(ContentError) as caught:
        publisher.content.load_article(path, config)
    assert caught.value.line == 3 and "frontmatter is not valid JSON" in caught.value.message


def test_a_loaded_toml_article_reads_its_body_back(tmp_path, config):
    path = write_article(tmp_path, "post.md", '+++\ntitle = "T"\ndate = 2024-04-09\n+++\nBody text.\n')
    assert publisher.content.load_article(path, config).body == "Body text.\n"


def test_pelican_metadata_lines():
    config = preset("pelican")
    article = publisher.content.parse_article(
        "Title: My super title\nDate: 2010-12-03 10:20\nModified: 2010-12-05 19:30\nTags: thats, awesome\n"
        "Authors: Alexis Métaireau, Conan Doyle\nSummary: Short version\n    on two lines\n\nThe body.\n",
        config,
    )
    assert article.slug == "my-super-title"  # Pelican makes the slug from the title
    assert article.tags == ("thats", "awesome")
    assert article.authors == ("Alexis Métaireau", "Conan Doyle")
    assert article.description == "Short version on two lines"
    assert article.updated == datetime(2010, 12, 5, 19, 30, tzinfo=UTC)
    assert article.body == "The body.\n"
    draft = publisher.content.parse_article("Title: T\nDate: 2010-12-03\nStatus: draft\n\nBody\n", config)
    assert draft.draft


def test_header_lines_are_not_frontmatter_without_the_pelican_preset(config):
    with pytest.raises(ContentError, match="no frontmatter"):
        publisher.content.parse_article("Title: T\nDate: 2010-12-03\n\nBody\n", config)


# -- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-4-9", datetime(2024, 4, 9, tzinfo=UTC)),
        ("'2024-04-09 10:00'", datetime(2024, 4, 9, 10, tzinfo=UTC)),
        ("2024-04-09T00:00:00.000Z", datetime(2024, 4, 9, tzinfo=UTC)),
        (
            "2025-01-29 18:15:32 +0530",
            datetime(2025, 1, 29, 18, 15, 32, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
        ("2024-4-9T7:05:00-04:00", datetime(2024, 4, 9, 7, 5, tzinfo=timezone(timedelta(hours=-4)))),
    ],
)
def test_dates_as_generators_write_them(config, value, expected):
    article = publisher.content.parse_article(f"---\ntitle: T\ndate: {value}\n---\n", config)
    assert article.published == expected


@pytest.mark.parametrize("value", ["2024-13-09", "2024-4-31", "April 9, 2024", "2024-04-09 25:00", "09/04/2024"])
def test_other_dates_are_still_refused(config, value):
    with pytest.raises(ContentError, match="is not a date"):
        publisher.content.parse_article(f"---\ntitle: T\ndate: '{value}'\n---\n", config)


# -- file names and bundles ------------------------------------------------------------------------


def test_a_jekyll_file_name_gives_date_and_slug(tmp_path, config):
    write_article(tmp_path, "2025-03-04-jekyll-post.md", "---\ntitle: Jekyll post\n---\nBody\n")
    write_article(tmp_path, "2025-03-05-dated.md", "---\ntitle: Dated\ndate: 2025-03-06 09:00\n---\nBody\n")
    articles, errors = load(tmp_path, config)
    assert errors == []
    assert articles["jekyll-post"].published == datetime(2025, 3, 4, tzinfo=UTC)
    assert articles["dated"].published == datetime(2025, 3, 6, 9, tzinfo=UTC)  # the frontmatter's wins


def test_hugo_keeps_the_whole_file_name(tmp_path):
    write_article(tmp_path, "2025-03-04-post.md", "---\ntitle: Post\ndate: 2025-03-04\n---\nBody\n")
    articles, _ = load(tmp_path, preset("hugo"))
    assert list(articles) == ["2025-03-04-post"]


def test_page_bundles_take_their_folders_name_and_resolve_their_images(tmp_path, config):
    for name in ("first-post", "second-post"):
        write_article(
            tmp_path,
            f"{name}/index.md",
            f"---\ntitle: {name}\ndate: 2025-01-01\n---\n![A picture](./pic.png) and [notes](notes/).\n",
        )
        (tmp_path / name / "pic.png").write_bytes(b"\x89PNG")
    articles, errors = load(tmp_path, config)
    assert errors == [] and sorted(articles) == ["first-post", "second-post"]
    html = publisher.render_feeds(list(articles.values()), config)["feed.json"].decode()
    for name in ("first-post", "second-post"):
        assert f'src=\\"https://example.org/{name}/pic.png\\"' in html
        assert f'href=\\"https://example.org/{name}/notes/\\"' in html


# -- what is an article ----------------------------------------------------------------------------


def test_default_excludes(tmp_path, config):
    good = "---\ntitle: T\ndate: 2025-01-01\n---\nBody\n"
    for name in ("README.md", "Readme.markdown", "_index.md", "_drafts/later.md", "posts/_partial.md", "ok.md"):
        write_article(tmp_path, name, good.replace("T", name))
    articles, errors = load(tmp_path, config)
    assert list(articles) == ["ok"] and errors == []


def test_configured_excludes_replace_the_defaults(tmp_path):
    good = "---\ntitle: T\ndate: 2025-01-01\n---\nBody\n"
    for name in ("README.md", "drafts/a.md", "posts/drafts/b.md", "posts/c.md", "old/2019/d.md"):
        write_article(tmp_path, name, good)
    config = make_config(title="T", exclude=["drafts", "old/*"])
    articles, _ = load(tmp_path, config)
    assert sorted(articles) == ["README", "c"]


def test_files_that_are_not_articles_are_counted_not_warned(tmp_path, config, caplog):
    write_article(tmp_path, "moved.md", "---\nredirect_to: https://example.org/elsewhere/\n---\n")
    write_article(tmp_path, "aliases.md", "---\naliases: [/old/]\nlayout: page\n---\n")
    write_article(tmp_path, "section.md", "---\nlayout: list\nweight: 3\n---\nA list page.\n")
    write_article(tmp_path, "real.md", "---\ntitle: Real\ndate: 2025-01-01\n---\nBody\n")
    caplog.set_level(logging.WARNING, logger="publisher")
    articles, errors = load(tmp_path, config, strict=True)  # not even fatal under strict
    assert list(articles) == ["real"]
    assert sorted((e.path.rsplit("/", 1)[-1], e.reason) for e in errors) == [
        ("aliases.md", "not an article"),
        ("moved.md", "not an article"),
        ("section.md", "not an article"),
    ]
    assert caplog.records == []


def test_a_title_without_a_date_is_still_an_error(tmp_path, config):
    write_article(tmp_path, "about.md", "---\ntitle: About\n---\nBody\n")
    _, errors = load(tmp_path, config)
    assert [e.reason for e in errors] == ["no date"]


# -- authors ---------------------------------------------------------------------------------------


def test_a_list_of_authors_stays_a_list(config):
    article = publisher.content.parse_article(
        "---\ntitle: T\ndate: 2024-01-01\nby: [Ethan Lee, Hana Kim, Jonathan Amsterdam]\n---\n", config
    )
    assert article.authors == ("Ethan Lee", "Hana Kim", "Jonathan Amsterdam")
    assert article.author == "Ethan Lee"
    mapped = publisher.content.parse_article(
        "---\ntitle: T\ndate: 2024-01-01\nauthors:\n  - name: A\n    url: https://a.example\n  - B\n---\n", config
    )
    assert mapped.authors == ("A", "B")


def test_author_in_code_is_the_first_of_authors():
    from dataclasses import replace

    one = publisher.Article(slug="s", title="T", published=datetime(2025, 1, 1, tzinfo=UTC), author="A")
    assert one.authors == ("A",) and one.author == "A"
    many = replace(one, authors=("B", "C"))
    assert many.author == "B" and many.authors == ("B", "C")


def test_an_author_that_is_not_a_name_is_an_error(config):
    with pytest.raises(ContentError, match="expected a name or a list of names") as caught:
        publisher.content.parse_article("---\ntitle: T\ndate: 2024-01-01\nauthor: [[a]]\n---\n", config)
    assert caught.value.field == "author"


# -- presets ---------------------------------------------------------------------------------------


def test_an_unknown_preset_is_a_config_error():
    with pytest.raises(publisher.ConfigError, match="preset: 'gatsby' is not a known preset"):
        preset("gatsby")


def test_fields_in_the_config_win_over_the_preset():
    config = preset("jekyll", fields={"published": ["posted"]})
    assert config.fields["published"] == ("posted",) and config.fields["draft"] == ("draft", "!published")


def test_hugo_preset():
    config = preset("hugo")
    article = publisher.content.parse_article(
        "---\ntitle: T\ndate: 2024-01-01\npublishDate: 2023-01-01\nlastmod: 2024-02-01\n"
        "images: [cover one.png, other.png]\ncategories: [news, go]\n---\n",
        config,
    )
    assert article.published == datetime(2024, 1, 1, tzinfo=UTC)  # Hugo's date comes first
    assert article.updated == datetime(2024, 2, 1, tzinfo=UTC)
    assert article.cover_image == "cover%20one.png"
    assert (article.category, article.tags) == ("news", ("go",))


def test_jekyll_preset():
    config = preset("jekyll")
    article = publisher.content.parse_article(
        "---\ntitle: T\ndate: 2025-01-29 18:15:32 +0530\ntags: ruby jekyll release\ncategories: news\n"
        "image:\n  path: /img/og.png\n  height: 100\nguid: http://old.example/?p=12\n---\n",
        config,
    )
    assert article.tags == ("ruby", "jekyll", "release")
    assert article.cover_image == "/img/og.png"
    assert article.id == "http://old.example/?p=12"
    hidden = publisher.content.parse_article("---\ntitle: T\ndate: 2025-01-01\npublished: false\n---\n", config)
    assert hidden.draft


def test_eleventy_preset():
    config = preset("eleventy")
    article = publisher.content.parse_article(
        "---\ntitle: T\ndate: 2024-01-01\neleventyExcludeFromCollections: true\n---\n", config
    )
    assert article.draft


def test_astro_preset():
    config = preset("astro")
    article = publisher.content.parse_article(
        "---\ntitle: T\ndescription: D\npubDatetime: 2024-04-09T00:00:00.000Z\nmodDatetime: 2024-05-01T00:00:00Z\n"
        "ogImage: /og.png\ndraft: false\n---\n",
        config,
    )
    assert article.published == datetime(2024, 4, 9, tzinfo=UTC)
    assert article.updated == datetime(2024, 5, 1, tzinfo=UTC)
    assert (article.description, article.cover_image) == ("D", "/og.png")


def test_preset_in_publisher_toml():
    config = make_config(title="T", preset="hugo", exclude=["drafts"])
    assert config.site.preset == "hugo" and config.site.exclude == ("drafts",)
    assert config.fields["published"][0] == "date"


# -- entry ids -------------------------------------------------------------------------------------


def test_a_frontmatter_id_that_is_a_uri_is_the_entry_id(config):
    article = publisher.content.parse_article(
        "---\ntitle: T\ndate: 2024-01-01\nid: tag:example.org,2020:post-1\n---\n", config
    )
    assert article.id == "tag:example.org,2020:post-1"


def test_a_page_bundles_cover_sits_beside_it(tmp_path):
    write_article(tmp_path, "first-post/index.md", "---\ntitle: A\ndate: 2025-01-01\nimages: [cover one.png]\n---\nx\n")
    write_article(tmp_path, "plain.md", "---\ntitle: B\ndate: 2025-01-02\nimage: images/b.png\n---\nx\n")
    config = preset("hugo")
    feed = feedparser.parse(publisher.render_feeds(publisher.load_articles(tmp_path, config), config)["rss.xml"])
    assert [e.enclosures[0].href for e in feed.entries] == [
        "https://example.org/images/b.png",
        "https://example.org/first-post/cover%20one.png",
    ]
