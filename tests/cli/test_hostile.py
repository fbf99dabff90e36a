"""Bad and hostile input beside good articles: a clear error or a safe result, and the run goes on.

The files are in tests/fixtures/hostile/; each one's expected outcome is in the tables below.
"""

from __future__ import annotations

import email
import email.policy
import resource
import shutil
import subprocess
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from tests.conftest import NOW_ARG, ROOT, Site, run_publisher, write_article

FIXTURES = ROOT / "tests" / "fixtures" / "hostile"

# file -> what the report on stderr must say about it (each is skipped)
SKIPPED = {
    "malformed-yaml.md": ":4: frontmatter is not valid YAML",  # the line of the unclosed bracket
    "frontmatter-list.md": "frontmatter is a list, expected a mapping",
    "frontmatter-scalar.md": "frontmatter is text, expected a mapping",
    "no-frontmatter.md": "no frontmatter (expected a YAML block between '---' lines at the top, TOML",
    "empty.md": "empty file",
    "missing-title.md": "no title: looked for title",
    "missing-date.md": "no date: looked for publishDate, pubDate, date",
    "impossible-date.md": "publishDate: '2025-13-45' is not a date (expected YYYY-MM-DD or ISO 8601)",
    "date-in-words.md": "publishDate: 'next Tuesday' is not a date",
    "featured-unclear.md": "featured: 'maybe' is not a yes/no value",
    "tags-mapping.md": "tags: expected a list of tags, got a mapping",
    "python-object.md": "could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply",
    "python-name.md": "could not determine a constructor for the tag 'tag:yaml.org,2002:python/name",
    "billion-laughs.md": "frontmatter expands through YAML aliases to more than 10,000 values",
    "recursive-alias.md": "frontmatter expands through YAML aliases to more than 10,000 values",
    "dup-old.md": "slug: 'duplicate' is also the slug of",
    "not-utf8.md": ":2: not UTF-8 (byte 0xe9 at offset 14)",
    "link-outside.md": "symbolic link to a file outside the content folder",
}
# slug -> title as a feed reader must see it (each is published)
PUBLISHED = {
    "duplicate": "Duplicate slug, newer",
    "path-tags": "Tags that look like paths",
    "title-crlf": "Subject Bcc: victim@example.org",
    "control-chars": "Bell and vertical tab",
    "active-html": "Active HTML",
    "mojibake": "OpenAI’s mojibake title – repaired",
    "loose-types": "2025",
    "escaped-title": "Fish & Chips tonight",  # HTML in a title is rendered to its text (content/plain.py)
    "with-bom": "Starts with a byte-order mark",
    "crlf": "Windows line endings",
    "huge": "A five megabyte article",
    **{f"good-{i}": f"Good article {i}" for i in range(10)},
}


@pytest.fixture(scope="module")
def bad_site(site):
    made = site(
        title="Hostile",
        url="https://hostile.example.org/",
        # max_article_bytes above the 5 MB article, so that publishing one is what is measured here.
        max_article_bytes=8_000_000,
        feeds={"tags": True, "categories": True},
        digest={"full_bodies": True, "limit": 100, "unsubscribe_url": "https://hostile.example.org/unsubscribe"},
    )
    content = made.content
    shutil.copytree(FIXTURES, content, dirs_exist_ok=True)
    for i in range(10):
        made.add(
            f"good/good-{i}.md",
            title=f"Good article {i}",
            date=f"2025-01-{i + 10}",
            tags="[good]",
            featured=str(i % 3 == 0).lower(),
            coverImage=f"/images/{i}.png",
            body=f"Paragraph **{i}** with [a link](../good-{(i + 1) % 10}/).",
        )
    paragraph = "Plain words in a long paragraph that goes on and on without any markup at all. " * 10 + "\n\n"
    made.add(
        "huge.md",
        "---\ntitle: A five megabyte article\npublishDate: 2025-04-01\n---\n"
        + paragraph * (5 * 1024 * 1024 // len(paragraph)),
    )
    secret = write_article(
        made / "outside", "secret.md", "---\ntitle: Secret\npublishDate: 2025-01-01\n---\nOutside.\n"
    )
    (content / "link-outside.md").symlink_to(secret)
    (content / "loop").symlink_to(content, target_is_directory=True)
    return made


def build(site: Site, *args: str, command: str = "build") -> subprocess.CompletedProcess:
    return run_publisher(command, "--now", NOW_ARG, *args, cwd=site, timeout=300)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture(scope="module")
def result(bad_site):
    before = tree(bad_site.root)
    pwned = Path("/tmp/publisher-pwned")
    pwned.unlink(missing_ok=True)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = build(bad_site)
    peak_kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, children_before)
    after = tree(bad_site.root)
    return proc, before, after, peak_kb, pwned.exists()


def test_build_exits_0_and_reports_every_bad_file_with_its_reason(result):
    proc, *_ = result
    assert proc.returncode == 0, proc.stderr
    for name, reason in SKIPPED.items():
        lines = [ln for ln in proc.stderr.splitlines() if f"/{name}" in ln and "skipped" in ln]
        assert lines, f"{name} not reported:\n{proc.stderr}"
        assert reason in lines[0], lines[0]


def test_one_summary_line_counts_published_and_skipped_by_reason(result):
    proc, *_ = result
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"publisher: {len(PUBLISHED)} articles published, {len(SKIPPED)} skipped (")
    assert "2 oversized frontmatter" in summary and "1 duplicate slug" in summary


def test_exactly_the_good_articles_are_published_and_every_feed_reads(result, bad_site):
    proc, *_ = result
    out = bad_site / "feeds"
    main = feedparser.parse((out / "atom.xml").read_bytes())
    assert main.bozo == 0
    got = {e.link.rstrip("/").rsplit("/", 1)[1]: e.title for e in main.entries}
    assert got == PUBLISHED
    for path in out.rglob("*.xml"):
        etree.fromstring(path.read_bytes())
        assert feedparser.parse(path.read_bytes()).bozo == 0, path


def test_active_content_never_reaches_a_feed(result, bad_site):
    data = (bad_site / "feeds" / "rss.xml").read_text()
    for needle in (
        "<script",
        "&lt;script",
        "onclick",
        "onerror",
        "javascript:",
        "&lt;iframe",
        "&lt;object",
        "&lt;form",
        "\x07",
        "\x0b",
        "\x1b",
    ):
        assert needle not in data, needle


def test_nothing_is_written_outside_the_output_folder_and_no_code_runs(result, bad_site):
    _, before, after, _, pwned = result
    changed = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    # The outputs, and the state folder beside the configuration: nothing else.
    assert changed and all(name.startswith(("feeds/", ".publisher/")) for name in changed), sorted(changed)
    assert "feeds/tags/etc-passwd.atom.xml" in changed
    assert not pwned


def test_a_five_megabyte_article_keeps_memory_bounded(result):
    *_, peak_kb, _ = result
    assert peak_kb < 600 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"


def test_strict_makes_the_first_bad_file_fatal(bad_site):
    proc = build(bad_site, "--strict", "--out", "strict-out")
    assert proc.returncode == 1
    assert "(--strict)" in proc.stderr
    assert not list((bad_site / "strict-out").rglob("*.xml"))


def test_digest_of_the_same_folder_publishes_the_good_ones_safely(bad_site):
    proc = build(bad_site, "--days", "3650", "--out", "digest-out", command="digest")
    assert proc.returncode == 0, proc.stderr
    for name in SKIPPED:
        assert any(f"/{name}" in ln and "skipped" in ln for ln in proc.stderr.splitlines()), name
    html = (bad_site / "digest-out" / "digest.html").read_text(encoding="utf-8")
    tree = lxml_html.document_fromstring(html)
    titles = {a.text_content() for a in tree.xpath("//h2/a | //h3/a")}
    assert titles == set(PUBLISHED.values())
    for tag in ("script", "iframe", "video", "audio", "object", "form", "embed"):
        assert not list(tree.iter(tag)), tag
    for needle in ("onclick", "onerror", "javascript:", "\x07", "\x0b", "\x1b"):
        assert needle not in html, needle
    message = email.message_from_bytes(
        (bad_site / "digest-out" / "digest.eml").read_bytes(), policy=email.policy.default
    )
    assert message["Bcc"] is None
    # The output folder holds only what is published (the web archive included); the state lives
    # in .publisher/.
    assert sorted(p.name for p in (bad_site / "digest-out").iterdir()) == [
        "digest.eml",
        "digest.html",
        "digest.txt",
        "newsletter",
    ]
    strict = build(bad_site, "--days", "3650", "--out", "digest-strict", "--strict", command="digest")
    assert strict.returncode == 1 and not (bad_site / "digest-strict" / "digest.html").exists()
