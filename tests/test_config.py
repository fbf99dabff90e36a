from __future__ import annotations

import re
from pathlib import Path

import pytest

import publisher
from publisher import ConfigError
from tests.conftest import ROOT


def write(tmp_path, text) -> Path:
    path = tmp_path / "publisher.toml"
    path.write_text(text)
    return path


def test_the_bundled_example_config_loads():
    config = publisher.load_config(ROOT / "publisher.toml")
    assert config.site.title == "AI Photo Prompt Lab"
    assert config.site.url == "https://aiphotoprompt.example.org/"
    assert config.content_folder == ROOT / "content"
    assert Path(config.site.static) == ROOT / "content" / "static"


def test_only_title_and_url_are_needed(tmp_path):
    config = publisher.load_config(write(tmp_path, 'title = "T"\nurl = "https://e.org"\n'))
    assert config.site.url == "https://e.org/"
    assert config.feeds.limit == 50 and config.feeds.atom == "atom.xml" and config.site.timezone == "UTC"
    assert config.feeds_base == "https://e.org/feeds/"
    # The file's folders sit beside it.
    assert (config.content_folder, config.output_folder, config.state_folder) == (
        tmp_path / "content",
        tmp_path / "feeds",
        tmp_path / ".publisher",
    )


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    config = publisher.load_config(write(tmp_path, 'title = "T"\nurl = "https://e.org/"\ncontent = "posts"\n'))
    assert config.site.content == str(tmp_path / "posts")


def test_overrides_win_over_the_file(tmp_path):
    config = publisher.load_config(
        write(tmp_path, 'title = "T"\nurl = "https://e.org/"\noutput = "a"\n'), output="/srv/feeds"
    )
    assert config.site.output == "/srv/feeds"


def test_feeds_and_fields_tables(tmp_path):
    config = publisher.load_config(
        write(
            tmp_path,
            (
                'title = "T"\nurl = "https://e.org/"\n[feeds]\nlimit = 10\ntags = true\natom = "index.atom"\n'
                '[fields]\npublished = "date"\ncover_image = ["hero", "image"]\n'
            ),
        )
    )
    assert config.feeds.limit == 10 and config.feeds.tags is True and config.feeds.atom == "index.atom"
    assert config.fields["published"] == ("date",)
    assert config.fields["cover_image"] == ("hero", "image")
    assert config.fields["title"] == ("title",)  # unnamed fields keep their defaults


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('url = "https://e.org/"\n', "title: missing"),
        ('title = "T"\nurl = "e.org"\n', "not an absolute http(s) address"),
        ('title = "T"\nurl = "https://e.org/"\ntimezone = "Mars/Olympus"\n', "not a known time zone"),
        (
            'title = "T"\nurl = "https://e.org/"\n[feeds]\nlimit = "ten"\n',
            "feeds.limit: 'ten' is not valid (expected a whole number)",
        ),
        ('title = "T"\nurl = "https://e.org/"\n[feeds]\nlimt = 3\n', "[feeds] limt: unknown setting"),
        ('title = "T"\nurl = "https://e.org/"\n[fields]\npubdate = "x"\n', "[fields] pubdate: unknown article field"),
        ('title = "T"\nurl = [', "not valid TOML"),
    ],
)
def test_bad_settings_are_named(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        publisher.load_config(write(tmp_path, text))
    assert message in str(info.value)
    assert (
        str(tmp_path / "publisher.toml") in str(info.value) or "timezone" in str(info.value) or "url" in str(info.value)
    )


def test_config_built_in_code_needs_only_title_and_url_and_names_a_folder_it_lacks():
    config = publisher.Config(site=publisher.config.Site(title="My site", url="https://example.org/"))
    assert config.site.permalink == "/{slug}/" and config.site.language == "en"
    with pytest.raises(ConfigError, match=r"output: no folder set; rendering needs none.*Site\(output=\.\.\.\)"):
        config.output_folder  # noqa: B018
    with pytest.raises(ConfigError, match=r"content: no folder set"):
        publisher.build(config)


@pytest.mark.parametrize(
    ("feeds", "message"),
    [
        ('json = "atom.xml"', "[feeds] json: 'atom.xml' is also [feeds] atom; every feed needs a file of its own"),
        ('index = "feed.json"', "[feeds] index: 'feed.json' is also [feeds] json"),
        ('tag_pattern = "tags/{slug}.xml"', "[feeds] tag_pattern: 'tags/{slug}.xml' must contain {slug} and {format}"),
        ('category_json_pattern = "categories.json"', "category_json_pattern: 'categories.json' must contain {slug}"),
        ('tag_json_pattern = "tags/{tag}.json"', "[feeds] tag_json_pattern: 'tags/{tag}.json' must contain {slug}"),
    ],
)
def test_feed_file_names_that_would_collide_are_errors(tmp_path, feeds, message):
    path = tmp_path / "publisher.toml"
    path.write_text(f'title = "T"\nurl = "https://example.org/"\n[feeds]\n{feeds}\n')
    with pytest.raises(publisher.ConfigError, match=re.escape(message)):
        publisher.load_config(path)


@pytest.mark.parametrize(
    "make",
    [
        lambda: publisher.config.Site(title="T", url=None),
        lambda: publisher.config.Site(title="T", url="https://e.org/", timezone=5),
        lambda: publisher.config.Site(title="T", url="https://e.org/", max_article_bytes="5"),
        lambda: publisher.config.Feeds(limit="3"),
        lambda: publisher.config.Feeds(hub=None),
        lambda: publisher.config.Feeds(archive_pattern=5),
        lambda: publisher.config.Digest(limit=None),
        lambda: publisher.config.Digest(cover_size=5),
        lambda: publisher.config.Html(allow=None),
        lambda: publisher.config.Smtp(port=True),
        lambda: publisher.config.Fields(slug=5),
    ],
)
def test_a_section_given_a_value_of_the_wrong_type_raises_config_error(make):
    with pytest.raises(ConfigError, match="is not valid"):
        make()


def test_an_empty_title_is_a_config_error():
    with pytest.raises(ConfigError, match="title: must not be empty"):
        publisher.config.Site(title=" ", url="https://e.org/")


def test_a_list_setting_may_be_any_iterable_and_is_read_once():
    assert publisher.config.Html(allow=(tag for tag in ["details", "summary"])).allow == ("details", "summary")
    assert publisher.config.Feeds(hub=iter(["https://hub.example/"])).hub == ("https://hub.example/",)


def test_a_name_outside_the_output_folder_is_refused_when_written_too(tmp_path):
    from publisher.output import write_inside

    with pytest.raises(publisher.errors.OutputError, match="outside the output folder"):
        write_inside(tmp_path / "out", "../victim.txt", b"x")
    assert not (tmp_path / "victim.txt").exists()


@pytest.mark.parametrize(
    "url",
    ["https://", "https:///", "https://e.org/?q=1", "https://e.org/#top", "https://e.org:99999/", "https://u:p@e.org/"],
)
def test_a_site_address_every_link_can_be_made_from(url):
    """Article and feed addresses are the site's url plus a path: it needs a host, and nothing after the path."""
    with pytest.raises(ConfigError, match="is not the site's address"):
        publisher.config.Site(title="T", url=url)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: publisher.Config(site={"title": "T"}), "Config site=: expected publisher.config.Site"),
        (
            lambda: publisher.Config(site=publisher.config.Site(title="T", url="https://e.org/"), feeds={"limit": 3}),
            "Config feeds=: expected publisher.config.Feeds",
        ),
        (
            lambda: publisher.config.config_from_mapping(
                {"title": "T", "url": "https://e.org/", "fallback_encoding": "rot13"}
            ),
            "fallback_encoding: 'rot13' is not a known encoding",
        ),
        (
            lambda: publisher.config.config_from_mapping(
                {
                    "title": "T",
                    "url": "https://e.org/",
                    "markdown": {"engine": "python-markdown", "extensions": ["nope"]},
                }
            ),
            r"\[markdown\] extensions: \['nope'\] could not be loaded",
        ),
    ],
)
def test_what_would_fail_later_is_a_config_error_now(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_a_control_character_in_the_title_is_a_config_error():
    with pytest.raises(ConfigError, match=r"title: 'a\\x07b' holds a control character \(U\+0007\)"):
        publisher.config.Site(title="a\x07b", url="https://e.org/")


def test_a_config_saved_with_a_byte_order_mark_is_read(tmp_path):
    """Windows editors save UTF-8 with a BOM, which TOML itself does not allow."""
    path = tmp_path / "publisher.toml"
    path.write_bytes(b'\xef\xbb\xbftitle = "T"\nurl = "https://e.org/"\n')
    assert publisher.load_config(path).site.title == "T"
