"""Time the feed rendering alone, in-process, with the Markdown step fixed: what "render once, reuse
everywhere" saves, apart from loading and Markdown.

    .venv/bin/python benchmarks/make_corpus.py 10000 /tmp/corpus-10k
    .venv/bin/python benchmarks/feeds.py /tmp/corpus-10k                    # render_feeds, --runs times
    .venv/bin/python benchmarks/feeds.py /tmp/corpus-10k --budget 64        # plan + render_output, Parts(budget=64 MB)

Tag and category feeds and archives are on (632 outputs at 2,000 articles and more). Bodies are
read into memory and every article's HTML is rendered once before timing; the timed runs take it
from there, so what is timed is planning, the pieces and the documents. Prints the median
wall and CPU time (CPU is steadier when other processes share the machine) and, for the seam,
the most text the Parts kept and how many pieces it made.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import publisher
from publisher.config import Feeds, Site
from publisher.feeds import Parts, last_uses, plan_outputs, render_output
from publisher.markup.html import render_html
from publisher.select import select

NOW = datetime(2025, 12, 30, tzinfo=UTC)


class MeasuredParts(Parts):
    """Parts that remember the most text they kept and count the pieces they made."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.peak = 0
        self.made = 0

    def piece(self, article, name, make):  # type: ignore[no-untyped-def]
        def counted(*args):  # type: ignore[no-untyped-def]
            self.made += 1
            return make(*args)

        result = super().piece(article, name, counted)
        self.peak = max(self.peak, self.size)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, metavar="MB", help="render through the seam with this Parts budget")
    args = parser.parse_args()
    config = publisher.Config(
        site=Site(title="Bench", url="https://bench.example.org/"),
        feeds=Feeds(tags=True, categories=True, archives=True),
    )
    loaded = publisher.load_articles(args.folder, config)
    articles = [publisher.Article(**{name: getattr(a, name) for name in a.__dataclass_fields__}) for a in loaded]
    html = {article.key: render_html(article, config) for article in select(articles, now=NOW)}
    walls, cpus = [], []
    for _ in range(args.runs):
        wall, cpu = time.perf_counter(), time.process_time()
        made = seam(articles, config, html, None if args.budget is None else int(args.budget * 1e6))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"{len(articles)} articles: {made}; wall {statistics.median(walls):.2f} s "
        f"(min {min(walls):.2f}), CPU {statistics.median(cpus):.2f} s (min {min(cpus):.2f})"
    )


def seam(articles: list[publisher.Article], config: publisher.Config, html: dict[str, str], budget: int | None) -> str:
    """What a render of feeds does: plan, render each output, release each article after its last one."""
    outputs = plan_outputs(select(articles, now=NOW), config)
    parts = MeasuredParts(config, lambda article: html[article.key], budget=budget)
    for output, done in zip(outputs, last_uses(outputs), strict=True):
        render_output(output, config, parts)
        for article in done:
            parts.release(article)
    return f"{len(outputs)} outputs, Parts kept at most {parts.peak / 1e6:.0f} MB of text, made {parts.made} pieces"


if __name__ == "__main__":
    main()
