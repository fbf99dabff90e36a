"""Measure what the render budget (publisher/guard.py) is set from: how long real articles take to
render, and how long pathological Markdown would take, with each of publisher's Markdown engines
(gfm, the default, and python-markdown) and, when it is installed, cmark-gfm (``pip install
cmarkgfm``), each followed by the same sanitising.

    .venv/bin/python benchmarks/render_budget.py [CORPUS_DIR ...]

CPU time of this thread (time.thread_time), so that other work on the machine does not count.
Default corpora: ../shared/corpora/nodejs-blog and ../shared/seeds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import publisher
from publisher.config import Site
from publisher.guard import guarded, render_budget
from publisher.markup.html import markdown_to_html, sanitize

ROOT = Path(__file__).resolve().parents[1]
PATHOLOGICAL = {
    "'[' * 50000": "[" * 50_000,
    "'[a](' * 20000": "[a](" * 20_000,
    "'&#x41;' * 100000": "&#x41;" * 100_000,
    "'> ' * 50000": "> " * 50_000,
    "'<ul><li>' * 20000": "<ul><li>" * 20_000,
}
BASE = "https://example.org/post/"


def engines() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {
        "gfm": lambda text: markdown_to_html(text, "gfm"),
        "python-markdown": lambda text: markdown_to_html(text, "python-markdown"),
    }
    try:
        import cmarkgfm
    except ImportError:
        print("cmark-gfm: not installed (pip install cmarkgfm), not measured")
    else:
        found["cmark-gfm"] = lambda text: cmarkgfm.github_flavored_markdown_to_html(
            text, options=cmarkgfm.Options.CMARK_OPT_UNSAFE
        )
    return found


def cpu(fn: Callable[[], object]) -> float:
    started = time.thread_time()
    fn()
    return time.thread_time() - started


def corpus(folders: list[Path], render: Callable[[str], str]) -> None:
    config = publisher.Config(site=Site(title="t", url="https://example.org/"))
    rows = []
    for folder in folders:
        for path in sorted(folder.rglob("*.md")):
            try:
                body = publisher.content.load_article(path, config).body
            except publisher.ContentError:
                continue
            seconds = cpu(lambda body=body: sanitize(render(body), base_url=BASE))
            rows.append((seconds, len(body.encode()), path))
    if not rows:
        print("  no articles found")
        return
    slowest = max(rows)
    rate = max((s / size * 1e6, path) for s, size, path in rows if size >= 20_000)
    print(
        f"  {len(rows)} articles, {sum(r[0] for r in rows):.1f} s in all; slowest {slowest[0]:.2f} s "
        f"({slowest[1]:,} bytes, {slowest[2].name}), its budget {render_budget(slowest[1]):.1f} s"
    )
    print(
        f"  at most {rate[0]:.2f} µs per byte (articles of 20 KB or more: {rate[1].name}); "
        f"under 20 KB at most {max((s for s, size, _ in rows if size < 20_000), default=0):.3f} s"
    )


def pathological(render: Callable[[str], str], name: str) -> None:
    for label, text in PATHOLOGICAL.items():
        budget = render_budget(len(text))
        started = time.thread_time()
        try:
            guarded(label, "rendering", lambda text=text: sanitize(render(text), base_url=BASE), budget=budget)
            outcome = "rendered"
        except publisher.ContentError as exc:
            outcome = "stopped by the budget" if exc.reason == "too slow" else f"refused ({exc.message})"
        took = time.thread_time() - started
        print(f"  {label:20} {took:6.2f} s CPU, {outcome} (budget {budget:.1f} s)")
        if name == "python-markdown" and outcome != "rendered" and not label.startswith(("'>", "'<")):
            parts = [text[: len(text) * n // 64] for n in (1, 2, 4)]
            sizes = [cpu(lambda part=part: render(part)) for part in parts]
            print(f"  {'':20} 1/64, 1/32, 1/16 of it: {', '.join(f'{s:.2f} s' for s in sizes)}")


def main(argv: list[str]) -> None:
    folders = [Path(a) for a in argv] or [
        ROOT.parent / "shared" / "corpora" / "nodejs-blog",
        ROOT.parent / "shared" / "seeds",
    ]
    for name, render in engines().items():
        print(f"{name}:")
        corpus([f for f in folders if f.is_dir()], render)
        pathological(render, name)


if __name__ == "__main__":
    main(sys.argv[1:])
