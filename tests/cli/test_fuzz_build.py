"""Fuzzing the whole run (issue 12): hypothesis writes random content folders (random bytes, random YAML,
frontmatter of random types and sizes, random file names and kinds of file) and runs a whole build
through the command line's main(); whatever it writes, the run ends with exit 0 or 1 and no
traceback, every file is either published or named on stderr, and every feed still parses.

1,000 examples under CI=true (tests/conftest.py), 100 on a developer's machine; a few more run as
a separate process, as cron runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import feedparser
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

import publisher
from publisher.content import excluded
from publisher.content.permalinks import article_url
from publisher.errors import ContentError, display_path, printable
from tests.conftest import NOW, NOW_ARG, Ran, Site, run_publisher

ZONES = ["UTC", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12"]
KEYS = [
    "title",
    "publishDate",
    "date",
    "updatedDate",
    "slug",
    "tags",
    "category",
    "categories",
    "featured",
    "draft",
    "author",
    "seoDescription",
    "coverImage",
    "source",
    "extra",
]
URLS = [
    "https://img.example.org/a.png",
    "/images/b.jpg",
    "javascript:alert(1)",
    "vbscript:x",
    "data:image/png;base64,AA",
    "file:///etc/passwd",
    "http://[::1",
    "//cdn.example.org/c.webp",
    " java\tscript:alert(2)",
]
DATES = [
    "2025-01-01",
    "2025-13-45",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2025-06-01T10:00:00+02:00",
    "2027-01-01",
    "next Tuesday",
    "2024-02-29 08:00:00",
]
MARKUP = [
    "[",
    "[a](",
    "&#x41;",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<img srcset="javascript:a 1x, b.png 2x">',
    "<script>alert(1)</script>",
    "<iframe src=//e.org/x></iframe>",
    "**",
    "`",
    "\n\n",
    "> ",
    "- ",
    "# ",
    "|a|b|\n|-|-|\n",
    "![a|700x521](c.png)",
    "\u202e",
    "\x00",
    "\x1b",
    "> " * 250,
    "<div>" * 250,
    "<ul><li>" * 150,
]

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
scalars = st.one_of(text, st.integers(), st.floats(), st.booleans(), st.none(), st.sampled_from(URLS + DATES))
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8
)
frontmatter = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
body = st.lists(st.sampled_from(MARKUP) | text, max_size=12).map("".join)
# YAML lines no dumper writes: too long to print, too deep, aliases, tags, quotes never closed.
RAW_LINES = [
    "views: " + "1" * 4301,
    "hex: 0x" + "f" * 4000,
    "nest: " + "[" * 300 + "]" * 300,
    "nest: " + "[" * 31 + "]" * 31,
    "a: &a [1, 2]\nb: [*a, *a, *a]",
    "r: &r [*r]",
    "x: !!python/object/apply:os.system ['true']",
    "b: !!binary aGVsbG8=",
    "t: !!timestamp 2025-13-45",
    "i: !!int 'twelve'",
    'title: "never closed',
    "\ttitle: tab",
    "? [a, b]\n: c",
    "date: 2025-01-01 00:00:00",
    "updatedDate: 0001-01-01T00:00:00+14:00",
    "tags: [" + "漢" * 90 + ", " + "a" * 300 + "]",
]


@st.composite
def file_contents(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["article", "article", "article", "yaml", "bytes", "empty"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "empty":
        return b""
    if kind == "yaml":  # random text where the YAML goes
        block = draw(st.text(max_size=120))
    else:
        fields = {"title": "A title", "publishDate": "2025-01-01", **draw(frontmatter)}
        block = yaml.safe_dump(fields, allow_unicode=draw(st.booleans()), width=10_000)
        block += "\n".join(draw(st.lists(st.sampled_from(RAW_LINES), max_size=2)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return f"---\n{block}\n---\n{draw(body)}\n".replace("\n", newline).encode("utf-8", "surrogatepass")


names = st.one_of(
    st.text(
        st.characters(codec="utf-8", exclude_characters="/\x00", exclude_categories=["Cs"]), min_size=1, max_size=20
    ).map(lambda n: n.encode("utf-8")),
    st.binary(min_size=1, max_size=12).map(lambda b: b.replace(b"/", b"_").replace(b"\x00", b"_")),
)
entries = st.lists(
    st.tuples(
        names,
        st.sampled_from([".md", ".md", ".md", ".markdown", ""]),
        st.sampled_from(["file", "file", "file", "file", "sub", "fifo", "link", "loop", "dangling", "outside", "dir"]),
        file_contents(),
    ),
    max_size=6,
)


def write_entries(root: Path, content: Path, entries: list) -> list[Path]:
    """Write the entries; the Markdown files publisher should either publish or name."""
    candidates = []
    for i, (stem, suffix, kind, data) in enumerate(entries):
        name = stem.strip(b" .") + b"-%d" % i + suffix.encode()
        folder = content / "sub" if kind == "sub" else content
        folder.mkdir(exist_ok=True)
        path = Path(os.fsdecode(bytes(folder) + b"/" + name))
        if kind in ("file", "sub"):
            path.write_bytes(data)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "link" and candidates:
            path.symlink_to(candidates[0])
        elif kind == "loop":
            path.symlink_to(path.name)
        elif kind == "dangling":
            path.symlink_to("missing.md")
        elif kind == "outside":
            (root / "outside.md").write_bytes(data)
            path.symlink_to(root / "outside.md")
        elif kind == "dir":
            path.mkdir()
            (path / "inner.md").write_bytes(data)
            path = path / "inner.md"
        else:
            path.write_bytes(data)
        hidden = any(part.startswith(".") for part in path.relative_to(content).parts)
        if path.name.lower().endswith((".md", ".markdown")) and not hidden:
            candidates.append(path)
    return candidates


def fuzz_site(site: Callable[..., Site], zone: str, entries: list) -> tuple[Site, list[Path]]:
    made = site(
        title="Fuzz",
        url="https://fuzz.example.org/",
        timezone=zone,
        output="out",
        feeds={"limit": 100, "tags": True, "categories": True},
    )
    return made, write_entries(made.root, made.content, entries)


def check_outputs(out: Path) -> list[dict]:
    """Every feed parses, and no address in one is anything but http(s) (or a mailto:/tel: link)."""
    items: list[dict] = []
    for path in sorted(out.rglob("*")):
        if path.suffix == ".xml":
            data = path.read_bytes()
            tree = etree.fromstring(data)
            assert feedparser.parse(data).bozo == 0, path
            for element in tree.iter():
                for attribute in ("href", "url", "src"):
                    value = element.get(attribute)
                    assert value is None or value.startswith(("https://", "http://")), (path, value)
        elif path.suffix == ".json":
            feed = json.loads(path.read_bytes())
            items.extend(feed["items"])
            for item in feed["items"]:
                page = lxml_html.fragment_fromstring(item["content_html"] or "<p></p>", create_parent="div")
                for element in page.iter():
                    for attribute in ("href", "src", "poster", "srcset"):
                        value = (element.get(attribute) or "").strip().lower()
                        assert not value.startswith(("javascript:", "vbscript:", "data:", "file:")), value
        elif path.suffix == ".html":
            lxml_html.document_fromstring(path.read_bytes())
    return items


def should_be_published(config: publisher.Config, path: Path) -> str | None:
    """The address of the file's article when it must be in the feeds (it loads, is not a draft and is
    not dated later), else None. publisher.content.load_article is the oracle here; the build reads through the
    build cache, another way."""
    try:
        article = publisher.content.load_article(path, config)
    except ContentError:
        return None
    if article.draft or article.published > NOW:
        return None
    return article_url(article, config)


def check_run(root: Path, config_file: Path, candidates: list[Path], code: int, err: str) -> None:
    assert code in (0, 1), err
    assert "Traceback" not in err and "bug in publisher" not in err, err
    published = {item["url"] for item in check_outputs(root / "out")} if code == 0 else set()
    config = publisher.load_config(config_file)
    patterns = [pattern.lower() for pattern in config.site.exclude or ()]
    for path in candidates:
        parts = path.relative_to(root / "content").parts
        if any(excluded("/".join(parts[: i + 1]), patterns) for i in range(len(parts))):
            continue  # not an article file by the configuration ("_*", "README*"): neither read nor named
        # Named (skipped, or the loser of a duplicate slug), as the config names the content folder.
        if any(printable(display_path(p)) in err for p in (path, path.relative_to(root))):
            continue
        url = should_be_published(config, path)
        # Exit 1 without writing: every article failed, and each was named; a file that is no article (no title,
        # no date: a site page) is passed over in silence, and may sit beside them.
        assert code == 0 or url is None, (path, err)
        assert url is None or url in published, (path, err)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(zone=st.sampled_from(ZONES), entries=entries)
def test_any_content_folder_builds_or_names_what_it_skips(site, cli, zone, entries):
    made, candidates = fuzz_site(site, zone, entries)
    try:
        runs: list[Ran] = []
        # In a thread of its own, so that a build that hangs (a FIFO opened for reading) fails the test.
        build = threading.Thread(target=lambda: runs.append(cli.on(made, "build")), daemon=True)
        build.start()
        build.join(120)
        assert not build.is_alive(), "the build did not finish in 120 s"
        assert runs, "the build raised: its traceback went to the thread's excepthook"
        check_run(made.root, made.config_file, candidates, runs[0].code, runs[0].err)
    finally:
        shutil.rmtree(made.root)  # up to 1,000 examples: keep no folder of them


@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(zone=st.sampled_from(ZONES), entries=entries)
def test_as_a_process_too(site, zone, entries):
    made, candidates = fuzz_site(site, zone, entries)
    try:
        proc = run_publisher("build", "--now", NOW_ARG, cwd=made, text=False)
        check_run(made.root, made.config_file, candidates, proc.returncode, proc.stderr.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(made.root)
