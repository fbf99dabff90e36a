"""The sectioned Config: one section per table of publisher.toml, each setting defined once (its type,
default, key and description in the section's fields). 0.1 is the first release: there are no
earlier spellings to accept."""

from __future__ import annotations

import dataclasses
import shutil
import warnings
from pathlib import Path

import pytest

import publisher
from publisher.cli import main
from publisher.config import Config, Digest, Feeds, Fields, Html, Markdown, Site, Smtp, config_from_mapping
from publisher.config.settings import SECTIONS
from publisher.email.smtp import SmtpSettings
from publisher.engine.fingerprint import settings_key
from tests.conftest import NOW, ROOT, article


def sectioned() -> Config:
    return Config(
        site=Site(title="T", url="https://example.org"),
        feeds=Feeds(limit=3, tags=True),
        digest=Digest(from_="News <news@example.org>", limit=5),
        smtp=Smtp(host="smtp.example.org"),
    )


def test_a_config_is_built_from_sections_that_mirror_the_tables():
    config = sectioned()
    assert config.site.url == "https://example.org/"  # checked and normalised by its section
    assert (config.feeds.limit, config.feeds.tags, config.feeds.atom) == (3, True, "atom.xml")
    assert config.digest.from_ == "News <news@example.org>" and config.digest.limit == 5
    assert config.html == Html() and config.markdown == Markdown() and config.smtp.host == "smtp.example.org"
    assert config.fields["published"][0] == "publishDate"
    assert [f.name for f in dataclasses.fields(Config)] == [*SECTIONS, "fields", "config_file"]


def test_a_mapping_shaped_as_the_file_gives_the_same_config():
    config = publisher.config.config_from_mapping(
        {
            "title": "T",
            "url": "https://example.org",
            "feeds": {"limit": 3, "tags": True},
            "digest": {"from": "News <news@example.org>", "limit": 5},
            "smtp": {"host": "smtp.example.org"},
        }
    )
    assert config == sectioned()


def test_the_fields_section_names_every_article_field_and_is_a_mapping():
    config = Config(
        site=Site(title="T", url="https://example.org/", preset="jekyll"), fields=Fields(published=("posted",))
    )
    assert config.fields.published == ("posted",) == config.fields["published"]  # given: wins
    assert config.fields.draft == ("draft", "!published")  # unset: the preset's names
    assert config.fields.title == ("title",)  # and the defaults for the rest
    assert list(config.fields) == [f.name for f in dataclasses.fields(publisher.Article) if f.name in config.fields]
    assert config == Config(site=config.site, fields={"published": "posted"})  # a mapping gives the same
    with pytest.raises(publisher.ConfigError, match=r"\[fields\] tags: expected a frontmatter name"):
        Fields(tags=("",))


def test_every_setting_names_its_key_and_says_what_it_does():
    assert all(f.metadata["description"].endswith(".") for f in dataclasses.fields(Fields))
    for name, kind in SECTIONS.items():
        for field in dataclasses.fields(kind):
            assert field.metadata["description"].endswith("."), (name, field.name)
            key = field.metadata["key"] or field.name
            assert key == field.name or (key, field.name) == ("from", "from_"), "attributes are the keys"


def test_each_section_checks_its_own_values_naming_the_setting():
    with pytest.raises(publisher.ConfigError, match=r"\[feeds\] limit: 0 must be 1 or more"):
        Feeds(limit=0)
    with pytest.raises(publisher.ConfigError, match="url: 'example.org' is not an absolute http"):
        Site(title="T", url="example.org")
    with pytest.raises(publisher.ConfigError, match=r"\[digest\] from: .* holds 2 mailboxes"):
        Digest(from_="a@example.org, b@example.org")
    with pytest.raises(publisher.ConfigError, match=r"\[smtp\] host: .* holds a line break"):
        Smtp(host="smtp.example.org\r\nRCPT TO:<x@example.org>")
    with pytest.raises(publisher.ConfigError, match=r"\[digest\] unsubscribe_url: 'javascript:x' is not an http"):
        Config(site=Site(title="T", url="https://example.org/"), digest=Digest(unsubscribe_url="javascript:x"))


def test_the_sectioned_spellings_emit_no_warning(tmp_path):
    (tmp_path / "publisher.toml").write_text('title = "T"\nurl = "https://example.org/"\n[feeds]\nlimit = 4\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = sectioned()
        changed = dataclasses.replace(config, feeds=dataclasses.replace(config.feeds, limit=9))
        assert changed.feeds.limit == 9 and changed.feeds_base == "https://example.org/feeds/"
        assert (
            config.tz.key == "UTC"
            and config.cover_shape == (1200, 630)
            and config.archive_file(7) == "archive/0007.atom.xml"
        )
        loaded = publisher.load_config(tmp_path / "publisher.toml", output="public", feeds={"tags": True})
        assert (loaded.site.output, loaded.feeds.limit, loaded.feeds.tags) == ("public", 4, True)
        assert loaded.site.content == str(tmp_path / "content")  # the file's folders sit beside it
        SmtpSettings.of(config.smtp, password="pw", timeout=5)


def test_no_spelling_of_a_release_that_never_was_is_taken(tmp_path):
    """0.1 is the first release: the flat names (Config(title=...), feed_limit, output_dir) are unknown."""
    with pytest.raises(TypeError, match="unexpected keyword argument 'title'"):
        Config(title="T", url="https://example.org/")  # type: ignore[call-arg]
    with pytest.raises(AttributeError, match="no attribute 'feed_limit'"):
        sectioned().feed_limit  # type: ignore[attr-defined]  # noqa: B018
    (tmp_path / "publisher.toml").write_text('title = "T"\nurl = "https://example.org/"\n')
    with pytest.raises(publisher.ConfigError, match="output_dir: unknown setting"):
        publisher.load_config(tmp_path / "publisher.toml", output_dir="out")
    with pytest.raises(TypeError, match="username"):
        SmtpSettings("smtp.example.org", username="me")  # type: ignore[call-arg]
    assert not hasattr(publisher, "PublisherDeprecationWarning")


def test_an_unknown_override_is_named():
    with pytest.raises(publisher.ConfigError, match=r"\[feeds\] limits: unknown setting"):
        config_from_mapping({"title": "T", "url": "https://example.org/"}, feeds={"limits": 3})
    with pytest.raises(publisher.ConfigError, match=r"outptu: unknown setting"):
        config_from_mapping({"title": "T", "url": "https://example.org/"}, outptu="public")


def test_smtp_settings_are_the_smtp_section_plus_what_a_run_adds():
    assert issubclass(SmtpSettings, Smtp)
    added = {f.name for f in dataclasses.fields(SmtpSettings)} - {f.name for f in dataclasses.fields(Smtp)}
    assert added == {"password", "timeout", "cafile", "plain_auth"}
    server = Smtp(host="smtp.example.org", ssl=True, user="me")
    settings = SmtpSettings.of(server, password="pw", timeout=5)
    assert (settings.host, settings.port, settings.ssl, settings.user, settings.password) == (
        "smtp.example.org",
        465,
        True,
        "me",
        "pw",
    )


def test_the_settings_key_covers_every_section_but_not_the_folders():
    config = sectioned()
    key = settings_key(config)
    for section, changes in (
        ("site", {"title": "U"}),
        ("feeds", {"limit": 4}),
        ("html", {"allow": ("video",)}),
        ("markdown", {"engine": "python-markdown"}),
        ("digest", {"subject": "S"}),
        ("smtp", {"host": "other.example.org"}),
    ):
        other = dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **changes)})
        assert settings_key(other) != key, section
    for folder in ("content", "output", "state_dir"):
        other = dataclasses.replace(config, site=dataclasses.replace(config.site, **{folder: "elsewhere"}))
        assert settings_key(other) == key, folder


def test_the_bundled_site_builds_and_sends_without_a_deprecation_warning(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "publisher.toml", tmp_path / "publisher.toml")
    monkeypatch.chdir(tmp_path)
    now = NOW.isoformat()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=DeprecationWarning, module="publisher")
        config = publisher.load_config(Path("publisher.toml"), output=str(tmp_path / "library"))
        publisher.build(config, now=NOW)
        publisher.newsletter.write_digest(config, publisher.newsletter.DigestRequest(days=30), now=NOW)
        for command in (
            ["build"],
            ["digest", "--days", "30"],
            ["links"],
            ["send", "--dry-run", "--days", "30", "--to", "a@example.org", "--smtp-host", "127.0.0.1"],
        ):
            assert main([*command, "--now", now]) == 0, command
    assert (tmp_path / "library" / "digest.html").is_file() and (tmp_path / "feeds" / "digest.eml").is_file()


def test_templates_see_the_site_section_and_the_whole_config():
    config = Config(
        site=Site(title="News", url="https://example.org/"),
        feeds=Feeds(limit=4),
        digest=Digest(subject="{{ site.title }} at {{ site.url }}, {{ config.feeds.limit }} a feed"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        digest = publisher.newsletter.render_digest([article("one", published=NOW)], config, now=NOW, days=7)
    assert digest.subject == "News at https://example.org/, 4 a feed"


def test_replacing_the_preset_reads_the_fields_as_that_preset_does():
    """config.fields holds the resolved names; dataclasses.replace with another preset must resolve them
    again from what was given (Jekyll's '!published' is a draft flag; without it drafts go out)."""
    plain = Config(site=Site(title="T", url="https://e.org/"))
    jekyll = dataclasses.replace(plain, site=dataclasses.replace(plain.site, preset="jekyll"))
    assert jekyll.fields == Config(site=Site(title="T", url="https://e.org/", preset="jekyll")).fields
    assert "!published" in jekyll.fields.draft
    back = dataclasses.replace(jekyll, site=dataclasses.replace(jekyll.site, preset=None))
    assert back == plain and back.fields.draft == ("draft",)
    own = Config(site=Site(title="T", url="https://e.org/", preset="jekyll"), fields={"draft": ["hidden"]})
    assert dataclasses.replace(own, site=dataclasses.replace(own.site, preset=None)).fields.draft == ("hidden",)
