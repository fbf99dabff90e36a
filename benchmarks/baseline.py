"""The baseline: the script a user would write with the same libraries, without publisher.

    python benchmarks/baseline.py CONTENT OUT [NOW]

frontmatter.load every file, sort newest first, Markdown + feedgen for the newest 50 into
atom.xml and rss.xml, and a 7-day digest (Markdown bodies in one HTML page) through premailer
into digest.html. Written the obvious way, as the python-frontmatter, Python-Markdown, feedgen
and premailer documentation show, with the same Markdown extensions publisher uses; no caching.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import frontmatter
import markdown
import premailer
from feedgen.feed import FeedGenerator

SITE = "https://bench.example.org/"
EXTENSIONS = ["tables", "fenced_code", "footnotes", "attr_list", "sane_lists"]
DIGEST_CSS = """
body { font-family: Georgia, serif; color: #222; max-width: 640px; margin: 0 auto; }
h1 { font-size: 28px; } h2 { font-size: 22px; margin-top: 32px; } h3 { font-size: 18px; }
p { line-height: 1.5; } img { max-width: 100%; height: auto; } a { color: #0645ad; }
"""


def published(post: frontmatter.Post) -> datetime:
    value = post.get("publishDate") or post.get("date")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def main(content: str, out: str, now: datetime) -> None:
    posts = [frontmatter.load(path) for path in sorted(Path(content).rglob("*.md"))]
    posts = [p for p in posts if not p.get("draft") and published(p) <= now]
    posts.sort(key=published, reverse=True)

    fg = FeedGenerator()
    fg.id(SITE)
    fg.title("Bench")
    fg.link(href=SITE, rel="alternate")
    fg.description("Bench")
    for post in posts[:50]:
        url = f"{SITE}{post['slug']}/"
        fe = fg.add_entry(order="append")
        fe.id(url)
        fe.title(post["title"])
        fe.link(href=url)
        fe.published(published(post))
        fe.summary(post.get("seoDescription", ""))
        fe.content(markdown.markdown(post.content, extensions=EXTENSIONS), type="html")
    Path(out).mkdir(parents=True, exist_ok=True)
    fg.atom_file(str(Path(out) / "atom.xml"), pretty=True)
    fg.rss_file(str(Path(out) / "rss.xml"), pretty=True)

    week = [p for p in posts if published(p) > now - timedelta(days=7)]
    sections = "".join(f"<h2>{p['title']}</h2>{markdown.markdown(p.content, extensions=EXTENSIONS)}" for p in week)
    page = f"<html><head><style>{DIGEST_CSS}</style></head><body><h1>This week</h1>{sections}</body></html>"
    Path(out, "digest.html").write_text(premailer.transform(page, base_url=SITE), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: baseline.py CONTENT OUT [NOW]")
    moment = datetime.fromisoformat(sys.argv[3]) if len(sys.argv) == 4 else datetime.now(UTC)
    main(sys.argv[1], sys.argv[2], moment)
