"""What both plugins share: the host's settings read as publisher.toml's are, and its pages through the
public stages (select -> render_feeds -> write_feeds), with the week's digest beside them.

A host gives each page as an Article with its ``url`` and rendered ``html``; nothing here parses
Markdown or guesses a URL. Settings keep publisher.toml's names: top-level keys and the [feeds],
[fields], [html] and [digest] tables. Keys that only make sense for a content folder of Markdown
(``content``, ``permalink``, ``preset``, [markdown], ...) are refused, naming the key, as an unknown
key in publisher.toml is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from ..config import Config
from ..config.toml import config_from_mapping
from ..errors import ConfigError, EmptyDigest
from ..model import Article
from ..output import remove_outputs, write_feeds
from ..text import counted

log = logging.getLogger("publisher")

# publisher.toml's top-level keys that mean something to a host (the rest describe a content folder).
TOP_LEVEL = (
    "description",
    "language",
    "author",
    "author_email",
    "timezone",
    "icon",
    "logo",
    "output",
    "state_dir",
    "templates",
    "html_filters",
)
TABLES = ("feeds", "fields", "html", "digest")
DIGEST_FILES = frozenset({"digest.html", "digest.txt", "digest.eml"})


def host_config(
    settings: Mapping[str, Any],
    *,
    title: str,
    url: str,
    site_dir: Path,
    base: Path | None,
    source: str,
    defaults: Mapping[str, Any] | None = None,
) -> Config:
    """The Config of a host's site: ``settings`` shaped as publisher.toml (only TOP_LEVEL keys and
    TABLES), ``defaults`` taken from the host's own settings (its description, author, language)
    under them. ``output`` is a folder inside the built site (default ``feeds``), and the feeds are
    served from there unless [feeds] url says otherwise; ``static`` is the built site, so a cover's
    size is that of the file the host copied there."""
    unknown = sorted(set(settings) - set(TOP_LEVEL) - set(TABLES))
    if unknown:
        raise ConfigError(
            f"{source}: {unknown[0]!r} is not a setting of the plugin "
            f"(expected one of {', '.join(TOP_LEVEL + TABLES)}; the host gives the pages, their URLs and HTML)"
        )
    data: dict[str, Any] = {key: value for key, value in (defaults or {}).items() if value not in (None, "")}
    data.update({key: value for key, value in settings.items() if value is not None})
    output = str(data.pop("output", "feeds") or "")
    if Path(output).is_absolute() or PurePosixPath(output).is_absolute() or ".." in PurePosixPath(output).parts:
        raise ConfigError(  # site_dir / "/etc" is "/etc": the feeds would land outside the site, over what is there
            f"{source}: output {output!r} is not a folder inside the built site; "
            "name one relative to it, without '..' (the default is 'feeds')"
        )
    if not output.strip("/") and (data.get("feeds") or {}).get("index", "index.html") == "index.html":
        raise ConfigError(
            f"{source}: output '' puts the feeds page over the site's own index.html; "
            "name a folder (the default is 'feeds') or give the page another name (feeds: index: 'feeds.html')"
        )
    if not url.endswith("/"):
        url += "/"
    feeds = dict(data.get("feeds") or {})
    if "url" not in feeds:
        feeds["url"] = url + (output.strip("/") + "/" if output.strip("/") else "")
    data.update(title=title, url=url, feeds=feeds)
    data["output"] = str(site_dir / output)
    data["static"] = str(site_dir)
    data.setdefault("state_dir", str((base or site_dir.parent) / ".publisher"))
    return config_from_mapping(data, base=base, source=source)


def digest_days(days: Any, source: str, name: str) -> float | None:
    """A host's digest setting: the days the digest written with the feeds covers; unset or 0, no digest."""
    if not days:
        return None
    if isinstance(days, bool) or not isinstance(days, int | float) or days < 0:
        raise ConfigError(f"{source}: {name}: {days!r} is not a number of days (e.g. 7)")
    return float(days)


@dataclass(frozen=True)
class Published:
    """What ``publish`` did: the files it wrote, and what it made afresh rather than took from the store."""

    written: list[str]
    made: int = 0  # the files made (the others were found as written, or written from the bytes kept)
    entries: int = 0  # the articles whose feed entries were made (the others' were kept)


def summary(
    articles: list[Article], written: list[str], folder: str | Path | None, published: Published | None = None
) -> str:
    """What a host's build log says the plugin did: "publisher: 1 article, 5 files written to site/feeds",
    and with ``published``, what was made afresh: " (made: the entries of 1 article, 4 files)"."""
    line = f"publisher: {counted(len(articles), 'article')}, {counted(len(written), 'file')} written to {folder}"
    if published is not None:
        line += f" (made: the entries of {counted(published.entries, 'article')}, {counted(published.made, 'file')})"
    return line


def publish(articles: list[Article], config: Config, *, now: datetime | None = None) -> Published:
    """Every configured feed, the feeds page and the archives of ``articles``, written into the
    output folder (atomic, only what changed). An article that cannot be rendered is named once and
    left out, as in a build.

    The state folder's store (``publisher.Store``) keeps each page's HTML and entries, what each
    output was made of and its bytes, so the next call renders only the pages that changed and
    makes only the outputs that hold them, though the host hands over every page again and may
    have emptied the output folder (MkDocs does); every other output is written as it was kept."""
    from ..engine.store import Store
    from ..feeds import render_feeds

    # A damaged store is moved aside by the stage that finds it, which goes on against a fresh one. An article
    # render_feeds leaves out it names itself (saying it here again named it twice).
    with Store(config.state_folder) as store:
        store.take(articles, config)
        feeds = render_feeds(articles, config, now=now, store=store)
        written = write_feeds(feeds, config.output_folder, store=store)
    return Published(written, len(store.made), len(store.entries_made))


def write_week_digest(
    articles: list[Article], config: Config, *, days: float, now: datetime | None = None
) -> list[str]:
    """The digest of the last ``days`` (digest.html, .txt, .eml) and its web-archive page, written
    into the output folder, as ``publisher digest --days`` writes them. When nothing is new, the last
    digest's files are removed (a host may keep its output folder), so a weekly ``publisher send
    --message`` never sends an old issue again."""
    from ..newsletter import render_digest, write_digest_files

    moment = now or datetime.now(UTC)
    try:
        digest = render_digest(articles, config, now=moment, days=days)
    except EmptyDigest:
        since = moment - timedelta(days=days)
        log.info("publisher: no digest: nothing was published since %s", since.isoformat(timespec="minutes"))
        remove_outputs(DIGEST_FILES, config.output_folder)
        return []
    for problem in digest.problems:
        log.warning("publisher: digest check: %s", problem)
    return write_digest_files(digest, config)
