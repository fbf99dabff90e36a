"""Every way a configuration can be wrong ends in one line naming the file and the key, and exit 2
(issue 12): never a traceback, whatever the file holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import NOW_ARG, Ran

# Written as text: how a file's own bytes and lines are reported is what is tested here.
BASE = 'title = "Site"\nurl = "https://site.example.org/"\ncontent = "content"\noutput = "out"\n'


@pytest.fixture
def one_post(site):
    made = site()
    made.add("post.md", title="Post", date="2026-11-20")  # in the last 30 days
    return made


def written(site, config: bytes | str) -> Path:
    """``site``'s publisher.toml replaced by ``config``, as is."""
    site.config_file.write_bytes(config.encode() if isinstance(config, str) else config)
    return site.config_file


def test_a_config_that_is_not_utf8_names_its_line(one_post, cli):
    config = written(one_post, BASE.encode() + b'description = "caf\xe9"\n')
    ran = cli.on(one_post, "build")
    assert ran.code == 2
    assert ran.err == f"publisher: error: {config}:5: not UTF-8 (byte 0xe9); save it as UTF-8\n"


def test_a_config_that_is_a_folder(tmp_path, cli):
    folder = tmp_path / "conf.toml"
    folder.mkdir()
    ran = cli("build", "--config", folder, "--now", NOW_ARG)
    assert ran == Ran(2, "", f"publisher: error: {folder}: is a folder, not a configuration file\n")


@pytest.mark.parametrize("nested", ["[" * 5000 + "]" * 5000, "{a = " * 2000 + "1" + "}" * 2000])
def test_a_config_nested_too_deeply_to_read_is_a_config_error(one_post, cli, nested):
    config = written(one_post, BASE + f"x = {nested}\n")
    ran = cli.on(one_post, "build")
    assert ran == Ran(
        2,
        "",
        f"publisher: error: {config}: arrays or tables nested too deeply to read (a setting is a few levels deep)\n",
    )


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ('[digest]\nfrom = "News <news@site.example.org>\\r\\nBcc: victim@example.net"', "[digest] from"),
        ('[digest]\nto = "a@example.org\\nCc: b@example.org"', "[digest] to"),
        ('[digest]\nreply_to = "r@example.org\\r\\n"', "[digest] reply_to"),
        ('author_email = "me@example.org\\nX: y"', "author_email"),
    ],
)
def test_a_line_break_in_an_address_is_a_config_error(one_post, cli, setting, key):
    config = written(one_post, BASE + setting + "\n")
    ran = cli.on(one_post, "digest", "--days", "30")
    err = ran.err
    assert ran.code == 2
    assert err.startswith(f"publisher: error: {config}: {key}: ") and "holds a line break" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("{{ 1/0 }}", "[digest] subject: the template failed: ZeroDivisionError: division by zero"),
        ("{{ site.title.nope() }}", "[digest] subject: 'str object' has no attribute 'nope'"),
        ("{{ '%d' % site.title }}", "[digest] subject: the template failed: TypeError"),
    ],
)
def test_a_subject_template_that_raises_is_a_config_error(one_post, cli, subject, message):
    config = written(one_post, BASE + f"[digest]\nsubject = '''{subject}'''\n")
    ran = cli.on(one_post, "digest", "--days", "30")
    err = ran.err
    assert ran.code == 2
    assert err.startswith(f"publisher: error: {config}: {message}") and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("[digest]\nbudget = -1", "[digest] budget: -1 must be 1 or more bytes of HTML"),
        ("max_article_bytes = 0", "max_article_bytes: 0 must be 1 to 67,108,864 bytes"),
        ("max_article_bytes = 100_000_000", "max_article_bytes: 100000000 must be 1 to 67,108,864 bytes"),
        ("max_terms = 0", "max_terms: 0 must be 1 to 10,000"),
        ('icon = "javascript:alert(1)"', "icon: 'javascript:alert(1)' is not an http(s) address"),
        (
            '[digest]\nunsubscribe_url = "javascript:alert(1)"',
            "[digest] unsubscribe_url: 'javascript:alert(1)' is not an http(s) address",
        ),
    ],
)
def test_a_value_out_of_bounds_is_a_config_error_naming_its_key(one_post, cli, setting, message):
    config = written(one_post, BASE + setting + "\n")
    ran = cli.on(one_post, "build")
    assert ran.code == 2
    assert ran.err.startswith(f"publisher: error: {config}: {message}")


@pytest.mark.parametrize(
    "setting, key",
    [
        ('[feeds]\natom = "../../victim.txt"\n', "[feeds] atom"),
        ('[feeds]\nrss = "/tmp/victim.txt"\n', "[feeds] rss"),
        ('[feeds]\ntags = true\ntag_pattern = "../../{slug}.{format}.xml"\n', "[feeds] tag_pattern"),
        ('[feeds]\narchive_pattern = "/tmp/arch-{year}.xml"\n', "[feeds] archive_pattern"),
        ('[feeds]\nindex = "..\\\\index.html"\n', "[feeds] index"),
    ],
)
def test_a_feed_file_outside_the_output_folder_is_a_config_error_and_nothing_is_written(one_post, cli, setting, key):
    folder = one_post.config_file.parent
    victim = folder.parent / "victim.txt"
    victim.write_text("precious\n")
    config = written(one_post, BASE + setting)
    ran = cli.on(one_post, "build")
    assert ran.code == 2 and ran.out == ""
    assert ran.err.startswith(f"publisher: error: {config}: {key}: ") and "outside the output folder" in ran.err
    assert victim.read_text() == "precious\n" and not (folder / "out").exists()


@pytest.mark.parametrize(
    "setting, message",
    [
        (
            '[feeds]\natom = "tags"\ntags = true\n',
            "[feeds] atom: 'tags' is also the folder of [feeds] tag_pattern ('tags/{slug}.{format}.xml')",
        ),
        (
            '[feeds]\nrss = "archive"\n',
            "[feeds] rss: 'archive' is also the folder of [feeds] archive_pattern ('archive/{year}.atom.xml')",
        ),
        (
            '[feeds]\ncategories = true\ncategory_json_pattern = "feed.json/{slug}.json"\n',
            "[feeds] json: 'feed.json' is also the folder of [feeds] category_json_pattern ('feed.json/{slug}.json')",
        ),
        (
            '[feeds]\nindex = "newsletter"\n',
            "[feeds] index: 'newsletter' is also the folder of the newsletter's web archive ('newsletter/')",
        ),
        (
            '[feeds]\natom = "x/atom.xml"\nrss = "x"\n',
            "[feeds] rss: 'x' is also the folder of [feeds] atom ('x/atom.xml')",
        ),
    ],
)
def test_a_feed_file_named_as_another_outputs_folder_is_a_config_error(one_post, cli, setting, message):
    config = written(one_post, BASE + setting)
    ran = cli.on(one_post, "build")
    assert ran.code == 2 and ran.out == ""
    assert ran.err == f"publisher: error: {config}: {message}; a file and a folder cannot share a name\n"
    assert not (one_post.config_file.parent / "out").exists()


def test_a_feed_named_as_the_folder_of_outputs_that_are_off_is_allowed(one_post, cli):
    # Tags are off, and so is the newsletter's web archive: no folder of that name is ever made.
    written(one_post, BASE + '[feeds]\natom = "tags"\nrss = "newsletter"\n[digest]\narchive = false\n')
    ran = cli.on(one_post, "build")
    assert ran.code == 0, ran.err
    assert (one_post.config_file.parent / "out" / "tags").is_file()


@pytest.mark.parametrize(
    "setting, message",
    [
        ('permalink = "/{slug:>99999999999}/"', "permalink: '/{slug:>99999999999}/': {slug:>99999999999} is not"),
        ('[feeds]\nentry_id = "{url!r}"', "[feeds] entry_id: '{url!r}': {url!r} is not a placeholder"),
        ('[feeds]\narchive_pattern = "a/{year:>999999999999}.xml"', "[feeds] archive_pattern: 'a/{year:>999999999999}"),
        ('permalink = "/{slug.__class__}/"', "{slug.__class__} is not a placeholder"),
        ('[digest]\nsubject = " "', "[digest] subject: must not be empty"),
        ("[feeds]\nhub = 5", "feeds.hub: 5 is not valid (expected a list)"),
        ("[html]\nallow = 5", "html.allow: 5 is not valid (expected a list)"),
        ("exclude = 5", "exclude: 5 is not valid (expected a list)"),
        ("body_filters = 5", "body_filters: 5 is not valid (expected a list)"),
        ("[smtp]\nport = true", "smtp.port: True is not valid (expected a whole number)"),
        ("[smtp]\nport = 99999999", "[smtp] port: 99999999 is not a port number"),
        ("[smtp]\nssl = true\nstarttls = true", "[smtp] starttls and ssl cannot both be on"),
    ],
)
def test_a_setting_of_the_wrong_kind_is_a_config_error_before_anything_runs(one_post, cli, setting, message):
    """Each of these once ended in "this is a bug in publisher", a MemoryError or a hang, or passed the
    loader and failed only at send."""
    config = written(one_post, BASE + setting + "\n")
    ran = cli.on(one_post, "build")
    assert ran.code == 2 and ran.out == "", ran
    assert ran.err.startswith(f"publisher: error: {config}: ") and message in ran.err, ran.err


def test_a_subject_that_renders_empty_is_a_config_error_and_nothing_is_written(one_post, cli):
    config = written(one_post, BASE + "[digest]\nsubject = \"{{ '' }}\"\n")
    ran = cli.on(one_post, "digest", "--days", "30")
    assert ran.code == 2, ran
    assert f"{config}: [digest] subject: \"{{{{ '' }}}}\" renders as an empty subject" in ran.err
    assert not (config.parent / "out" / "digest.eml").exists()


@pytest.mark.parametrize(
    "subject, message",
    [
        ("{% for i in range(10**9) %}x{% endfor %}", "Range too big"),
        ("{{ 'x' * 10**10 }}", "a repeated text or list of over 100,000 items"),
        ("{{ 9 ** 999999999 }}", "is too large for a template"),
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ],
)
def test_a_subject_cannot_hang_fill_memory_or_reach_into_python(one_post, cli, subject, message):
    config = written(one_post, BASE + f'[digest]\nsubject = "{subject}"\n')
    ran = cli.on(one_post, "digest", "--days", "30", "--dry-run")
    assert ran.code == 2 and f"{config}: [digest] subject: " in ran.err and message in ran.err, ran
