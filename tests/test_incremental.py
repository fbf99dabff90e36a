"""Incremental equals cold: after any sequence of edits, a build that reuses the state store writes
exactly the output folder a build from nothing writes.

Each example starts a small site and applies random edits (add, change, touch without change,
rename, delete, make invalid, make a draft, change the configuration, change a template, move
``now`` past a scheduled article, empty the output folder); after each one it builds incrementally into one folder and
from scratch (a new state folder) into another, and compares the two byte for byte. File times
are set explicitly, one second apart, so that an edit never hides in the one case the state store
documents it cannot see (same size, same mtime).
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import publisher
from tests.conftest import NOW, Site, sized

START = NOW - timedelta(days=5)
TEMPLATE = (
    '<!doctype html><html lang="en"><title>{{{{ site.title }}}}</title>'
    "<h1>{marker}</h1>{{% for e in entries %}}<p>{{{{ e.title }}}}</p>{{% endfor %}}</html>\n"
)
NAMES = [f"post-{i}.md" for i in range(6)]

# Few dates, so that edits often keep one (only the text changes) and years and schedules vary.
dates = st.sampled_from([-400, -30, -1, 0, 2]).map(lambda d: (START + timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ"))
words = st.sampled_from(["alpha", "beta", "gamma", "delta", "Ünïcode", "a & b", "<tag>"])
edits = st.one_of(
    st.tuples(
        st.just("write"),
        st.sampled_from(NAMES),
        words,
        dates,
        st.booleans(),
        st.lists(st.sampled_from(["x", "y", "z"]), max_size=2),
    ),
    st.tuples(st.just("retitle"), st.sampled_from(NAMES), words),
    st.tuples(st.just("touch"), st.sampled_from(NAMES)),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("delete"), st.sampled_from(NAMES)),
    st.tuples(st.just("invalid"), st.sampled_from(NAMES)),
    st.tuples(st.just("draft"), st.sampled_from(NAMES)),
    st.tuples(st.just("config"), words, st.booleans()),
    st.tuples(st.just("template"), words),
    st.tuples(st.just("later"), st.integers(min_value=1, max_value=5)),
    st.tuples(st.just("wipe")),
)


class Edited:
    """A site (from the site factory) that edits apply to, with a clock of its own for file times."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.root = site.root
        self.content = site.content
        self.clock = 1_700_000_000
        self.now = START
        self.configure("Inc", False)

    def tick(self, path: Path) -> None:
        self.clock += 1
        os.utime(path, (self.clock, self.clock))

    def configure(self, title: str, tags: bool) -> None:
        self.site.configure(title=title, url="https://inc.example.org/", feeds={"limit": 3, "tags": tags})

    def apply(self, edit: tuple) -> None:
        kind, *args = edit
        if kind == "write":
            name, title, date, featured, tags = args
            path = self.content / name
            path.write_text(
                f"---\ntitle: '{title}'\npublishDate: '{date}'\nfeatured: {str(featured).lower()}\n"
                f"tags: [{', '.join(tags)}]\n---\n{title} *body* of {name}.\n",
                encoding="utf-8",
            )
            self.tick(path)
        elif kind == "retitle" and (self.content / args[0]).exists():  # same date: only the text changes
            path = self.content / args[0]
            lines = path.read_text(encoding="utf-8").split("\n")
            lines[1], lines[-2] = f"title: '{args[1]}'", f"{args[1]} *body* again."
            path.write_text("\n".join(lines), encoding="utf-8")
            self.tick(path)
        elif kind == "touch" and (self.content / args[0]).exists():
            self.tick(self.content / args[0])
        elif kind == "rename" and (self.content / args[0]).exists() and args[0] != args[1]:
            os.replace(self.content / args[0], self.content / args[1])
        elif kind == "delete" and (self.content / args[0]).exists():
            (self.content / args[0]).unlink()
        elif kind == "invalid" and (self.content / args[0]).exists():
            path = self.content / args[0]
            path.write_text(
                path.read_text(encoding="utf-8").replace("publishDate: '", "publishDate: 'not "), encoding="utf-8"
            )
            self.tick(path)
        elif kind == "draft" and (self.content / args[0]).exists():
            path = self.content / args[0]
            path.write_text(
                path.read_text(encoding="utf-8").replace("---\n", "---\ndraft: true\n", 1), encoding="utf-8"
            )
            self.tick(path)
        elif kind == "config":
            self.configure(*args)
        elif kind == "template":
            folder = self.root / "templates"
            first = not folder.is_dir()
            folder.mkdir(exist_ok=True)
            (folder / "feeds-index.html.j2").write_text(TEMPLATE.format(marker=args[0]), encoding="utf-8")
            self.tick(folder / "feeds-index.html.j2")
            if first:
                self.site.configure(templates="templates")
        elif kind == "later":
            self.now += timedelta(days=args[0])
        elif kind == "wipe":  # the output folder emptied, as MkDocs empties site/ before every build
            shutil.rmtree(self.root / "warm", ignore_errors=True)

    def build(self, out: str, state: str) -> dict[str, bytes | None] | None:
        config = self.site.config(output=out, state_dir=state)
        try:
            publisher.build(config, now=self.now)
        except publisher.PublisherError as exc:
            # Every file invalid: nothing is written, so the last outputs stay (a cold build has none).
            assert "could be loaded" in str(exc)
            return None
        return tree(self.root / out)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file under ``folder`` with its bytes, and every folder (None): an empty one left behind counts."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


@settings(max_examples=sized(100, 25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(NAMES), words, dates, st.booleans()), min_size=1, max_size=4),
    st.lists(edits, min_size=1, max_size=6),
)
def test_an_incremental_build_writes_what_a_cold_build_writes(site, initial, steps):
    edited = Edited(site())
    try:
        for name, title, date, featured in initial:
            edited.apply(("write", name, title, date, featured, []))
        edited.build("warm", "state")
        for step, edit in enumerate(steps):
            edited.apply(edit)
            warm = edited.build("warm", "state")
            cold = edited.build(f"cold-{step}", f"cold-state-{step}")
            assert (warm is None) == (cold is None)
            assert warm == cold, (
                step,
                edit,
                sorted(set(warm) ^ set(cold)),
                [n for n in warm if n in cold and warm[n] != cold[n]],
            )
    finally:
        shutil.rmtree(edited.root, ignore_errors=True)  # up to 100 examples: keep no folder of them


def test_the_folder_of_the_last_tag_category_or_archive_feed_goes_with_it(site):
    blog = site(feeds={"tags": True, "categories": True})
    blog.add("old.md", title="Old", date="2024-05-01", tags="[x]", category="news")
    blog.add("new.md", title="New", date="2025-05-01")
    blog.build()
    assert {"tags", "categories", "archive"} <= set(tree(blog / "feeds"))
    blog.add("old.md", title="Old", date="2025-04-01")  # no tag, no category, and the 2024 archive goes
    blog.configure(feeds={"archives": False})
    blog.build()
    warm = tree(blog / "feeds")
    assert not {"tags", "categories", "archive"} & set(warm)
    publisher.build(blog.config(output="cold", state_dir="cold-state"), now=NOW)
    assert warm == tree(blog / "cold")
