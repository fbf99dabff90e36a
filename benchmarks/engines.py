"""Time the Markdown engines, and every step of render_html after them, per article.

    .venv/bin/python benchmarks/engines.py                  # publisher's engines
    .venv/bin/pip install cmarkgfm markdown-it-pyrs         # to compare the other candidates too
    .venv/bin/python benchmarks/engines.py --articles 300 --repeat 7

Each figure is the best of ``--repeat`` passes over the same bodies (the least disturbed by other
processes on the machine), in milliseconds per article: seed-like articles from
``make_corpus.py``, the reference article, and the Node.js blog when ../shared is there. The
last column is how much the process grew (ru_maxrss) over 3,000 more calls: an engine that
does not free what it allocates shows it there.
"""

from __future__ import annotations

import argparse
import functools
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import frontmatter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from make_corpus import make_corpus  # noqa: E402 - a sibling script, not a package

import publisher  # noqa: E402
from publisher.config import Markdown, Site  # noqa: E402
from publisher.markup import engines  # noqa: E402
from publisher.markup import html as render  # noqa: E402
from publisher.text import xml_safe  # noqa: E402

SHARED = HERE.parent.parent / "shared"


def candidates() -> dict[str, Callable[[str], str]]:
    """Each engine as ``text -> HTML`` with its GFM set on, raw HTML passed through."""
    found: dict[str, Callable[[str], str]] = {
        "python-markdown (publisher's list)": engines.engine("python-markdown"),
        "gfm: pyromark + tasks + autolinks": engines.engine("gfm"),
    }
    import pyromark

    options = engines._GFM_OPTIONS
    found["pyromark alone"] = lambda text: pyromark.html(text, options=options)
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options

        flags = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
        extensions = ["table", "autolink", "strikethrough", "tasklist"]
        found["cmarkgfm"] = lambda text: cmarkgfm.markdown_to_html_with_extensions(text, flags, extensions)
    except ImportError:
        print("cmarkgfm is not installed: left out", file=sys.stderr)
    try:
        import markdown_it_pyrs

        parser = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(
            ["table", "strikethrough", "tasklist", "footnote", "autolink_ext"]
        )
        found["markdown-it-pyrs"] = parser.render
    except ImportError:
        print("markdown-it-pyrs is not installed: left out", file=sys.stderr)
    return found


def per_article(function: Callable[[str], object], inputs: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in inputs:
            function(text)
        best = min(best, time.perf_counter() - start)
    return best / len(inputs) * 1000


def growth_mb(function: Callable[[str], object], inputs: list[str], calls: int = 3000) -> float:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for index in range(calls):
        function(inputs[index % len(inputs)])
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        make_corpus(args.articles, scratch)
        seedlike = [frontmatter.load(p).content for p in sorted(Path(scratch).rglob("*.md"))]
    sets = {"seed-like": seedlike}
    seed = SHARED / "seeds" / "sora2-app-guide.md"
    if seed.exists():
        sets["reference article"] = [frontmatter.load(seed).content] * 20
    nodejs = SHARED / "corpora" / "nodejs-blog"
    if nodejs.exists():
        sets["Node.js blog"] = [frontmatter.load(p).content for p in sorted(nodejs.rglob("*.md"))]

    print("Markdown step, ms per article (best of", args.repeat, "passes)")
    print("| engine | " + " | ".join(sets) + " | RSS growth over 3,000 calls, MB |")
    print("| --- |" + " --- |" * (len(sets) + 1))
    for name, convert in candidates().items():
        figures = [f"{per_article(convert, texts, args.repeat):.3f}" for texts in sets.values()]
        print(f"| {name} | " + " | ".join(figures) + f" | {growth_mb(convert, seedlike):.0f} |")

    base = "https://example.org/post/"
    tags = render.ALLOWED_TAGS
    print("\nrender_html, step by step, ms per article (seed-like; Node.js blog)")
    print("| step | seed-like | Node.js blog |")
    print("| --- | --- | --- |")
    for engine_name in ("gfm", "python-markdown"):
        convert = engines.engine(engine_name)
        html = {key: [convert(text) for text in texts] for key, texts in sets.items()}
        sized = {key: [render.image_sizes(h) for h in hs] for key, hs in html.items()}
        config = publisher.Config(
            site=Site(title="T", url="https://example.org/"), markdown=Markdown(engine=engine_name)
        )
        articles = {
            key: [
                publisher.Article(slug=f"a{i}", title="A", published=publisher_now(), body=text)
                for i, text in enumerate(texts)
            ]
            for key, texts in sets.items()
        }
        steps: list[tuple[str, Callable[[str], object], str]] = [
            (f"{engine_name}: Markdown", convert, "text"),
            (f"{engine_name}: image sizes", render.image_sizes, "html"),
            (f"{engine_name}: xml_safe", xml_safe, "sized"),
            (
                f"{engine_name}: sanitize (nh3, URL callback)",
                lambda h: render.sanitize(h, base_url=base, tags=tags),
                "sized",
            ),
            (f"{engine_name}: render_html, all of it", functools.partial(render_article, config=config), "article"),
        ]
        for label, function, kind in steps:
            figures = []
            for key in ("seed-like", "Node.js blog"):
                if key not in sets:
                    figures.append("–")
                    continue
                inputs = {"text": sets[key], "html": html[key], "sized": sized[key], "article": articles[key]}[kind]
                figures.append(f"{per_article(function, inputs, args.repeat):.3f}")  # type: ignore[arg-type]
            print(f"| {label} | " + " | ".join(figures) + " |")


def render_article(article: publisher.Article, config: publisher.Config) -> str:
    return render.render_html(article, config)


def publisher_now():  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    return datetime(2025, 10, 1, tzinfo=timezone.utc)


if __name__ == "__main__":
    main()
