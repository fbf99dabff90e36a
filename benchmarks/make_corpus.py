"""Write N seed-like articles into DIR, deterministically (the same N gives the same bytes).

    python benchmarks/make_corpus.py 10000 /tmp/corpus-10k

Each article looks like the reference article: ~8 KB of Markdown with headings, lists, links,
`|WxH` sized images and a raw <video>; dates spread over ten years; 5% featured; 200 tags;
some titles carry mojibake (UTF-8 read as cp1252), as real imports do.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

WORDS = (
    "sora video model prompt camera light scene motion physics audio cameo remix invite app web creator "
    "studio frame render style texture portrait landscape cinematic anime realism detail shadow color "
    "grade lens focus depth story character dialogue sound effect world simulator release rollout "
    "feature guide review update beta platform social feed share edit export upload gallery"
).split()
TAGS = [f"topic-{i:03d}" for i in range(200)]
CATEGORIES = ["insights", "tutorials", "news", "reviews", "guides"]
START = datetime(2016, 1, 1, tzinfo=timezone.utc)
SPAN_SECONDS = 10 * 365 * 24 * 3600


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    parts = [sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(3, 6))]
    i = rng.randrange(len(parts))
    parts[i] += f" See [the {rng.choice(WORDS)} notes](/notes/{rng.choice(WORDS)}/) for **more**."
    return " ".join(parts)


def body(rng: random.Random, index: int) -> str:
    blocks: list[str] = []
    while sum(len(b) for b in blocks) < 7800:
        kind = rng.random()
        if kind < 0.08:
            blocks.append(f"### {sentence(rng, 5)[:-1]}")
        elif kind < 0.16:
            blocks.append("\n".join(f"{n}. {sentence(rng, 7)}" for n in range(1, rng.randint(3, 6))))
        elif kind < 0.21:
            w, h = rng.choice([(700, 521), (640, 360), (1200, 800)])
            blocks.append(
                f"![image-{index:05d}{len(blocks)}|{w}x{h}](https://img.example.org/{index}/{len(blocks)}.png)"
            )
        elif kind < 0.23:
            blocks.append(
                '<video controls width="700">\n'
                f'  <source src="https://img.example.org/videos/{index}-{len(blocks)}.mp4" type="video/mp4">\n'
                "</video>"
            )
        else:
            blocks.append(paragraph(rng))
    return "\n\n".join(blocks) + "\n"


def article(index: int, count: int) -> str:
    rng = random.Random(index)
    published = START + timedelta(seconds=SPAN_SECONDS * index // max(count, 1) + rng.randint(0, 3600))
    title = sentence(rng, rng.randint(4, 9))[:-1]
    if index % 17 == 0:  # mojibake, as the reference article has it
        title = title.replace(" ", "’s ", 1).encode("utf-8").decode("cp1252", errors="replace")
    tags = rng.sample(TAGS, rng.randint(1, 4))
    lines = [
        "---",
        f"slug: article-{index:06d}",
        f"title: {title!r}".replace("\\'", "''"),
        "author: Benchmark Writer",
        f"publishDate: '{published.strftime('%Y-%m-%dT%H:%M:%SZ')}'",
        "tags:",
        *[f"  - {t}" for t in tags],
        f"category: {rng.choice(CATEGORIES)}",
        f"featured: {'true' if index % 20 == 0 else 'false'}",
        f"seoDescription: {sentence(rng, 14)}",
        f"coverImage: https://img.example.org/covers/{index}.{rng.choice(['png', 'jpg', 'webp'])}",
        "---",
    ]
    return "\n".join(lines) + "\n" + body(rng, index)


def make_corpus(count: int, folder: str | Path) -> Path:
    folder = Path(folder)
    for index in range(count):
        sub = folder / f"{index // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"article-{index:06d}.md").write_text(article(index, count), encoding="utf-8")
    return folder


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.exit("usage: make_corpus.py N DIR")
    make_corpus(int(sys.argv[1]), sys.argv[2])
