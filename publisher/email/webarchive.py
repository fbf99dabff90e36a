"""The newsletter's web archive: each issue as a web page, an index of past issues, an Atom feed of them.

Readers expect "view this e-mail in your browser" and a page of past issues. Each digest that is
written or sent becomes ``newsletter/<date>-<slug>.html`` in the output folder: the same template
and look, every article of the window (a web page has no size budget), no unsubscribe link (the
page is public; a subscriber's token must never be on it) and none of the attributes HTML5 made
obsolete that e-mail clients still need. The index and the feed are made from the pages present in
the folder, so deleting a page takes it out of both at the next digest.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from lxml import html as lxml_html

from ..config import Config
from ..output import write_files
from ..templates import render_template, template_env
from ..text import slugify

FOLDER = "newsletter"
INDEX = f"{FOLDER}/index.html"
FEED = f"{FOLDER}/atom.xml"
# Presentational attributes e-mail clients (Outlook above all) need and HTML5 made obsolete: dropped on
# the web page, where the inlined CSS and the <style> block give the same look.
OBSOLETE = {
    "table": ("width", "cellpadding", "cellspacing", "border", "align", "bgcolor"),
    "td": ("width", "align", "valign", "bgcolor", "height"),
    "img": ("border",),
}


class DigestLike(Protocol):
    @property
    def html(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def web_html(self) -> str: ...
    @property
    def files(self) -> Mapping[str, bytes]: ...

    def as_bytes(self) -> bytes: ...


@dataclass(frozen=True)
class WebAddresses:
    """Where an issue is on the web: its page's file (in the output folder) and URL, and the index's URL."""

    file: str
    page: str
    index: str
    date: str  # the issue's date (the window's end), ISO 8601: the page's dcterms.date


def issue_name(config: Config, subject: str, until: datetime) -> str:
    """``2026-11-25-the-lead-title``: the window's end (site time) and the subject, ASCII only."""
    ascii_subject = unicodedata.normalize("NFKD", subject).encode("ascii", "ignore").decode()
    slug = slugify(ascii_subject)[:60].rstrip("-_") or "issue"
    return f"{until.astimezone(config.tz):%Y-%m-%d}-{slug}"


def web_addresses(config: Config, subject: str, until: datetime) -> WebAddresses | None:
    """The issue's page and the index, or None when the archive is turned off ([digest] archive = false)."""
    if not config.digest.archive:
        return None
    file = f"{FOLDER}/{issue_name(config, subject, until)}.html"
    return WebAddresses(
        file=file,
        page=config.feeds_base + file,
        index=config.feeds_base + INDEX,
        date=until.astimezone(config.tz).isoformat(),
    )


def web_page(html: str) -> str:
    """The digest template's output as a valid HTML5 page: obsolete presentational attributes removed."""
    tree = lxml_html.document_fromstring(html)
    for tag, names in OBSOLETE.items():
        for element in tree.iter(tag):
            for name in names:
                if name in element.attrib:
                    del element.attrib[name]
    return str(lxml_html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")) + "\n"


@dataclass(frozen=True)
class Issue:
    """One past issue as the index and the feed list it."""

    file: str  # relative to the output folder
    url: str
    title: str
    summary: str
    date: datetime


def _meta(tree: lxml_html.HtmlElement, name: str) -> str:
    """The content of the page's first <meta name=...>, "" when there is none."""
    element = tree.find(f".//meta[@name='{name}']")
    return element.get("content", "") if element is not None else ""


def read_issue(file: str, data: bytes, config: Config) -> Issue | None:
    """An issue page's title, description and date, from its <head>; None for a page that is not one."""
    try:
        tree = lxml_html.document_fromstring(data)
        when = datetime.fromisoformat(_meta(tree, "dcterms.date"))
    except ValueError:  # an empty or foreign page, or no date
        return None
    summary = _meta(tree, "description")
    return Issue(
        file=file,
        url=config.feeds_base + file,
        title=(tree.findtext(".//title") or "").strip(),
        summary=summary,
        date=when,
    )


def archive_files(
    config: Config, output_dir: str | Path, new_pages: Mapping[str, bytes] | None = None
) -> dict[str, bytes]:
    """The index page and the Atom feed of every issue page in ``output_dir`` plus ``new_pages`` (the
    pages about to be written, {file: bytes}), newest first."""
    folder = Path(output_dir) / FOLDER
    pages = {
        f"{FOLDER}/{p.name}": p.read_bytes()
        for p in (sorted(folder.glob("*.html")) if folder.is_dir() else [])
        if p.name != Path(INDEX).name
    }
    pages.update({f: d for f, d in (new_pages or {}).items() if f.startswith(f"{FOLDER}/") and f.endswith(".html")})
    issues = [i for f, d in pages.items() if (i := read_issue(f, d, config)) is not None]
    ordered = sorted(issues, key=lambda i: (i.date, i.file), reverse=True)
    return {INDEX: index_page(ordered, config).encode("utf-8"), FEED: issues_feed(ordered, config)}


def index_page(issues: Iterable[Issue], config: Config) -> str:
    env = template_env(config)
    return render_template(
        config,
        "newsletter-index.html.j2",
        env=env,
        site=config.site,
        issues=list(issues),
        feed_url=config.feeds_base + FEED,
    )


def issues_feed(issues: list[Issue], config: Config) -> bytes:
    """Atom 1.0: one entry per issue, linking its page; deterministic (updated = the newest issue)."""
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed_url = config.feeds_base + FEED
    feed.id(feed_url)
    feed.title(f"{config.site.title}: newsletter")
    title = config.site.title
    # "the The Go Blog newsletter" reads wrong: a title with its own article keeps it.
    named = title if title.lower().startswith(("the ", "a ", "an ")) else f"the {title}"
    feed.subtitle(f"Every issue of {named} newsletter, as a web page")
    feed.author(
        {
            "name": config.site.author or config.site.title,
            **({"email": config.site.author_email} if config.site.author_email else {}),
        }
    )
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.link(href=config.feeds_base + INDEX, rel="alternate", type="text/html")
    feed.language(config.site.language)
    feed.generator("publisher")
    newest = issues[0].date if issues else datetime(1970, 1, 1).astimezone(config.tz)
    feed.updated(newest)
    for issue in reversed(issues):  # feedgen lists the last added first
        entry = feed.add_entry()
        entry.id(issue.url)
        entry.title(issue.title)
        entry.link(href=issue.url, rel="alternate", type="text/html")
        entry.published(issue.date)
        entry.updated(issue.date)
        if issue.summary:
            entry.summary(issue.summary)
    atom: bytes = feed.atom_str(pretty=True)
    return atom


def digest_outputs(digest: DigestLike, config: Config, output_dir: str | Path | None = None) -> dict[str, bytes]:
    """Every file a written digest puts in the output folder: digest.html, .txt and .eml, its e-mail-sized
    images, and (unless [digest] archive = false) its web page with the index and feed of past issues."""
    files = {
        "digest.html": digest.html.encode("utf-8"),
        "digest.txt": digest.text.encode("utf-8"),
        "digest.eml": digest.as_bytes(),
    }
    return {**files, **web_outputs(digest, config, output_dir)}


def web_outputs(digest: DigestLike, config: Config, output_dir: str | Path | None = None) -> dict[str, bytes]:
    """What a sent digest leaves on the web: its images, its page, the index and the feed of past issues."""
    files = dict(digest.files)
    if digest.web_html:
        files.update(archive_files(config, output_dir or config.output_folder, digest.files))
    return files


def write_digest_files(digest: DigestLike, config: Config, output_dir: str | Path | None = None) -> list[str]:
    """Write every file of ``digest_outputs`` under ``output_dir`` (else [site] output), each atomically and
    only when its bytes changed; returns the names rewritten. The digest's own writer: ``write_feeds``
    writes feeds."""
    out = config.output_folder if output_dir is None else Path(output_dir)
    return write_files(digest_outputs(digest, config, out), out)
