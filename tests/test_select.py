from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from publisher import select
from tests.conftest import NOW, article

DAY = timedelta(days=1)


def slugs(articles):
    return [a.slug for a in articles]


def test_drafts_and_future_dated_articles_are_not_published():
    arts = [
        article("past", published=NOW - DAY),
        article("now", published=NOW),
        article("draft", published=NOW - DAY, draft=True),
        article("future", published=NOW + timedelta(seconds=1)),
    ]
    assert slugs(select(arts, now=NOW)) == ["now", "past"]


def test_newest_first_with_equal_dates_ordered_by_slug():
    arts = [
        article("b", published=NOW - DAY),
        article("c", published=NOW - DAY),
        article("a", published=NOW - DAY),
        article("new", published=NOW),
    ]
    assert slugs(select(arts, now=NOW)) == ["new", "a", "b", "c"]


def test_days_window():
    arts = [article(f"d{i}", published=NOW - i * DAY) for i in range(10)]
    assert slugs(select(arts, now=NOW, days=7)) == [f"d{i}" for i in range(7)]


def test_window_is_half_open_so_a_cut_off_article_is_in_exactly_one_window():
    cut = NOW - 3 * DAY
    arts = [
        article("at-cut", published=cut),
        article("before", published=cut - DAY),
        article("after", published=cut + DAY),
    ]
    first = select(arts, now=NOW, until=cut)
    second = select(arts, now=NOW, since=cut)
    assert slugs(first) == ["at-cut", "before"]
    assert slugs(second) == ["after"]


def test_until_never_reaches_past_now():
    arts = [article("future", published=NOW + DAY)]
    assert select(arts, now=NOW, until=NOW + 2 * DAY) == []


def test_featured_tag_category_and_limit():
    arts = [
        article("a", featured=True, tags=("News", "AI"), category="Insights", published=NOW - DAY),
        article("b", tags=("news",), category="tutorials", published=NOW - 2 * DAY),
        article("c", featured=True, published=NOW - 3 * DAY),
    ]
    assert slugs(select(arts, now=NOW, featured=True)) == ["a", "c"]
    assert slugs(select(arts, now=NOW, featured=False)) == ["b"]
    assert slugs(select(arts, now=NOW, tag="NEWS")) == ["a", "b"]
    assert slugs(select(arts, now=NOW, category="insights")) == ["a"]
    assert slugs(select(arts, now=NOW, limit=2)) == ["a", "b"]


def test_naive_window_bounds_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        select([], now=NOW, since=datetime(2025, 1, 1))


def test_now_defaults_to_the_clock():
    arts = [
        article("past", published=datetime(2000, 1, 1, tzinfo=timezone.utc)),
        article("far-future", published=datetime(2999, 1, 1, tzinfo=timezone.utc)),
    ]
    assert slugs(select(arts)) == ["past"]


def test_a_window_reaching_before_year_one_has_no_lower_bound():
    ancient = article("ancient", published=datetime(1, 10, 1, tzinfo=timezone.utc))
    assert select([ancient], now=NOW, days=1e9) == [ancient]
