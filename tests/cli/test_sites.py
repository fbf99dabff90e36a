"""Real sites move in: samples of three public blogs, each built by another generator, read with
nothing but the publisher.toml that `publisher init` writes for them.

The samples are in tests/fixtures/sites/<name>/, each with its LICENSE and an ATTRIBUTION.md that
names the repository, the commit, and how what the site publishes was counted:
- hugo-opentelemetry: the OpenTelemetry blog (Hugo; CC BY 4.0): TOML-free YAML, page bundles,
  section pages, a multilingual content folder;
- jekyll-news: the news of jekyllrb.com (Jekyll; MIT): `_posts` with dated `.markdown` names, a
  permalink from `_config.yml`, a date Ruby reads leniently;
- eleventy-blog: the blog of 11ty.dev (Eleventy; MIT): dates in file names, titles in `newstitle`,
  a post left out of collections, a list page.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html
from rfc3986_validator import validate_rfc3986

from tests.conftest import NOW_ARG, ROOT, Cli, Ran

SITES = ROOT / "tests" / "fixtures" / "sites"


@pytest.fixture
def sample(tmp_path, monkeypatch):
    """``sample(name)``: a copy of tests/fixtures/sites/<name>, as its owner has it (no publisher.toml), made
    the current folder."""

    def copy(name: str) -> Path:
        shutil.copytree(SITES / name, tmp_path / name)
        monkeypatch.chdir(tmp_path / name)
        return tmp_path / name

    return copy


def init_and_build(cli: Cli, *init_args: str) -> tuple[dict, list]:
    """Run init then build (silent, exit 0); the config written and the feeds' entries, newest first."""
    assert cli("init", *init_args).code == 0
    config = tomllib.loads(Path("publisher.toml").read_text(encoding="utf-8"))
    # Section pages and list pages are not articles: nothing to say.
    assert cli("build", "--now", NOW_ARG) == Ran(0, "", "")
    for path in Path("feeds").rglob("*.xml"):
        assert feedparser.parse(path.read_bytes()).bozo == 0, path
    archived = [
        e for path in sorted(Path("feeds/archive").glob("*.xml")) for e in feedparser.parse(path.read_bytes()).entries
    ]
    return config, sorted(archived, key=lambda e: e.published_parsed, reverse=True)


def written_addresses() -> set[str]:
    """Every address in every output: attributes, ids, links, and the links inside entry HTML."""
    found: set[str] = set()

    def from_html(markup: str) -> None:
        for element in lxml_html.fragment_fromstring(markup, create_parent="div").iter():
            found.update(element.get(a) for a in ("href", "src") if element.get(a))

    for path in Path("feeds").rglob("*"):
        if path.suffix == ".xml":
            for element in etree.parse(str(path)).iter():
                if not isinstance(element.tag, str):
                    continue
                found.update(element.get(a) for a in ("href", "url") if element.get(a))
                name = etree.QName(element).localname
                if name in ("id", "guid", "link") and element.text and "://" in element.text:
                    found.add(element.text.strip())
                if name in ("content", "encoded") and element.text:
                    from_html(element.text)
        elif path.suffix == ".json":
            feed = json.loads(path.read_text(encoding="utf-8"))
            found.update(v for k, v in feed.items() if k.endswith("url") and isinstance(v, str))
            for item in feed["items"]:
                found.update(item[k] for k in ("id", "url") if k in item)
                from_html(item.get("content_html") or "<p></p>")
    return found


def assert_addresses_are_uris(site_url: str) -> None:
    addresses = written_addresses()
    assert [a for a in addresses if not validate_rfc3986(a, rule="URI")] == []
    assert [a for a in addresses if a.startswith(site_url) and "//" in urlsplit(a).path] == []


def test_hugo_opentelemetry(sample, cli):
    sample("hugo-opentelemetry")
    config, entries = init_and_build(cli, "--content", "content/en/blog")
    assert (config["preset"], config["url"], config["permalink"]) == (
        "hugo",
        "https://opentelemetry.io",
        "/blog/{path}/",
    )
    assert [e.link for e in entries] == [
        "https://opentelemetry.io/blog/2023/demo-birthday/",
        "https://opentelemetry.io/blog/2022/announcing-opentelemetry-demo-release/",
        "https://opentelemetry.io/blog/2021/cpp/",
        "https://opentelemetry.io/blog/2021/python/",
    ]
    assert 'src="https://opentelemetry.io/blog/2023/demo-birthday/demo-birthday-3.png"' in entries[0].content[0].value
    assert_addresses_are_uris("https://opentelemetry.io/")


def test_jekyll_news(sample, cli):
    sample("jekyll-news")
    config, entries = init_and_build(cli, "--content", "docs/_posts")
    assert (config["preset"], config["permalink"]) == ("jekyll", "/news/{year}/{month}/{day}/{slug}/")
    assert [(e.link, e.published) for e in entries] == [
        ("https://jekyllrb.com/news/2025/01/29/jekyll-4-4-1-released/", "2025-01-29T18:15:32+05:30"),
        ("https://jekyllrb.com/news/2023/01/29/jekyll-3-9-3-released/", "2023-01-29T18:30:22-08:00"),
        # 02:12 at +02:00 is the evening before in the site's time zone, as Jekyll dates the URL
        ("https://jekyllrb.com/news/2013/05/05/jekyll-1-0-0-released/", "2013-05-06T02:12:52+02:00"),
    ]
    assert_addresses_are_uris("https://jekyllrb.com/")


def test_eleventy_blog(sample, cli):
    sample("eleventy-blog")
    config, entries = init_and_build(
        cli, "--content", "src/blog", "--url", "https://www.11ty.dev/", "--title", "Eleventy Blog"
    )
    assert (config["preset"], config["permalink"]) == ("eleventy", "/blog/{slug}/")
    assert config["fields"]["title"][0] == "newstitle"
    assert [(e.title, e.link) for e in entries] == [
        ("Eleventy v3.0.0 is now available!", "https://www.11ty.dev/blog/eleventy-v3/"),
        ("Eleventy Docs Moved from 11ty.io to 11ty.dev", "https://www.11ty.dev/blog/moving-house/"),
    ]
    assert_addresses_are_uris("https://www.11ty.dev/")


def test_init_never_overwrites_a_config(sample, cli):
    sample("jekyll-news")
    Path("publisher.toml").write_text("# mine\n", encoding="utf-8")
    ran = cli("init", "--content", "docs/_posts")
    assert ran.code == 2 and "publisher.toml already exists; not overwritten" in ran.err
    assert Path("publisher.toml").read_text(encoding="utf-8") == "# mine\n"


def test_init_needs_an_address_it_cannot_find(sample, cli):
    sample("eleventy-blog")
    ran = cli("init", "--content", "src/blog")
    err = ran.err
    assert ran.code == 2
    assert "the site's public address is not known" in err and "pass --url" in err
    assert not Path("publisher.toml").exists()


def test_init_excludes_the_few_pages_without_a_date(tmp_path, monkeypatch, cli):
    content = tmp_path / "content"
    for n in range(12):
        (content / "posts").mkdir(parents=True, exist_ok=True)
        (content / "posts" / f"p{n}.md").write_text(f"---\ntitle: P{n}\npubDate: 2024-01-{n + 1:02d}\n---\nx\n")
    (content / "index.md").write_text("---\ntitle: Blog\nlayout: list\n---\n")
    monkeypatch.chdir(tmp_path)
    assert cli("init", "--url", "https://example.org/").code == 0
    config = tomllib.loads(Path("publisher.toml").read_text(encoding="utf-8"))
    assert config["exclude"][-1] == "/index.md" and config["preset"] == "astro"
    built = cli("build", "--now", NOW_ARG)
    assert built.code == 0 and built.err == ""


def test_init_reads_pelican_and_hugo_url_settings(tmp_path, monkeypatch, cli):
    pelican = tmp_path / "pelican"
    (pelican / "content").mkdir(parents=True)
    (pelican / "pelicanconf.py").write_text(
        "AUTHOR = 'A'\nSITENAME = 'Pelican Site'\nSITEURL = 'https://pelican.example'\n"
        "ARTICLE_URL = 'posts/{date:%Y}/{slug}/'\nTIMEZONE = 'Europe/Paris'\n",
        encoding="utf-8",
    )
    (pelican / "content" / "first.md").write_text(
        "Title: My First Post\nDate: 2024-04-09 10:20\nTags: a, b\n\nBody.\n", encoding="utf-8"
    )
    monkeypatch.chdir(pelican)
    assert cli("init").code == 0
    config = tomllib.loads(Path("publisher.toml").read_text(encoding="utf-8"))
    assert (config["preset"], config["url"], config["title"], config["permalink"], config["timezone"]) == (
        "pelican",
        "https://pelican.example",
        "Pelican Site",
        "/posts/{year}/{slug}/",
        "Europe/Paris",
    )
    assert cli("build", "--now", NOW_ARG).code == 0
    entry = feedparser.parse(Path("feeds/atom.xml").read_bytes()).entries[0]
    assert entry.link == "https://pelican.example/posts/2024/my-first-post/"

    hugo = tmp_path / "hugo"
    (hugo / "content" / "posts").mkdir(parents=True)
    (hugo / "hugo.toml").write_text(
        'baseURL = "https://hugo.example/"\ntitle = "Hugo Site"\n[permalinks]\nposts = "/:year/:month/:slug/"\n',
        encoding="utf-8",
    )
    (hugo / "content" / "posts" / "hello.md").write_text(
        '+++\ntitle = "Hello"\ndate = 2024-04-09\n+++\nHi.\n', encoding="utf-8"
    )
    monkeypatch.chdir(hugo)
    assert cli("init", "--content", "content/posts").code == 0
    config = tomllib.loads(Path("publisher.toml").read_text(encoding="utf-8"))
    assert (config["preset"], config["permalink"]) == ("hugo", "/{year}/{month}/{slug_or_title}/")


@pytest.mark.parametrize(
    "flags, message",
    [
        (("--url", "ftp://x"), "url: 'ftp://x' is not an absolute http(s) address"),
        (("--url", "https://e.org/", "--title", "a\nb"), "title: 'a\\nb' holds a line break"),
    ],
)
def test_init_writes_no_file_the_next_command_would_refuse(sample, cli, flags, message):
    sample("jekyll-news")
    ran = cli("init", "--content", "docs/_posts", *flags)
    assert ran.code == 2 and "init: not written: " in ran.err and message in ran.err, ran
    assert not Path("publisher.toml").exists()


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        (
            "config/_default/permalinks.yaml",
            "blog: /:year/:month/:day/:slug/\n",
            "/{year}/{month}/{day}/{slug_or_title}/",
        ),
        ("config/_default/permalinks.toml", "[page]\nblog = '/:sections/:title/'\n", "/blog/{folder}/{title}/"),
        ("config/_default/permalinks.json", '{"page": {"blog": "/b/:contentbasename/"}}', "/b/{filename}/"),
        ("hugo.yaml", "baseURL: https://hugo.example/\npermalinks:\n  blog: /:slugorfilename/\n", "/{slug}/"),
    ],
)
def test_init_reads_hugos_permalinks_where_hugo_does(tmp_path, monkeypatch, cli, file, text, expected):
    """Hugo's issue-20 repro: content/blog/p1/index.md is served at /2024/05/01/hello-world/."""
    site = tmp_path / "hugo"
    (site / "content" / "blog" / "p1").mkdir(parents=True)
    (site / "content" / "blog" / "p1" / "index.md").write_text("---\ntitle: Hello World\ndate: 2024-05-01\n---\nx\n")
    (site / "config" / "_default").mkdir(parents=True)
    if file != "hugo.yaml":
        (site / "config" / "_default" / "hugo.yaml").write_text("baseURL: https://hugo.example/\ntitle: H\n")
    (site / file).write_text(text, encoding="utf-8")
    monkeypatch.chdir(site)
    assert cli("init", "--content", "content/blog").code == 0
    config = tomllib.loads(Path("publisher.toml").read_text(encoding="utf-8"))
    assert config["permalink"] == expected
    assert cli("build", "--now", NOW_ARG).code == 0
    link = feedparser.parse(Path("feeds/atom.xml").read_bytes()).entries[0].link
    hugo_serves = {
        "/{year}/{month}/{day}/{slug_or_title}/": "/2024/05/01/hello-world/",
        "/blog/{folder}/{title}/": "/blog/hello-world/",
        "/b/{filename}/": "/b/p1/",
        "/{slug}/": "/p1/",
    }
    assert link == "https://hugo.example" + hugo_serves[expected]


def test_docusaurus_react_native_blog(sample, cli):
    sample("docusaurus-react-native")
    config, entries = init_and_build(cli, "--content", "website/blog")
    assert (config["preset"], config["url"], config["title"], config["permalink"], config["authors"]) == (
        "docusaurus",
        "https://reactnative.dev",
        "React Native",
        "/blog/{dated_path}",
        "website/blog/authors.yml",
    )
    assert [(e.link, e.author_detail) for e in entries] == [
        (
            "https://reactnative.dev/blog/2023/06/21/package-exports-support",
            {"name": "Alex Hunt", "href": "https://x.com/huntie"},
        ),
        (
            "https://reactnative.dev/blog/2022/03/15/an-update-on-the-new-architecture-rollout",
            {"name": "Nicola Corti", "href": "https://x.com/cortinico"},
        ),
        (
            "https://reactnative.dev/blog/2016/03/24/introducing-hot-reloading",
            {"name": "Martín Bigio", "href": "https://twitter.com/martinbigio"},
        ),
    ]
    rollout = entries[1].content[0].value
    assert '<blockquote class="markdown-alert-note">' in rollout and "<strong>Info</strong>" in rollout
    assert ":::" not in rollout and "truncate" not in rollout
    assert "/*" not in entries[0].content[0].value
    assert_addresses_are_uris("https://reactnative.dev/")


def test_init_writes_no_machine_paths_and_says_where_the_title_came_from(tmp_path, monkeypatch, cli):
    """A publisher.toml is committed: no path of this machine in it, and a title that is only the
    folder's name is said to be one; no 'the preset's' exclude without a preset."""
    site = tmp_path / "golang-blog"
    (site / "_content" / "blog").mkdir(parents=True)
    (site / "_content" / "blog" / "go1.md").write_text("---\ntitle: Go 1\npublishDate: 2012-03-28\n---\nx\n")
    monkeypatch.chdir(site)
    ran = cli("init", "--content", "_content/blog", "--url", "https://go.dev/")
    assert ran.code == 0 and 'note: the title is the content folder\'s name, "blog"' in ran.out
    text = Path("publisher.toml").read_text(encoding="utf-8")
    assert str(tmp_path) not in text and "the preset's" not in text
    assert "publisher's default; files and folders that are not articles" in text
    assert 'title = "blog"  # the content folder\'s name (no generator configuration found)' in text


def test_init_names_the_sites_authors_file(tmp_path, monkeypatch, cli):
    site = tmp_path / "jekyll"
    (site / "_posts").mkdir(parents=True)
    (site / "_data").mkdir()
    (site / "_config.yml").write_text("title: J\nurl: https://j.example\n")
    (site / "_data" / "authors.yml").write_text("ann:\n  name: Ann Lee\n  url: https://ann.example/\n")
    (site / "_posts" / "2024-01-02-hello.md").write_text("---\ntitle: Hello\nauthor: ann\n---\nx\n")
    monkeypatch.chdir(site)
    assert cli("init", "--content", "_posts").code == 0
    config = tomllib.loads(Path("publisher.toml").read_text(encoding="utf-8"))
    assert config["authors"] == "_data/authors.yml" and str(tmp_path) not in Path("publisher.toml").read_text()
    assert cli("build", "--now", NOW_ARG).code == 0
    entry = feedparser.parse(Path("feeds/atom.xml").read_bytes()).entries[0]
    assert entry.author_detail == {"name": "Ann Lee", "href": "https://ann.example/"}


@pytest.mark.parametrize(
    "posts, prefix",
    [("_posts", ""), ("news/_posts", "/news")],  # Jekyll makes the folders above _posts categories of their posts
)
def test_init_leaves_jekylls_posts_folder_out_of_the_default_permalink(posts, prefix, tmp_path, monkeypatch, cli):
    """A Jekyll site with no permalink setting: its posts are at /:categories/:year/:month/:day/:title.html,
    never under /_posts/ (init once wrote "/_posts/{category}/..."; every entry's link was a 404)."""
    (tmp_path / posts).mkdir(parents=True)
    (tmp_path / "_config.yml").write_text('title: J\nurl: "https://j.example"\n')
    (tmp_path / posts / "2025-03-04-welcome.md").write_text("---\ntitle: Welcome\ncategories: tips\n---\nHi.\n")
    (tmp_path / posts / "2025-03-05-plain.md").write_text("---\ntitle: Plain\n---\nHi.\n")
    monkeypatch.chdir(tmp_path)
    assert cli("init", "--content", posts).code == 0
    assert cli("build", "--now", NOW_ARG).code == 0
    links = {e.title: e.link for e in feedparser.parse(Path("feeds/atom.xml").read_bytes()).entries}
    assert links == {
        "Welcome": f"https://j.example{prefix}/tips/2025/03/04/welcome.html",
        "Plain": f"https://j.example{prefix}/2025/03/05/plain.html",
    }


def test_init_without_a_content_folder_says_which_to_pass(tmp_path, monkeypatch, cli):
    """`publisher init` in a Jekyll site reads ./content by default, which Jekyll has not: the error says to
    pass --content and names the posts folder it sees, and nothing is written."""
    (tmp_path / "_posts").mkdir()
    (tmp_path / "_config.yml").write_text('title: J\nurl: "https://j.example"\n')
    (tmp_path / "_posts" / "2025-03-04-welcome.md").write_text("---\ntitle: Welcome\n---\nHi.\n")
    monkeypatch.chdir(tmp_path)
    ran = cli("init")
    assert ran.code == 2 and not Path("publisher.toml").exists()
    assert "content: no such folder; pass --content DIR, the folder of the site's articles (here: _posts)" in ran.err
    assert cli("init", "--content", "_posts").code == 0
