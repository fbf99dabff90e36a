"""`publisher digest`: the bundled site's message and its e-mail-safe HTML, the window flags, --since-last
and its state, empty windows, --check."""

from __future__ import annotations

import email
import email.policy
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html

from publisher.cli import build_parser
from publisher.cli.digest import preview_renderer
from tests.conftest import NOW_ARG, ROOT, Cli, digest_history
from tests.pages import code_blocks, publisher_args, read
from tests.test_digest import assert_email_safe, body_elements

HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "List-Unsubscribe", "List-Unsubscribe-Post"]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """`publisher digest` on the bundled content/ and publisher.toml, into a temporary output folder."""
    folder = tmp_path_factory.mktemp("bundled")  # a copy: the state folder is made beside the configuration
    shutil.copy(ROOT / "publisher.toml", folder / "publisher.toml")
    shutil.copytree(ROOT / "content", folder / "content")
    out = folder / "out"
    ran = Cli()("digest", "--config", folder / "publisher.toml", "--out", out, "--now", NOW_ARG, "--days", "3650", "-q")
    assert ran.code == 0, ran.err
    return out


def test_the_readmes_newsletter_example_works_as_written_a_year_later_and_passes_its_checks(tmp_path, monkeypatch, cli):
    # The bundled articles end in November 2026: the README's window is written to hold them on any
    # later day, and its covers are JPEG and PNG, which Outlook and every Gmail app show.
    shutil.copy(ROOT / "publisher.toml", tmp_path / "publisher.toml")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    later = ("--now", "2027-11-25T12:00:00Z")
    (line,) = [
        line for block in code_blocks(read("README.md"), "sh") for line in block.splitlines() if " digest " in line
    ]
    digest, preview = (publisher_args(part) for part in line.split("&&"))
    ran = cli(*digest, *later)
    assert (ran.code, ran.err) == (0, ""), ran.err
    assert ran.out.startswith("digest: 7 articles (1 featured)") and (tmp_path / "feeds" / "digest.eml").is_file()
    assert "\ncheck: no problems found, ready to send\n" in ran.out  # the README's --check says it passed
    shown = preview_renderer(build_parser().parse_args([*preview, *later, "--no-open"]))()
    assert len(shown.articles) == 7 and shown.problems == ()
    sent = cli("send", "--check", "--dry-run", "--to", "me@example.org", "--since", "2026-01-01", *later)
    assert (sent.code, sent.err) == (0, ""), sent.err


def test_bundled_digest_message_has_exactly_the_parts_and_headers(bundled):
    raw = (bundled / "digest.eml").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # email.policy.SMTP line ends
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for header in HEADERS:
        assert message[header], f"no {header}"
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert message["Message-ID"].endswith("@aiphotoprompt.example.org>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "AI Photo Prompt Lab <newsletter.aiphotoprompt.example.org>"  # on by default
    assert raw.count(b"MIME-Version:") == 1 and all(p["MIME-Version"] is None for p in parts)  # RFC 2045 section 4
    for part, name in zip(parts, ("digest.txt", "digest.html"), strict=True):
        content = part.get_content().replace("\r\n", "\n").rstrip("\n")
        assert content == (bundled / name).read_text(encoding="utf-8").rstrip("\n")


def test_bundled_digest_html_is_email_safe(bundled):
    html = (bundled / "digest.html").read_text(encoding="utf-8")
    assert_email_safe(html)
    tree, elements = body_elements(html)
    first = elements[1]  # elements[0] is <body>
    assert "preheader" in first.get("class") and "display:none !important" in first.get("style")
    assert "mso-hide:all" in first.get("style")
    styles = [s.text for s in tree.iter("style") if s.getparent().tag == "head"]
    assert len(styles) == 1 and len(styles[0].encode()) < 16 * 1024
    assert "@media" in styles[0] and "prefers-color-scheme: dark" in styles[0]
    assert tree.find(".//meta[@name='color-scheme']").get("content") == "light dark"
    assert '<!--[if mso]><table role="presentation" align="center" width="600"' in html
    assert tree.find(".//table[@class='container']").get("width") == "600"
    # Most mail clients ignore aspect-ratio (caniemail): it was 144 of the digest's flags and did nothing.
    assert "aspect-ratio" not in html
    # A cover links where the title below it does: no alt text saying the title a second time, and the
    # duplicate link hidden from screen readers.
    titles = {a.text_content() for a in tree.xpath("//h2/a | //h3/a")}
    images = list(tree.iter("img"))
    assert images and all(img.get("alt") not in titles for img in images)
    for img in tree.xpath("//img[@class='card-image' or @class='thumb']"):
        assert img.get("alt") == "" and img.getparent().get("aria-hidden") == "true"
        assert img.getparent().get("tabindex") == "-1"


def test_text_part_is_rendered_from_the_data_not_from_the_html(bundled):
    text = (bundled / "digest.txt").read_text(encoding="utf-8")
    html = (bundled / "digest.html").read_text(encoding="utf-8")
    tree = lxml_html.document_fromstring(html)
    titles = [a.text_content() for a in tree.xpath("//h2/a | //h3/a")]
    assert titles and all(title in text for title in titles)
    assert "<" not in text and "Read more: https://aiphotoprompt.example.org/" in text
    assert "Unsubscribe: https://aiphotoprompt.example.org/unsubscribe" in text


# The command line: window flags, --since-last state, empty windows, --check.


@pytest.fixture
def digests(site):
    """A site with an unsubscribe address and no articles yet."""
    return site(
        title="Digest Site",
        url="https://digest.example.org/",
        output="out",
        digest={"unsubscribe_url": "https://digest.example.org/unsubscribe"},
    )


def post(site, slug, when):
    site.add(f"{slug}.md", title=slug, date=f"'{when}'", body="Text.")


def test_since_last_twice_in_a_row_writes_nothing_the_second_time(digests, cli):
    post(digests, "monday", "2026-11-23T09:00:00Z")
    assert cli.on(digests, "digest", "--since-last").code == 0
    out = digests / "out"
    first = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    # The history is in the state folder; the output folder has what is published (and the web archive).
    assert set(first) == {"digest.html", "digest.txt", "digest.eml", "newsletter"}
    assert digest_history(digests / "publisher.toml").until == datetime(2026, 11, 25, 12, tzinfo=UTC)
    ran = cli.on(digests, "digest", "--since-last", now="2026-11-25T13:00:00Z")
    assert ran.code == 0 and "nothing new since the previous digest" in ran.err
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == first
    assert cli.on(digests, "digest", "--since-last", "--fail-if-empty", now="2026-11-25T13:00:00Z").code == 3


def test_an_article_at_the_cut_off_is_in_exactly_one_digest(digests, cli):
    post(digests, "before", "2026-11-20T08:00:00Z")
    post(digests, "at-cutoff", "2026-11-25T12:00:00Z")
    post(digests, "after", "2026-11-26T08:00:00Z")
    assert cli.on(digests, "digest", "--since-last").code == 0
    first = (digests / "out" / "digest.txt").read_text()
    assert digest_history(digests / "publisher.toml").until == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert cli.on(digests, "digest", "--since-last", now="2026-12-01T12:00:00Z").code == 0
    second = (digests / "out" / "digest.txt").read_text()
    assert "at-cutoff" in first and "at-cutoff" not in second
    assert "after" in second and "before" not in second


def test_only_since_last_runs_move_the_cut_off(digests, cli):
    post(digests, "one", "2026-11-24T09:00:00Z")
    assert cli.on(digests, "digest", "--days", "7").code == 0
    assert (digests / "out" / "digest.eml").exists() and digest_history(digests / "publisher.toml") is None
    assert cli.on(digests, "digest", "--since-last").code == 0
    assert "one" in (digests / "out" / "digest.txt").read_text()


def test_dry_run_and_force(digests, cli):
    post(digests, "one", "2026-11-24T09:00:00Z")
    ran = cli.on(digests, "digest", "--since-last", "--dry-run")
    assert ran.code == 0 and "digest: 1 article (0 featured)" in ran.out
    assert digest_history(digests / "publisher.toml") is None and not (digests / "out" / "digest.eml").exists()
    assert cli.on(digests, "digest", "--since-last").code == 0
    assert cli.on(digests, "digest", "--since-last", "--force", now="2026-11-25T13:00:00Z").code == 0
    assert "one" in (digests / "out" / "digest.txt").read_text()


def test_a_bad_article_is_named_by_the_first_digest_only_and_again_once_it_changes(digests, cli):
    # A weekly cron digest mails its warnings: a skipped article is news once, not every week.
    post(digests, "one", "2026-11-24T09:00:00Z")
    broken = digests.add("broken.md", "---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")
    problem = f"{broken}:3: publishDate: '2025-13-45' is not a date"
    runs = [cli.on(digests, "digest", "--since-last", now=f"2026-11-{day}T12:00:00Z") for day in (25, 26, 27)]
    assert [run.code for run in runs] == [0, 0, 0]
    assert [run.err.count(problem) for run in runs] == [1, 0, 0], [run.err for run in runs]
    assert cli.on(digests, "check", now=None).out.count(problem) == 1  # check lists every current one
    broken.write_text("---\ntitle: Broken\npublishDate: 2025-14-45\n---\n")
    assert "'2025-14-45' is not a date" in cli.on(digests, "digest", "--days", "7").err
    broken.write_text("---\ntitle: Broken\npublishDate: 2025-13-45\n---\n")  # back as it was: news again
    assert problem in cli.on(digests, "digest", "--days", "7").err


def test_empty_window_writes_nothing(digests, cli):
    post(digests, "old", "2025-01-01")
    ran = cli.on(digests, "digest", "--days", "7", now="2026-11-25")
    assert ran.code == 0
    # Where a window could start that holds something (a site's first digest, long after its last article).
    assert ran.err == (
        "publisher: nothing new in the window (the newest article is from 2025-01-01; --since 2025-01-01 takes it): "
        "no digest written\n"
    )
    assert not (digests / "out" / "digest.html").exists()


def test_check_fails_the_digest_without_writing(site, cli):
    digests = site(title="No Unsub", url="https://nounsub.example.org/", output="out")  # no unsubscribe address
    post(digests, "one", "2026-11-24T09:00:00Z")
    assert cli.on(digests, "digest", "--check", now="2026-11-25").code == 1
    assert not (digests / "out" / "digest.html").exists()
    assert cli.on(digests, "digest", now="2026-11-25").code == 0  # without --check: written, problems reported


def test_check_flags_a_cover_stretched_more_than_twice_its_width(digests, cli):
    from PIL import Image

    (digests / "content" / "static").mkdir(parents=True)
    Image.new("RGB", (64, 40), "red").save(digests / "content" / "static" / "tiny.png")
    Image.new("RGB", (300, 188), "blue").save(digests / "content" / "static" / "fair.png")
    digests.configure(static="content/static")
    digests.add("lead.md", title="Lead", date="'2026-11-24T09:00:00Z'", featured="true", coverImage="/tiny.png")
    digests.add("fair.md", title="Fair", date="'2026-11-24T08:00:00Z'", featured="true", coverImage="/fair.png")
    digests.add("item.md", title="Item", date="'2026-11-23T09:00:00Z'", coverImage="/tiny.png")  # 120 px: 1.9x
    ran = cli.on(digests, "digest", "--check", now="2026-11-25")
    assert ran.code == 1, ran.err
    flagged = [line for line in ran.err.splitlines() if "upscaled" in line]
    assert flagged == [
        f"publisher: digest check: {digests / 'content' / 'lead.md'}: cover /tiny.png is 64x40 px, "
        "shown 600 px wide (9.4x upscaled, blurred); use one at least 1200 px wide"
    ], ran.err
    assert not (digests / "out" / "digest.html").exists()


def test_window_flags(digests, cli):
    for day in range(1, 29):
        post(digests, f"nov-{day:02d}", f"2026-11-{day:02d}T12:00:00Z")
    ran = cli.on(digests, "digest", "--since", "2026-11-10", "--until", "2026-11-12T23:00:00Z", now="2026-11-28")
    assert ran.code == 0
    text = (digests / "out" / "digest.txt").read_text()
    assert [d for d in range(1, 29) if f"nov-{d:02d}" in text] == [10, 11, 12]
    assert cli.on(digests, "digest", "--days", "seven", now=None).code == 2
    assert cli.on(digests, "digest", "--since", "last tuesday", now=None).code == 2


def test_a_damaged_newsletter_database_is_moved_aside_and_the_digest_asks_where_to_start(digests, cli):
    post(digests, "one", "2026-11-24T09:00:00Z")
    assert cli.on(digests, "digest", "--since-last", now="2026-11-25").code == 0
    database = digests / ".publisher" / "newsletter.sqlite3"
    database.write_bytes(b"this is not a database" * 100)
    ran = cli.on(digests, "digest", "--since-last", now="2026-11-26")
    assert ran.code == 1
    err = ran.err
    assert "moved it to newsletter.sqlite3.damaged-" in err and "Lost with it:" in err and "subscribers" in err
    assert "the digest history was lost" in err and "--force" in err and "--since" in err
    assert len(list((digests / ".publisher").glob("newsletter.sqlite3.damaged-*"))) == 1
    assert cli.on(digests, "digest", "--since-last", now="2026-11-26").code == 1  # still lost: asked again
    assert cli.on(digests, "digest", "--since-last", "--force", now="2026-11-26").code == 0
    assert cli.on(digests, "digest", "--since-last", now="2026-11-27").code == 0  # the history goes on from there


def test_a_damaged_build_cache_never_takes_the_digest_history(digests, cli):
    post(digests, "one", "2026-11-24T09:00:00Z")
    assert cli.on(digests, "build", now="2026-11-25").code == 0
    assert cli.on(digests, "digest", "--since-last", now="2026-11-25").code == 0
    (digests / ".publisher" / "state.sqlite3").write_bytes(b"this is not a database" * 100)
    assert cli.on(digests, "build", now="2026-11-26").code == 0
    post(digests, "two", "2026-11-26T09:00:00Z")
    ran = cli.on(digests, "digest", "--since-last", now="2026-11-27")
    assert ran.code == 0, ran.err
    text = (digests / "out" / "digest.txt").read_text()
    assert "two" in text and "one" not in text  # the cut-off survived


def test_a_build_cache_damaged_where_the_digest_reads_it_gives_the_digest_from_the_files(digests, cli):
    """The digest reads the build's cache without its lock, so it cannot move it aside: it reads the files
    instead, and the next build that reads the damaged rows moves the database aside."""
    post(digests, "one", "2026-11-24T09:00:00Z")
    assert cli.on(digests, "build", now="2026-11-25").code == 0
    with closing(sqlite3.connect(digests / ".publisher" / "state.sqlite3")) as db, db:
        db.execute("UPDATE sources SET record = CAST(X'FF' AS TEXT)")  # not text: damage, as SQLite says it
    ran = cli.on(digests, "digest", now="2026-11-25")
    assert ran.code == 0 and ran.err == "", ran.err
    assert "one" in (digests / "out" / "digest.txt").read_text()
    post(digests, "two", "2026-11-25T09:00:00Z")
    built = cli.on(digests, "build", now="2026-11-26")
    assert built.code == 0 and built.err.count("moved it to state.sqlite3.damaged-") == 1, built.err


def test_cli_reports_a_broken_subject_without_a_traceback(digests, cli):
    post(digests, "one", "2026-11-24T09:00:00Z")
    digests.configure(digest={"subject": "{{ lead.titel }"})
    ran = cli.on(digests, "digest", now="2026-11-25")
    assert ran.code == 2
    # The configuration file and the key: the subject template lives there.
    assert ran.err.startswith(f"publisher: error: {digests.config_file}: [digest] subject:")
    assert "Traceback" not in ran.err


def test_an_article_that_arrives_late_goes_into_the_next_digest_once(digests, cli):
    post(digests, "sunday", "2026-11-22T10:00:00Z")
    assert cli.on(digests, "digest", "--since-last", now="2026-11-23T07:00:00Z").code == 0  # Monday's digest
    assert "sunday" in (digests / "out" / "digest.txt").read_text()
    post(digests, "monday-late", "2026-11-23")  # dated Monday 00:00, written after the digest went out
    post(digests, "wednesday", "2026-11-25T09:00:00Z")
    assert cli.on(digests, "digest", "--since-last", now="2026-11-30T07:00:00Z").code == 0
    text = (digests / "out" / "digest.txt").read_text()
    assert "monday-late" in text and "wednesday" in text and "sunday" not in text
    post(digests, "next-week", "2026-12-01T09:00:00Z")
    assert cli.on(digests, "digest", "--since-last", now="2026-12-07T07:00:00Z").code == 0
    text = (digests / "out" / "digest.txt").read_text()
    assert "next-week" in text and "monday-late" not in text and "wednesday" not in text
    assert set(digest_history(digests / "publisher.toml").sent) == {"next-week"}  # older ones can no longer come back


@pytest.mark.parametrize(
    "args, message",
    [
        (["--limit", "0"], "--limit: 0 must be 1 or more"),
        (["--since", "2026-11-30", "--until", "2026-11-01"], "is not before --until"),
        (["--days", "0"], "--days: 0 must be more than 0"),
        (["--days", "inf"], "--days: inf must be more than 0 and less than a million"),
        (["--days", "nan"], "--days: nan must be more than 0"),
    ],
)
def test_window_flags_that_make_no_sense_are_usage_errors(digests, cli, args, message):
    post(digests, "one", "2026-11-24T09:00:00Z")
    ran = cli.on(digests, "digest", *args, now="2026-11-25")
    assert ran.code == 2 and message in ran.err
