"""The sectioned Config: one section per table of publisher.toml, each setting defined once (its type,
default, key and description in the section's fields), and the flat Config of earlier releases kept
working for one release with a DeprecationWarning."""

from __future__ import annotations

import dataclasses
import shutil
import warnings
from pathlib import Path

import pytest

import publisher
from publisher.cli import main
from publisher.config import Config, Digest, Feeds, Fields, Html, Markdown, Site, Smtp, config_from_mapping
from publisher.config.sections import about
from publisher.config.settings import SECTIONS
from publisher.email.smtp import SmtpSettings
from publisher.engine.fingerprint import settings_key
from tests.conftest import NOW, ROOT, article

OURS = r".*goes in the next release"  # what every deprecation of publisher's own says


def caught_here(caught: pytest.WarningsRecorder) -> bool:
    """The warnings name this file: the line to change, not one inside publisher or dataclasses."""
    return all(warning.filename == __file__ for warning in caught)


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
    config = publisher.config_from_mapping(
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


def test_each_section_checks_its_own_values_with_the_messages_of_the_flat_config():
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


def test_flat_keywords_build_the_same_config_with_one_warning_naming_the_new_spelling():
    with pytest.warns(DeprecationWarning) as caught:
        config = Config(
            title="T",
            url="https://example.org",
            feed_limit=3,
            tag_feeds=True,
            digest_limit=5,
            digest_from="News <news@example.org>",
            smtp_host="smtp.example.org",
        )
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "Config(site=Site(title=..., url=...), feeds=Feeds(limit=..., tags=...)" in message
    assert "digest=Digest(limit=..., from_=...)" in message and "smtp=Smtp(host=...)" in message
    assert caught_here(caught)  # it points at the caller's line
    assert config == sectioned()


def test_flat_keywords_win_over_the_sections_given_with_them():
    with pytest.warns(DeprecationWarning, match="feeds=Feeds"):
        config = Config(site=Site(title="T", url="https://example.org/"), feeds=Feeds(limit=3, tags=True), feed_limit=7)
    assert config.feeds.limit == 7 and config.feeds.tags is True


def test_flat_attribute_reads_return_the_section_value_with_a_warning():
    config = sectioned()
    with pytest.warns(DeprecationWarning, match=r"Config.feed_limit .* use config.feeds.limit"):
        assert config.feed_limit == 3
    with pytest.warns(DeprecationWarning, match=r"use config.digest.from_"):
        assert config.digest_from == "News <news@example.org>"
    with pytest.warns(DeprecationWarning, match=r"use config.site.title"):
        assert config.title == "T"
    with pytest.raises(AttributeError, match="no attribute 'feed_limits'"):
        config.feed_limits  # noqa: B018 - a name that never was a setting is no setting


def test_replace_with_a_flat_keyword_still_works():
    config = sectioned()
    with pytest.warns(DeprecationWarning, match=r"Config\(feed_limit=...\) is deprecated") as caught:
        changed = dataclasses.replace(config, feed_limit=9)
    assert caught_here(caught)
    assert changed.feeds.limit == 9 and changed.feeds.tags is True and changed.digest == config.digest


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


def test_load_config_still_takes_the_flat_names_with_a_warning(tmp_path):
    (tmp_path / "publisher.toml").write_text('title = "T"\nurl = "https://example.org/"\n')
    with pytest.warns(DeprecationWarning) as caught:
        config = publisher.load_config(tmp_path / "publisher.toml", output_dir="out", feed_limit=3)
    assert len(caught) == 1 and caught_here(caught)
    assert "load_config(output_dir=..., feed_limit=...) is deprecated" in str(caught[0].message)
    assert "load_config(path, output=..., feeds={'limit': ...})" in str(caught[0].message)
    assert config.site.output == "out" and config.feeds.limit == 3  # a path as given: relative to the current folder


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
    with pytest.warns(DeprecationWarning, match=r"SmtpSettings\(user=...\)"):
        assert SmtpSettings("smtp.example.org", username="me") == SmtpSettings("smtp.example.org", user="me")


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


def test_the_bundled_site_builds_and_sends_without_a_deprecated_setting(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "publisher.toml", tmp_path / "publisher.toml")
    monkeypatch.chdir(tmp_path)
    now = NOW.isoformat()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=OURS, category=DeprecationWarning)
        config = publisher.load_config(Path("publisher.toml"), output=str(tmp_path / "library"))
        publisher.build(config, now=NOW)
        publisher.write_digest(config, publisher.DigestRequest(days=30), now=NOW)
        for command in (
            ["build"],
            ["digest", "--days", "30"],
            ["links"],
            ["send", "--dry-run", "--days", "30", "--to", "a@example.org", "--smtp-host", "127.0.0.1"],
        ):
            assert main([*command, "--now", now]) == 0, command
    assert (tmp_path / "library" / "digest.html").is_file() and (tmp_path / "feeds" / "digest.eml").is_file()


def test_a_format_naming_a_flat_setting_still_finds_its_feeds_attribute():
    from publisher.feeds import Format

    def render(output, config, parts):
        return b""

    with pytest.warns(DeprecationWarning, match="config.feeds attribute"):
        fmt = Format(name="x", label="X", media_type="text/plain", render=render, settings={"all": "atom_file"})
    assert fmt.settings == {"all": "atom"} and fmt.filename(sectioned(), "all") == "atom.xml"


def test_templates_see_the_site_section_and_the_whole_config():
    config = Config(
        site=Site(title="News", url="https://example.org/"),
        feeds=Feeds(limit=4),
        digest=Digest(subject="{{ site.title }} at {{ site.url }}, {{ config.feeds.limit }} a feed"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        digest = publisher.render_digest([article("one", published=NOW)], config, now=NOW, days=7)
    assert digest.subject == "News at https://example.org/, 4 a feed"


def test_a_setting_added_since_the_flat_config_has_no_flat_spelling(monkeypatch):
    """Only the earlier release's names are deprecated spellings: a new setting is never offered as one
    (nor listed under "Earlier names" on the configuration page)."""
    from publisher.config import settings

    @dataclasses.dataclass(frozen=True)
    class NewFeeds(Feeds):
        generator_name: str = dataclasses.field(default="publisher", metadata=about("A new setting."))

    monkeypatch.setitem(settings.SECTIONS, "feeds", NewFeeds)
    names = settings._flat_names()
    assert set(names) == settings.EARLIER_NAMES
    assert ("feeds", "generator_name") not in names.values()
    assert names["feed_limit"] == ("feeds", "limit")


def test_the_deprecation_of_a_load_config_override_gives_advice_that_works(tmp_path):
    path = tmp_path / "publisher.toml"
    path.write_text('title = "T"\nurl = "https://e.org/"\n', encoding="utf-8")
    with pytest.warns(publisher.PublisherDeprecationWarning, match=r"digest=\{'from': \.\.\.\}") as caught:
        old = publisher.load_config(path, digest_from="News <news@e.org>")
    assert len(caught) == 1
    new = publisher.load_config(path, digest={"from": "News <news@e.org>"})
    assert new.digest.from_ == old.digest.from_ == "News <news@e.org>"


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
