"""The per-article boundary (publisher/guard.py): whatever one article's step raises becomes a named,
skipped article, and a step that runs past its CPU-time budget is stopped."""

from __future__ import annotations

import threading
import time

import pytest

import publisher
from publisher.errors import ContentError
from publisher.guard import guarded, render_budget, time_budget, without_failures
from publisher.markup.html import markdown_to_html
from tests.conftest import NOW, write_article


def spin(seconds: float) -> None:
    """Pure Python work for ``seconds`` of CPU time (what a pathological Markdown input does)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_step_returns_its_value_and_its_own_content_error_passes_through():
    assert guarded("a.md", "loading", lambda x: x * 2, 21) == 42
    error = ContentError("a.md", "title", "missing", line=2, reason="missing title")
    with pytest.raises(ContentError) as raised:
        guarded("a.md", "loading", lambda: (_ for _ in ()).throw(error))
    assert raised.value is error


def test_an_unexpected_exception_is_a_publisher_bug_naming_the_file():
    with pytest.raises(ContentError) as raised:
        guarded("content/post.md", "rendering", int, "not a number")
    assert raised.value.reason == "publisher bug"
    assert str(raised.value) == (
        "content/post.md: rendering failed (ValueError: invalid literal for int() with base "
        "10: 'not a number'); this is a bug in publisher, not in the file: please report it "
        "with this file"
    )
    assert isinstance(raised.value.__cause__, ValueError)


def test_recursion_is_nested_too_deeply_and_interrupts_pass_through():
    def recurse(n: int) -> int:
        return recurse(n + 1) + 1

    with pytest.raises(ContentError, match="content/deep.md: rendering: nested too deeply to process"):
        guarded("content/deep.md", "rendering", recurse, 0)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        guarded("a.md", "rendering", interrupted)


def test_a_step_over_its_budget_is_stopped_and_called_too_slow():
    started = time.thread_time()
    with pytest.raises(ContentError) as raised:
        guarded("slow.md", "rendering", spin, 30, budget=0.3)
    assert raised.value.reason == "too slow" and "took more than its 0.3 s" in str(raised.value)
    assert time.thread_time() - started < 5


def test_pathological_markdown_stops_within_its_budget():
    text = "[" * 50_000  # over 120 s in Python-Markdown
    started = time.thread_time()
    with pytest.raises(ContentError, match="too|took more"):
        guarded("brackets.md", "rendering", markdown_to_html, text, "python-markdown", budget=render_budget(len(text)))
    assert time.thread_time() - started < render_budget(len(text)) + 1


def test_the_budget_works_in_a_thread_of_its_own():
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            guarded("t.md", "rendering", spin, 30, budget=0.2)
        except ContentError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and outcome and outcome[0].reason == "too slow"


def test_a_block_that_ends_at_its_deadline_leaves_no_exception_behind():
    for _ in range(200):  # each one races the watchdog: it must fire inside the block or not at all
        try:
            with time_budget(0.001):
                spin(0.001)
        except BaseException as exc:  # noqa: BLE001 - RenderTimeout, raised inside the block, is fine
            assert type(exc).__name__ == "RenderTimeout"
    spin(0.2)  # a stray RenderTimeout would surface here


def test_without_failures_leaves_out_only_the_article_that_failed(config, caplog):
    articles = [publisher.Article(slug=s, title=s, published=NOW) for s in ("a", "b", "c")]
    errors: list[ContentError] = []

    def titles(kept):
        from publisher.guard import article_step

        return [article_step(a, "rendering", lambda a=a: 1 / 0 if a.slug == "b" else a.title) for a in kept]

    assert without_failures(articles, titles, errors) == ["a", "c"]
    assert [e.reason for e in errors] == ["publisher bug"] and "<article 'b'>" in str(errors[0])
    with pytest.raises(ContentError):
        without_failures(articles, titles, strict=True)


def test_an_article_whose_file_is_gone_by_render_time_is_skipped_and_the_feeds_are_written(tmp_path, config):
    for name in ("stays", "goes"):
        write_article(tmp_path, f"{name}.md", f"---\ntitle: {name}\npublishDate: 2025-01-01\n---\nBody.\n")
    articles = publisher.load_articles(tmp_path, config)
    (tmp_path / "goes.md").unlink()  # deleted between loading and rendering (an editor, a sync)
    errors: list[ContentError] = []
    feeds = publisher.render_feeds(articles, config, now=NOW, errors=errors)
    assert b"<title>stays</title>" in feeds["atom.xml"] and b"goes" not in feeds["atom.xml"]
    assert len(errors) == 1 and errors[0].path == str(tmp_path / "goes.md") and "cannot be read" in str(errors[0])
