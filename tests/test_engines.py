"""The Markdown engines: the GFM default's dialect, its autolinks, choosing an engine in the config."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import frontmatter
import pyromark
import pytest
from lxml import html as lxml_html

import publisher
from publisher.config.toml import config_from_mapping
from publisher.markup import engines
from publisher.markup.autolink import _links, autolink
from publisher.markup.html import markdown_to_html, render_html
from tests.conftest import NODEJS_BLOG, SEED, article, make_config, need_shared, sized


def parse(fragment: str):
    return lxml_html.fragment_fromstring(fragment, create_parent="div")


def links(fragment: str) -> list[tuple[str, str]]:
    return [(a.get("href"), a.text_content()) for a in parse(fragment).iter("a")]


def test_gfm_is_the_default_with_tables_strikethrough_task_lists_and_footnotes():
    out = markdown_to_html(
        "| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\n```python\nprint(1)\n```\n\n"
        "- [x] shipped\n- [ ] tested\n\nText[^1]\n\n[^1]: A note.\n"
    )
    tree = parse(out)
    assert tree.find(".//table//del").text == "2"
    assert tree.find(".//pre/code").text == "print(1)\n"
    assert [li.text_content().strip() for li in tree.iter("li")] == ["☑ shipped", "☐ tested"]
    assert tree.find(".//input") is None  # readers drop form controls; the glyph says it in text
    note = tree.find(".//div[@class='footnote-definition']")
    assert note is not None and "A note." in note.text_content()
    assert tree.find(".//sup[@class='footnote-reference']/a").get("href") == "#" + note.get("id")
    alert = parse(markdown_to_html("> [!NOTE]\n> Read this.\n")).find(".//blockquote")
    assert alert.get("class") == "markdown-alert-note" and alert.text_content().strip() == "Read this."


@pytest.mark.parametrize("body", ["First line\\\nsecond line\n", "First line  \nsecond line\n"])
def test_commonmark_hard_line_breaks_backslash_and_two_spaces(body):
    (p,) = parse(markdown_to_html(body)).iter("p")
    assert [child.tag for child in p] == ["br"]
    assert p.text.strip() == "First line" and p[0].tail.strip() == "second line"


def test_a_list_may_follow_a_paragraph_line_as_in_the_reference_article():
    tree = parse(markdown_to_html("**Sora 2**  \n1. Audio and video  \n2. Physics\n"))
    assert [li.text_content().strip() for li in tree.iter("li")] == ["Audio and video", "Physics"]
    python_markdown = parse(markdown_to_html("**Sora 2**  \n1. Audio and video  \n2. Physics\n", "python-markdown"))
    assert python_markdown.find(".//li") is None  # one paragraph with line breaks there


def test_bare_addresses_become_links_as_on_github():
    out = markdown_to_html(
        "Get it at https://nodejs.org/dist/v20.17.0/ or www.example.com/docs. Mail security@nodejs.org.\n\n"
        "(see https://en.wikipedia.org/wiki/Foo_(bar)) and https://example.org/a?b=1&c=2.\n"
    )
    assert links(out) == [
        ("https://nodejs.org/dist/v20.17.0/", "https://nodejs.org/dist/v20.17.0/"),
        ("http://www.example.com/docs", "www.example.com/docs"),
        ("mailto:security@nodejs.org", "security@nodejs.org"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2"),
    ]
    assert parse(out).text_content().count("https://nodejs.org/dist/v20.17.0/ or") == 1


def test_addresses_in_code_links_and_attributes_stay_as_they_are():
    body = (
        "`https://in.code.example/` and [a link](https://a.example/) and <https://b.example/>\n\n"
        "```\ncurl https://in.block.example/\n```\n\n"
        '<video poster="https://poster.example/p.png" src="https://v.example/a.mp4"></video>\n'
    )
    out = markdown_to_html(body)
    assert [href for href, _ in links(out)] == ["https://a.example/", "https://b.example/"]
    assert parse(out).find(".//video").get("poster") == "https://poster.example/p.png"


@pytest.mark.parametrize(
    "text",
    ["http://not_valid.ex_ample/", "www.example_org", "xhttps://glued.example/", "user@host", "name@example.org_"],
)
def test_what_gfm_does_not_autolink(text):
    assert links(markdown_to_html(f"Text {text} end\n")) == []


def test_addresses_inside_tags_comments_and_raw_code_are_not_linked():
    html = (
        '<p><a href="/x" title="see https://in.title.example/">t</a> and '
        '<img alt="a > b https://in.alt.example/" src="i.png"> then https://after.example/</p>\n'
        "<!-- https://in.comment.example/ --><p>after a comment https://after.comment.example/</p>\n"
        "<div><code>https://raw.code.example/</code> <pre><code>https://raw.pre.example/</code></pre></div>\n"
    )
    assert [href for href, _ in links(autolink(html))] == [
        "/x",
        "https://after.example/",
        "https://after.comment.example/",
    ]


def dom_walk_links(html: str) -> Counter:
    """The reference: every text node outside links and code, read by lxml, through the same rules."""
    tree = parse(html)
    skip = {"a", "code", "pre", "script", "style", "textarea", "kbd", "samp"}

    def linkable(element) -> bool:
        return element.tag not in skip and not any(a.tag in skip for a in element.iterancestors())

    found: Counter = Counter((a.get("href"), a.text_content()) for a in tree.iter("a"))
    for element in tree.iter():
        texts = [element.text] if isinstance(element.tag, str) and linkable(element) else []
        if element.getparent() is not None and linkable(element.getparent()):
            texts.append(element.tail)
        for text in filter(None, texts):
            found.update((href, shown) for shown, href in (p for p in _links(text) if isinstance(p, tuple)))
    return found


def test_autolinks_are_those_a_dom_walk_finds_over_real_posts():
    # Every post in CI; every fourth on a developer's machine, of which some, not all, have a bare address.
    every = sized(1, 4)
    bodies = [frontmatter.load(need_shared(SEED)).content]
    bodies += [frontmatter.load(path).content for path in sorted(need_shared(NODEJS_BLOG).rglob("*.md"))[::every]]
    linked_posts = 0
    for body in bodies:
        html = pyromark.html(body, options=engines.gfm_options())
        result = autolink(html)
        assert Counter((a.get("href"), a.text_content()) for a in parse(result).iter("a")) == dom_walk_links(html)
        linked_posts += result != html
    if every == 1:
        assert linked_posts == 850  # the reference article and 849 of the 1,043 posts have a bare address
    assert 0 < linked_posts < len(bodies)


@pytest.mark.parametrize(
    "body",
    [
        "see https://x.org/" + ")" * 200_000,  # each ")" once made the parentheses be counted again
        "see https://x.org/" + ";" * 200_000,  # each ";" once searched the whole address for "&"
        '<p title="' + "https://a.example " * 50_000,  # once parsed the same tag again for each address
        "`x` https://x.org " * 20_000,
        "<div>\n" + "<img " * 50_000,  # raw HTML passed through: the image-size search once ran to the end for each
    ],
)
def test_hostile_addresses_and_images_take_linear_time(body):
    started = time.perf_counter()
    markdown_to_html(body)
    assert time.perf_counter() - started < 3  # about 0.05 s each; quadratic was minutes


def test_html_without_a_bare_address_is_returned_untouched():
    html = '<p>No address here, only <a href="https://example.org/">a link</a>.</p>\n'
    assert autolink(html) is html


def test_python_markdown_keeps_its_dialect():
    out = markdown_to_html("See https://example.org/ now.\n\n#394 Fix a bug\n", "python-markdown")
    assert links(out) == [] and parse(out).find(".//h1") is not None
    assert links(markdown_to_html("See https://example.org/ now.\n")) == [
        ("https://example.org/", "https://example.org/")
    ]


def test_engine_and_extensions_come_from_the_markdown_table():
    config = config_from_mapping(
        {
            "title": "T",
            "url": "https://example.org/",
            "markdown": {"engine": "python-markdown", "extensions": ["admonition"]},
        }
    )
    assert (config.markdown.engine, config.markdown.extensions) == ("python-markdown", ("admonition",))
    out = render_html(article(body="!!! note\n    Careful.\n\n| a |\n|---|\n| 1 |\n"), config)
    tree = parse(out)
    assert tree.find(".//div[@class='admonition note']") is not None
    assert tree.find(".//table") is None  # "tables" is not in this site's list


def test_an_unknown_engine_is_a_config_error_naming_the_key_and_the_choices():
    with pytest.raises(publisher.ConfigError) as raised:
        config_from_mapping(
            {"title": "T", "url": "https://example.org/", "markdown": {"engine": "commonmark-x"}}, source="site.toml"
        )
    message = str(raised.value)
    assert message.startswith("site.toml: [markdown] engine: 'commonmark-x'")
    assert "gfm" in message and "python-markdown" in message


def test_extensions_are_refused_where_they_would_do_nothing():
    with pytest.raises(publisher.ConfigError, match=r"\[markdown\] extensions: only used with engine"):
        make_config(title="T", markdown={"extensions": ("toc",)})


def test_extensions_must_be_a_list_of_names():
    with pytest.raises(publisher.ConfigError, match=r"site.toml: \[markdown\] extensions: 'tables' is not valid"):
        config_from_mapping(
            {
                "title": "T",
                "url": "https://example.org/",
                "markdown": {"engine": "python-markdown", "extensions": "tables"},
            },
            source="site.toml",
        )


def test_an_extension_python_markdown_cannot_load_is_a_config_error():
    """When the configuration is read, not when the first article renders (then every article failed)."""
    with pytest.raises(publisher.ConfigError, match=r"\[markdown\] extensions: \['no_such_extension'\]"):
        make_config(title="T", markdown={"engine": "python-markdown", "extensions": ("no_such_extension",)})


@pytest.mark.parametrize("engine", ["gfm", "python-markdown"])
def test_rendering_from_many_threads_gives_what_one_thread_gives(engine):
    bodies = [
        f"Post {i}[^n]: see https://example.org/{i} and ![a|{i + 1}x2](/{i}.png)\n\n[^n]: Note {i}.\n"
        for i in range(40)
    ]
    alone = [markdown_to_html(body, engine) for body in bodies]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda body: markdown_to_html(body, engine), bodies * 5)) == alone * 5


def test_a_new_engine_is_one_registration():
    engines.register("shout", lambda extensions: lambda text: f"<p>{text.upper()}</p>")
    try:
        config = make_config(title="T", markdown={"engine": "shout"})
        assert render_html(article(body="hello ![a|1x2](a.png)"), config).startswith("<p>HELLO")
    finally:
        del engines._ENGINES["shout"]
        engines.engine.cache_clear()
