"""What the MkDocs plugin adds to `mkdocs build` of a 1,000-post Material blog, against mkdocs-rss-plugin
on the same site in the same build: cold, then after one edited post.

    .venv/bin/python benchmarks/mkdocs_blog.py --posts 1000 --runs 3

Each run writes the blog (``make_blog``: Material posts of ~4 KB with headings, a highlighted code
block, a list, a relative image, 3 tags of 100, 1-2 categories of 8, authors from .authors.yml), then
builds it in a fresh process with both plugins on, twice: cold (no site/, no state folder), then
after the newest post was edited. Each plugin's cost is the time spent in its own event handlers,
read off MkDocs' event table (``timed_build``), wall and CPU (the process's, every thread, and its
forked helper's), plus its module's import, measured apart in a fresh process; the whole build's time
is printed beside them,
and the garbage collector's CPU time within each plugin's handlers ("gc": a full collection walks
MkDocs' whole heap, and falls in whichever handler allocates when it is due).
Figures are medians of ``--runs``. CPU time is the steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
MKDOCS_YML = """site_name: Bench Blog
site_url: https://blog.example.org/
theme:
  name: material
plugins:
  - blog
  - tags
  - publisher
  - rss:
      match_path: "blog/posts/.*"
      use_git: false
      date_from_meta:
        as_creation: date.created
        as_update: date.updated
markdown_extensions:
  - attr_list
  - pymdownx.highlight
  - pymdownx.superfences
"""
PARAGRAPH = (
    "Field work {n} went as planned until the afternoon, when the logger on station {s} stopped "
    "answering. We walked the line, read the [calibration notes](https://example.com/notes/{n}) and "
    "found a connector full of water; the fix took an hour and a roll of tape."
)
CODE = (
    "```python\nimport csv\n\n\ndef read(path):\n    with open(path) as f:\n        return list(csv.reader(f))\n"
    '\n\nrows = read("station-{n}.csv")\n```'
)


def make_blog(folder: Path, posts: int) -> Path:
    """A Material blog of ``posts`` posts in ``folder``; returns the newest post's file."""
    docs = folder / "docs"
    (docs / "blog" / "posts" / "images").mkdir(parents=True, exist_ok=True)
    (folder / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (docs / "index.md").write_text("# Bench\n\nThe [blog](blog/index.md).\n", encoding="utf-8")
    (docs / "blog" / "index.md").write_text("# Blog\n", encoding="utf-8")
    (docs / "blog" / ".authors.yml").write_text(
        "authors:\n  ada:\n    name: Ada Quinn\n    description: Editor\n    avatar: https://blog.example.org/a.png\n"
        "  bo:\n    name: Bo Lindqvist\n    description: Engineer\n    avatar: https://blog.example.org/b.png\n",
        encoding="utf-8",
    )
    shutil.copy(
        HERE.parent / "tests" / "fixtures" / "mkdocs_blog" / "docs" / "blog" / "posts" / "images" / "diagram.png",
        docs / "blog" / "posts" / "images" / "diagram.png",
    )
    start, newest = date(2020, 1, 1), None
    for n in range(posts):
        day = start + timedelta(days=n * 2)
        tags = "".join(f"  - tag{(n * 7 + k * 13) % 100}\n" for k in range(3))
        categories = "".join(f"  - Category {c}\n" for c in sorted({n % 8, (n * 3) % 8}))
        body = "\n\n".join(
            [f"# Post {n}: notes from station {n % 40}", PARAGRAPH.format(n=n, s=n % 40), "<!-- more -->"]
            + [f"## Part {p}\n\n" + PARAGRAPH.format(n=n + p, s=p) for p in range(1, 5)]
            + [CODE.format(n=n), "- one\n- two\n- three", "![Station diagram](images/diagram.png)"]
        )
        author = "ada" if n % 3 else "bo"
        meta = f"---\ndate:\n  created: {day}\nauthors:\n  - {author}\ncategories:\n{categories}tags:\n{tags}---\n"
        newest = docs / "blog" / "posts" / f"post-{n:05d}.md"
        newest.write_text(meta + body + "\n", encoding="utf-8")
    assert newest is not None
    return newest


def cpu_seconds() -> float:
    """User + system CPU of this process and of its children that ended: publisher's forked helper
    renders half the pages of a cold build in a child process, whose time is part of what it costs."""
    used = os.times()
    return used.user + used.system + used.children_user + used.children_system


def timed_build(folder: str) -> dict[str, float]:
    """Build the site in this process; seconds spent in each plugin's event handlers, and in all."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    spent: dict[str, float] = defaultdict(float)
    collecting = [0.0, 0.0]  # CPU seconds spent in Python's garbage collector so far; when the current one began

    def collector(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting[1] = time.process_time()
        else:
            collecting[0] += time.process_time() - collecting[1]

    gc.callbacks.append(collector)
    start, cpu_start = time.perf_counter(), cpu_seconds()
    config = load_config(str(Path(folder) / "mkdocs.yml"))
    names = {id(plugin): name for name, plugin in config.plugins.items()}
    for event, methods in config.plugins.events.items():

        def timed(method, name):  # type: ignore[no-untyped-def]
            def run(*args, **kwargs):  # type: ignore[no-untyped-def]
                began, cpu, collected = time.perf_counter(), cpu_seconds(), collecting[0]
                try:
                    return method(*args, **kwargs)
                finally:
                    spent[name] += time.perf_counter() - began
                    spent[name + " cpu"] += cpu_seconds() - cpu
                    spent[f"{name} {method.__name__} cpu"] += cpu_seconds() - cpu
                    # A full collection walks MkDocs' whole heap (0.1-0.2 s at 1,000 posts): whichever
                    # handler happens to allocate when it falls due pays for it.
                    spent[name + " gc"] += collecting[0] - collected

            return run

        config.plugins.events[event] = [timed(m, names.get(id(getattr(m, "__self__", None)), "?")) for m in methods]
    config.plugins.on_startup(command="build", dirty=False)  # as `mkdocs build` does
    build(config)
    config.plugins.on_shutdown()
    spent["build"] = time.perf_counter() - start
    spent["build cpu"] = cpu_seconds() - cpu_start
    spent["build gc"] = collecting[0]
    gc.callbacks.remove(collector)
    return dict(spent)


def in_fresh_process(folder: Path, edited: Path | None = None) -> dict[str, float]:
    """One build in a fresh process; with ``edited``, a build, then that post edited, then the build measured
    in the same process, as `mkdocs serve` rebuilds after an edit (every module imported, the state open before)."""
    code = f"import json, sys; sys.path.insert(0, {str(HERE)!r}); from mkdocs_blog import timed_build, edit; "
    if edited is not None:
        code += f"timed_build({str(folder)!r}); edit({str(edited)!r}); "
    code += f"print(json.dumps(timed_build({str(folder)!r})))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def edit(post: str | Path) -> None:
    path = Path(post)
    path.write_text(path.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")


def import_seconds(module: str) -> float:
    """The import of a plugin's module alone, after MkDocs and Material (which both plugins import)."""
    code = (
        "import time, mkdocs.plugins, mkdocs.structure.pages, material.plugins.blog.plugin; "
        f"t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    )
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


# --outputs: what publisher writes. "defaults": no settings (the main feeds in three formats, the feeds
# page, every post in the yearly archives); "main": the main feeds and the feeds page only (archives off),
# closer to what mkdocs-rss-plugin writes (its 20 newest in RSS and JSON Feed, by creation and by update).
OUTPUTS = {"defaults": "  - publisher\n", "main": "  - publisher:\n      feeds:\n        archives: false\n"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--outputs", choices=sorted(OUTPUTS), default="defaults")
    parser.add_argument(
        "--serve", action="store_true", help="also an edit rebuilt in the process that built, as mkdocs serve does"
    )
    args = parser.parse_args()
    rows: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            newest = make_blog(folder, args.posts)
            config = folder / "mkdocs.yml"
            config.write_text(config.read_text(encoding="utf-8").replace("  - publisher\n", OUTPUTS[args.outputs]))
            cold = in_fresh_process(folder)
            edit(newest)
            edited = in_fresh_process(folder)
            served = in_fresh_process(folder, newest) if args.serve else {}
        for state, figures in (("cold", cold), ("edit", edited), ("serve edit", served)):
            if not figures:
                continue
            for name in ("publisher", "rss", "build"):
                rows[f"{state} {name}"].append(figures.get(name, 0.0))
                rows[f"{state} {name} cpu"].append(figures.get(f"{name} cpu", 0.0))
                rows[f"{state} {name} gc"].append(figures.get(f"{name} gc", 0.0))
        rows["import publisher"].append(import_seconds("publisher.integrations.mkdocs"))
        rows["import rss"].append(import_seconds("mkdocs_rss_plugin.plugin"))
    print(f"{args.posts} posts, --outputs {args.outputs}, {args.runs} runs (median, min-max seconds)")
    for name, values in rows.items():
        print(f"  {name:<22} {statistics.median(values):8.3f}   {min(values):.3f}-{max(values):.3f}")

    def median(name: str) -> float:
        return statistics.median(rows[name])

    for state in ("cold", "edit"):
        for kind in ("", " cpu"):
            ours = median(f"{state} publisher{kind}") + median("import publisher")
            theirs = median(f"{state} rss{kind}") + median("import rss")
            label = "CPU" if kind else "wall"
            print(
                f"  {state} ({label}): publisher adds {ours:.3f} s, "
                f"mkdocs-rss-plugin {theirs:.3f} s ({ours / theirs:.2f}x)"
            )
    for kind in ("", " cpu"):
        cold, edited = median(f"cold publisher{kind}"), median(f"edit publisher{kind}")
        print(f"  publisher ({'CPU' if kind else 'wall'}): an edit costs {edited / cold:.2f} of cold")
    cold, edited = (median(f"{state} publisher cpu") + median("import publisher") for state in ("cold", "edit"))
    print(f"  publisher (CPU with its import, what it adds): an edit costs {edited / cold:.2f} of cold")
    cold, edited = (median(f"{state} publisher cpu") - median(f"{state} publisher gc") for state in ("cold", "edit"))
    print(f"  publisher (CPU less the garbage collector's in its handlers): an edit costs {edited / cold:.2f} of cold")
    if args.serve:
        cold = median("cold publisher cpu") + median("import publisher")
        for label, less in (("CPU", 0.0), ("CPU less the collector's", median("serve edit publisher gc"))):
            served = median("serve edit publisher cpu") - less
            print(f"  publisher ({label}): an edit rebuilt as mkdocs serve does costs {served / cold:.2f} of cold")


if __name__ == "__main__":
    main()
