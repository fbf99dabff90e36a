"""The format registry and the build seam: plan, render each output with one Parts, reuse pieces."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import html as lxml_html

import publisher
from publisher import feeds
from publisher.feeds import Format, Parts, last_uses, plan_outputs, render_output, xmlfeed
from publisher.markup.html import render_html
from publisher.select import select
from publisher.text import one_line
from tests.conftest import NOW, ROOT, article, make_config

FEEDS_PACKAGE = ROOT / "publisher" / "feeds"


def sample_articles(count: int = 12) -> list[publisher.Article]:
    """Articles over three years, with tags, categories, featured ones and covers."""
    start = datetime(2023, 3, 1, tzinfo=UTC)
    return [
        article(
            f"post-{i:02d}",
            title=f"Post {i} & <friends>",
            published=start + timedelta(days=97 * i),
            tags=(f"tag-{i % 3}", "shared"),
            category=("news", "howto")[i % 2],
            featured=i % 4 == 0,
            cover_image=f"/images/{i}.png" if i % 2 else None,
            author="Ann" if i % 3 else None,
            body=f"First *paragraph* of {i}.\n\n<video src='/v/{i}.mp4'></video>\n\nA [link](/x/{i}/).",
        )
        for i in range(count)
    ]


@pytest.fixture
def full_config() -> publisher.Config:
    return make_config(title="Test Site", feeds={"tags": True, "categories": True, "hub": ("https://hub.example/",)})


def render_titles(output: feeds.Output, config: publisher.Config, parts: Parts) -> bytes:
    """A plain-text format: one title a line."""
    assert output.spec is not None
    return "".join(one_line(a.title) + "\n" for a in output.spec.entries).encode()


TITLES = Format(
    name="titles",
    label="Title list",
    media_type="text/plain",
    render=render_titles,
    files={
        "all": "titles.txt",
        "featured": "featured.titles.txt",
        "tag": "tags/{slug}.titles.txt",
        "category": "categories/{slug}.titles.txt",
    },
)


@pytest.fixture
def titles_format():
    feeds.register(TITLES)
    try:
        yield TITLES
    finally:
        feeds.unregister("titles")


def test_a_format_defined_here_is_rendered_announced_and_listed(titles_format, full_config):
    made = publisher.render_feeds(sample_articles(), full_config, now=NOW)
    assert made["titles.txt"].decode().splitlines()[:2] == ["Post 11 & <friends>", "Post 10 & <friends>"]
    assert made["featured.titles.txt"].decode().splitlines() == [
        "Post 8 & <friends>",
        "Post 4 & <friends>",
        "Post 0 & <friends>",
    ]
    assert len(made["tags/tag-1.titles.txt"].decode().splitlines()) == 4
    assert "categories/news.titles.txt" in made
    # announced in <head> beside the other formats
    assert (
        '<link rel="alternate" type="text/plain" title="Test Site (Title list)" '
        'href="https://example.org/feeds/titles.txt">'
    ) in publisher.feeds.link_tags(full_config)
    # linked from the same feed in the other formats
    atom = feedparser.parse(made["tags/shared.atom.xml"]).feed
    assert {
        "href": "https://example.org/feeds/tags/shared.titles.txt",
        "type": "text/plain",
        "title": "Test Site: shared (Title list)",
        "rel": "alternate",
    } in atom.links
    # listed on the feeds page
    page = lxml_html.fromstring(made["index.html"])
    assert page.xpath("//li[@data-format='titles']//a/@href") == [
        "https://example.org/feeds/titles.txt",
        "https://example.org/feeds/featured.titles.txt",
        *[f"https://example.org/feeds/tags/{slug}.titles.txt" for slug in ("shared", "tag-0", "tag-1", "tag-2")],
        "https://example.org/feeds/categories/howto.titles.txt",
        "https://example.org/feeds/categories/news.titles.txt",
    ]


def test_an_unregistered_format_leaves_no_trace(full_config):
    feeds.register(TITLES)
    feeds.unregister("titles")
    made = publisher.render_feeds(sample_articles(), full_config, now=NOW)
    assert not [name for name in made if "titles" in name]
    assert b"text/plain" not in made["atom.xml"] and b"titles" not in made["index.html"]
    assert [fmt.name for fmt in feeds.formats()] == ["atom", "rss", "json", "archive", "page"]


def test_a_format_name_is_registered_once():
    with pytest.raises(ValueError, match="'atom' is already registered"):
        feeds.register(
            Format(
                name="atom",
                label="Atom again",
                media_type="text/plain",
                render=render_titles,
                files={"all": "again.xml"},
            )
        )


def test_a_format_naming_an_unknown_setting_or_kind_is_refused():
    with pytest.raises(ValueError, match="atom_files is not a Config setting"):
        Format(name="x", label="X", media_type="text/plain", render=render_titles, settings={"all": "atom_files"})
    with pytest.raises(ValueError, match=r"unknown kind\(s\) \['tags'\]"):
        Format(name="x", label="X", media_type="text/plain", render=render_titles, files={"tags": "t/{slug}.txt"})


def test_the_registry_maps_each_format_to_the_settings_naming_its_files():
    assert dict(feeds.get("atom").settings) == {
        "all": "atom",
        "featured": "featured_atom",
        "tag": "tag_pattern",
        "category": "category_pattern",
    }
    assert feeds.get("json").settings["tag"] == "tag_json_pattern"
    assert feeds.get("archive").settings == {"archive": "archive_pattern"}
    assert feeds.get("page").settings == {"page": "index"}
    assert [f.media_type for f in feeds.formats()] == [
        "application/atom+xml",
        "application/rss+xml",
        "application/feed+json",
        "application/atom+xml",
        "text/html",
    ]


def test_the_plan_names_every_file_render_feeds_makes(full_config):
    published = select(sample_articles(), now=NOW)
    outputs = plan_outputs(published, full_config)
    assert [o.filename for o in outputs] == list(publisher.render_feeds(sample_articles(), full_config, now=NOW))
    by_name = {o.filename: o for o in outputs}
    assert by_name["atom.xml"].entries == tuple(published[:50])
    assert by_name["index.html"].spec is None and len(by_name["index.html"].entries) == 12
    assert {(entry.kind, entry.format) for entry in by_name["index.html"].listing} >= {("tag", "json"), ("all", "rss")}
    archive = by_name["archive/2023.atom.xml"]
    assert archive.format == "archive" and archive.spec is not None and archive.spec.format == "atom"
    assert by_name["atom.xml"].spec.links == (("prev-archive", "https://example.org/feeds/archive/2026.atom.xml"),)


def test_planning_reads_no_markdown_and_builds_no_xml():
    """What a build does first, for every article: it must not pay for the renderers."""
    script = (
        "import sys, datetime\n"
        "import publisher\n"
        "from publisher.config.toml import config_from_mapping\n"
        "from publisher.feeds import plan_outputs\n"
        "config = config_from_mapping({'title': 't', 'url': 'https://example.org/', 'feeds': {'tags': True}})\n"
        "a = publisher.Article(slug='a', title='A', tags=('x',), body='*hi*', featured=True,\n"
        "                      published=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc))\n"
        "assert len(plan_outputs([a], config)) == 11\n"
        "print(sorted(m for m in ('markdown', 'feedgen', 'lxml', 'jinja2', 'nh3') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_every_output_rendered_through_the_seam_matches_render_feeds(full_config):
    articles = sample_articles()
    published = select(articles, now=NOW)
    parts = Parts(full_config, lambda a: render_html(a, full_config))
    outputs = plan_outputs(published, full_config)
    made = {}
    for output, done in zip(outputs, last_uses(outputs), strict=True):
        made[output.filename] = render_output(output, full_config, parts)
        for finished in done:
            parts.release(finished)
    assert made == publisher.render_feeds(articles, full_config, now=NOW)
    assert len(parts) == 0 and parts.size == 0  # every article was released after its last output


class CountingParts(Parts):
    """Parts that count how often each piece of each article is made."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.made: Counter[tuple[str, str]] = Counter()

    def piece(self, article, name, make):
        def counted(*args):
            self.made[article.slug, name] += 1
            return make(*args)

        return super().piece(article, name, counted)


def render_all(parts: Parts, config: publisher.Config) -> dict[str, bytes]:
    outputs = plan_outputs(select(sample_articles(), now=NOW), config)
    return {o.filename: render_output(o, config, parts) for o in outputs}


def test_each_piece_of_an_article_is_made_once_per_build(full_config):
    html_calls = Counter()

    def html(a):
        html_calls[a.slug] += 1
        return render_html(a, full_config)

    parts = CountingParts(full_config, html)
    render_all(parts, full_config)
    # post-08 is in the main, featured, two tag, category feeds (three formats each) and its archive
    assert {name for slug, name in parts.made if slug == "post-08"} == {
        "html",
        "summary",
        "enclosure",
        "feedgen",
        "atom",
        "rss",
        "json",
    }
    assert set(parts.made.values()) == {1}
    assert set(html_calls.values()) == {1} and len(html_calls) == 12


def test_a_budget_bounds_the_pieces_kept_and_changes_no_byte(full_config):
    unbounded = CountingParts(full_config, lambda a: render_html(a, full_config))
    expected = render_all(unbounded, full_config)
    tight = CountingParts(full_config, lambda a: render_html(a, full_config), budget=20_000)
    assert render_all(tight, full_config) == expected
    assert tight.size <= 20_000 or len(tight) == 1  # never more, but for the article being rendered
    assert sum(tight.made.values()) > sum(unbounded.made.values())  # forgotten pieces were made again


TRICKY = [
    article(
        "quotes",
        title="“Quotes” & <tags> \x07",
        body="Line one\nline two\n\n> quoted `code` ]]> &amp;",
        description="A summary\nover two lines",
        tags=("ünïcode", "a&b"),
        category="cat",
        cover_image="https://cdn.example/clip.mp4",
        source="Not an address",
        author="Ann <ann@example.org>",
        featured=True,
    ),
    article(
        "plain",
        title="Plain",
        published=datetime(2024, 12, 31, 23, 0, tzinfo=UTC),
        body="",
        cover_image="/c.webp",
        source="https://elsewhere.example/plain",
    ),
]


@pytest.mark.parametrize("name", ["atom.xml", "rss.xml", "archive/2025.atom.xml", "featured.atom.xml"])
def test_spliced_xml_is_what_feedgen_writes_for_the_whole_document(name):
    """The entries made once and spliced in give the bytes feedgen gives with the entries added to it."""
    config = make_config(
        title="Site & co", author_email="ed@example.org", icon="/i.png", feeds={"hub": ("https://hub.example/",)}
    )
    (output,) = [o for o in plan_outputs(select(TRICKY, now=NOW), config) if o.filename == name]
    parts = Parts(config, lambda a: render_html(a, config))
    fg = xmlfeed.feed_generator(output, config)
    for entry in output.spec.entries:
        fg.add_entry(xmlfeed.feed_entry(entry, config, parts), order="append")
    whole = (
        fg.rss_str(pretty=True, encoding="UTF-8")
        if output.spec.format == "rss"
        else fg.atom_str(pretty=True, encoding="UTF-8")
    )
    if output.spec.format == "rss":  # the channel's own text is written with character references
        from publisher.feeds.rss import plain_text_references

        head, item, rest = whole.partition(b"    <item>")
        whole = plain_text_references(head) + item + rest
    assert render_output(output, config, parts) == whole


@pytest.mark.parametrize("articles", [TRICKY, []], ids=["tricky", "empty"])
def test_spliced_json_feed_is_what_json_dumps_writes(articles):
    # The featured JSON Feed named in the config is made even when empty.
    config = make_config(title="Site", feeds={"hub": ("https://hub.example/",), "featured_json": "featured.json"})
    made = publisher.render_feeds(articles, config, now=NOW)
    for name in ("feed.json", "featured.json"):
        document = json.loads(made[name])
        assert made[name] == (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()
    assert len(json.loads(made["feed.json"])["items"]) == len(articles)


def feeds_imports() -> dict[str, set[str]]:
    """Module -> the publisher.feeds modules it imports when run (at the top or inside functions;
    not the ``if TYPE_CHECKING:`` imports, which only type checkers follow)."""
    graph: dict[str, set[str]] = {}
    for path in FEEDS_PACKAGE.glob("*.py"):
        imported: set[str] = set()
        pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                pending.extend(node.orelse)
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported |= {node.module} if node.module else {alias.name for alias in node.names}
            pending.extend(ast.iter_child_nodes(node))
        graph[path.stem] = imported
    return graph


def test_the_feeds_modules_import_each_other_without_a_circle():
    graph = feeds_imports()
    del graph["__init__"]  # the package imports every format to register it; no module imports the package

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        for other in graph.get(module, ()):
            visit(other, (*path, module))

    for module in graph:
        visit(module, ())
    assert not (Path(publisher.__file__).parent / "discovery.py").exists()


def test_an_output_key_changes_with_what_decides_its_bytes_and_only_that(full_config):
    def keys(articles):
        return {o.filename: o.key() for o in plan_outputs(select(articles, now=NOW), full_config)}

    before = keys(sample_articles(12))
    after = keys(sample_articles(13))  # post-12: 2026, featured, tag-0, news
    changed = {name for name in before if before[name] != after[name]}
    assert {
        "atom.xml",
        "featured.rss.xml",
        "tags/tag-0.json",
        "categories/news.rss.xml",
        "archive/2026.atom.xml",
        "index.html",
    } <= changed
    assert not changed & {"tags/tag-1.atom.xml", "categories/howto.json", "archive/2025.atom.xml"}
    assert "post-12" not in before["index.html"] and "post-12" in after["index.html"]
