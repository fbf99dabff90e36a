"""Articles -> the e-mail digest: subject, inlined HTML, plain text and a MIME message.

Rendering is pure (articles + config in, a Digest out). Featured articles come first as large
cards, the others as compact items. The HTML is kept under the size budget (Gmail clips larger
messages): over it, bodies give way to descriptions, then the oldest non-featured items give way
to an "and N more on the site" link, and the digest says so in ``notes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..config import Config
from ..content.permalinks import article_url
from ..errors import ConfigError, ContentError, EmptyDigest
from ..feeds import cover_enclosure
from ..guard import article_render, article_step, without_failures
from ..markup.html import summary
from ..model import Article, DigestState
from ..select import select, window
from ..templates import render_string, render_template, template_env
from ..text import join_names, repair_line
from ..urls import web_url
from .html import email_html
from .images import Derivative, cover_derivatives, known_shape, upscaled
from .inline import Inliner, default_inliner, keeping_merge_tags
from .message import WIRE, build_message, check_digest
from .webarchive import WebAddresses, issue_name, web_addresses, web_page

# An article dated before the previous digest's cut-off but written (or synced) after it still goes
# into the next --since-last digest, if it is dated at most this long before the cut-off.
LATE_ARRIVALS = timedelta(days=7)
WIDTH = 600  # the e-mail's width
COLUMN = WIDTH - 2 * 24  # inside the cards' padding
THUMB = 120


@dataclass(frozen=True)
class Digest:
    """One rendered digest: what to send (``message``, ``as_bytes()``), its parts, and what went into it.

    ``notes`` say what was changed to fit the size budget; ``problems`` are what the send-readiness
    check found (empty when it is ready to send).
    """

    subject: str
    preheader: str
    html: str
    text: str
    message: EmailMessage
    articles: tuple[Article, ...]  # in the order they appear
    left_out: int  # articles in the window that the limit or the size budget left out
    window: tuple[Article, ...]  # every article in the window: those in the digest and those left out
    since: datetime | None
    until: datetime
    notes: tuple[str, ...]  # what was changed to fit, for the person sending it
    problems: tuple[str, ...]  # what the send-readiness check found; empty when ready
    issue: str = ""  # "<date>-<slug>": the name of its web page (newsletter/<issue>.html) and its journal key
    web_html: str = ""  # the web archive page of this issue ("" when [digest] archive = false)
    # Files to write into the output folder with it: e-mail-sized images, the web page.
    files: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Bytes of HTML, as Gmail counts them for clipping."""
        return len(self.html.encode("utf-8"))

    def state(self, previous: DigestState | None = None) -> DigestState:
        """What the next --since-last digest needs: this cut-off, and the covered articles that could
        otherwise be offered again as late arrivals (those dated within LATE_ARRIVALS of it)."""
        horizon = self.until - LATE_ARRIVALS
        covered = {**(previous.sent if previous else {}), **{a.slug: a.published for a in self.window}}
        return DigestState(
            until=self.until,
            sent={s: p for s, p in covered.items() if p > horizon},
            message_id=self.message["Message-ID"],
        )

    def as_bytes(self) -> bytes:
        """The message as sent: CRLF line ends, RFC 2047 encoded headers (email.policy.SMTP)."""
        return self.message.as_bytes(policy=WIRE)


def render_digest(
    articles: Iterable[Article],
    config: Config,
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: float | None = None,
    featured_only: bool = False,
    limit: int | None = None,
    full_bodies: bool | None = None,
    inliner: Inliner | None = None,
    after: DigestState | None = None,
    for_subscribers: bool = False,
    errors: list[ContentError] | None = None,
    strict: bool = False,
) -> Digest:
    """The digest of the articles published in the window (see select); raises EmptyDigest if none.

    ``limit`` (default: config ``digest_limit``) caps the number of articles, featured ones kept first.
    ``after`` (the previous digest's state) makes it a --since-last digest: what was published after
    that digest's cut-off, plus what arrived late (dated up to LATE_ARRIVALS before the cut-off but
    not in that digest). Record ``digest.state(after)`` once it was sent. ``for_subscribers`` renders it
    for send_to_subscribers: each subscriber's own unsubscribe link goes where the marker is. An
    article that cannot be rendered is logged, appended to ``errors`` and left out (``strict=True``
    raises instead; see guard.py).
    """
    now = now or datetime.now(UTC)
    if config.digest.unsubscribe_url:
        from .subscribers import UNSUBSCRIBE_MARKER, list_url

        link = UNSUBSCRIBE_MARKER if for_subscribers else list_url(config.digest.unsubscribe_url)
        config = replace(config, digest=replace(config.digest, unsubscribe_url=link))
    if after is not None:
        late = after.until - LATE_ARRIVALS
        since = max(since, late) if since is not None else late
    since, upper = window(now, since=since, until=until, days=days)
    sent = after.sent if after is not None else {}
    chosen = [
        a
        for a in select(articles, now=now, since=since, until=upper, featured=True if featured_only else None)
        if a.slug not in sent
    ]
    items: dict[tuple[int, bool], dict[str, Any]] = {}  # rendered once, kept when a failed article is left out

    def produce(kept: list[Article]) -> Digest:
        if not kept:
            raise EmptyDigest("nothing was published in the digest's window")
        return _render(kept, config, since, upper, limit, full_bodies, inliner, items)

    # An article that cannot be rendered is reported and left out, as the loader does (guard.py).
    return without_failures(chosen, produce, errors, strict)


def _render(
    chosen: list[Article],
    config: Config,
    since: datetime | None,
    upper: datetime,
    limit: int | None,
    full_bodies: bool | None,
    inliner: Inliner | None,
    items: dict[tuple[int, bool], dict[str, Any]],
) -> Digest:
    ordered = [a for a in chosen if a.featured] + [a for a in chosen if not a.featured]
    limit = limit or config.digest.limit
    bodies = config.digest.full_bodies if full_bodies is None else full_bodies
    inliner = keeping_merge_tags(inliner or default_inliner())
    env = template_env(config)
    text_env = template_env(config, autoescape=False)
    notes: list[str] = []

    included = ordered[:limit]
    images = {a.key: article_step(a, "preparing the cover", cover_derivatives, a, config) for a in ordered[:limit]}
    pages = web_addresses(config, _subject(included, config), upper)
    while True:
        context = _context(included, len(chosen) - len(included), config, bodies, images, pages, items)
        html = inliner(render_template(config, "digest.html.j2", env=env, **context), base_url=config.site.url)
        size = len(html.encode("utf-8"))
        if size <= config.digest.budget:
            break
        if bodies:
            bodies = False
            notes.append(
                f"{size:,} bytes of HTML is over the {config.digest.budget:,}-byte budget: "
                "descriptions instead of whole articles"
            )
            continue
        droppable = [i for i, a in enumerate(included) if not a.featured]
        if not droppable:
            notes.append(
                f"{size:,} bytes of HTML is over the {config.digest.budget:,}-byte budget "
                "with only featured articles left"
            )
            break
        if len(included) == 1:  # a digest of nothing is no digest: the lone article stays, said so
            notes.append(
                f"{size:,} bytes of HTML is over the {config.digest.budget:,}-byte budget with one article "
                f"left ({included[0].slug}): raise [digest] budget or shorten its description"
            )
            break
        del included[droppable[-1]]  # the oldest non-featured article
        pages = web_addresses(config, _subject(included, config), upper)
    if len(included) < min(len(ordered), limit):
        notes.append(
            f"{min(len(ordered), limit) - len(included)} older articles left out to fit the budget; "
            "the digest links to " + ("its web page" if pages else "the site") + " for them"
        )

    text = render_template(config, "digest.txt.j2", env=text_env, **context)
    message = build_message(config, subject=context["subject"], html=html, text=text, date=upper)
    files = {d.name: d.data for a in included for d in images[a.key].values()}
    web = ""
    if pages:
        # The web page has no size budget: every article of the window, whole bodies as configured.
        web_context = _context(
            ordered[:limit],
            0,
            config,
            config.digest.full_bodies if full_bodies is None else full_bodies,
            images,
            pages,
            items,
            web=True,
        )
        web = web_page(render_template(config, "digest.html.j2", env=env, **web_context))
        files[pages.file] = web.encode("utf-8")
        files.update({d.name: d.data for a in ordered[:limit] for d in images[a.key].values()})
    return Digest(
        subject=context["subject"],
        preheader=context["preheader"],
        html=html,
        text=text,
        message=message,
        articles=tuple(included),
        left_out=len(chosen) - len(included),
        window=tuple(chosen),
        since=since,
        until=upper,
        notes=tuple(notes),
        problems=tuple(
            check_digest(html, message, budget=config.digest.budget) + _cover_problems(included, config, images)
        ),
        issue=issue_name(config, context["subject"], upper),
        web_html=web,
        files=files,
    )


def _cover_problems(
    included: Sequence[Article], config: Config, images: Mapping[str, Mapping[str, Derivative]]
) -> list[str]:
    """Covers stretched to a blur: a featured article's at the lead's width, the others' at the thumbnail's.
    A remote cover's size is known only when the article's body gives it (known_shape)."""
    problems = []
    for article in included:
        derived = images[article.key]
        if derived:
            source: tuple[int, int] | None = derived["lead"].source
        else:
            enclosure = cover_enclosure(article, config)
            source = known_shape(article, enclosure.url) if enclosure is not None else None
        problem = upscaled(article, WIDTH if article.featured else THUMB, source)
        if problem:
            problems.append(problem)
    return problems


def _subject(included: Sequence[Article], config: Config) -> str:
    lead = next((a for a in included if a.featured), None)
    where = f"{config.config_file}: [digest] subject" if config.config_file else "[digest] subject"
    subject = render_string(
        config, config.digest.subject, where, site=config.site, articles=included, lead=lead, count=len(included)
    )
    # One line, whatever the titles hold: a CR or LF must never start a new header.
    line = repair_line(subject)
    if not line.strip():  # a message without a subject is spam to every filter, and feedgen refuses it too
        raise ConfigError(f"{where}: {config.digest.subject!r} renders as an empty subject for this digest")
    return line


def _context(
    included: Sequence[Article],
    more: int,
    config: Config,
    bodies: bool,
    images: Mapping[str, Mapping[str, Derivative]],
    pages: WebAddresses | None,
    items: dict[tuple[int, bool], dict[str, Any]],
    web: bool = False,
) -> dict[str, Any]:
    link = campaign_link(config)
    for a in included:  # each article within its time budget (guard.py): one that fails is left out
        if (id(a), bodies) not in items:
            items[id(a), bodies] = article_render(
                a, "rendering for the digest", _item, config, bodies, link, images[a.key], renders=2
            )
    featured = [items[id(a), bodies] for a in included if a.featured]
    others = [items[id(a), bodies] for a in included if not a.featured]
    lead = (featured or others)[0]
    return {
        "site": config.site,
        "subject": _subject(included, config),
        "preheader": lead["description"],
        "featured": featured,
        "others": others,
        "more": more,
        # What the size budget left out is on the issue's web page, which has no budget.
        "more_url": link(pages.page) if pages else link(config.site.url),
        "more_label": "in the web version" if pages else "on the site",
        "home_url": link(config.site.url),
        "browser_url": None if web else config.digest.url or (pages.page if pages else None),
        "archive_url": pages.index if pages else None,
        "issue_date": pages.date if pages else None,
        "web": web,
        # The web page is public: no unsubscribe link (a subscriber's token must never be on it).
        "unsubscribe_url": None if web else config.digest.unsubscribe_url,
        "postal_address": config.digest.postal_address,
    }


def _item(
    article: Article, config: Config, bodies: bool, link: Any, derived: Mapping[str, Derivative]
) -> dict[str, Any]:
    url = article_url(article, config)
    enclosure = cover_enclosure(article, config)
    shape_w, shape_h = config.cover_shape
    cover = thumb = None
    if derived:
        cover, thumb = vars(derived["lead"].image), vars(derived["thumb"].image)
    elif enclosure is not None:
        shape_w, shape_h = known_shape(article, enclosure.url) or (shape_w, shape_h)
        cover = {"url": enclosure.url, "width": WIDTH, "height": round(WIDTH * shape_h / shape_w)}
        thumb = {"url": enclosure.url, "width": THUMB, "height": round(THUMB * shape_h / shape_w)}
    body = None
    if bodies:
        body = email_html(article, config, width=COLUMN, poster=_poster(article, config), link=link)
    local = config.local_time(article.published)
    return {
        "title": article.title,
        "url": link(url),
        "date": f"{local.day} {local:%B %Y}",
        "author": join_names(article.authors),  # "A, B and C"
        "description": summary(article, config=config),
        "cover": cover,
        "thumb": thumb,
        # Markup made safe by email/html.py (nh3); the template must not escape it again.
        "body_html": _markup(body) if body else None,
    }


def _poster(article: Article, config: Config) -> str | None:
    """The configured video poster field ([digest] video_poster) of the article, as an absolute URL."""
    value = article.extra.get(config.digest.video_poster) if config.digest.video_poster else None
    return web_url(value, article_url(article, config))  # the one URL policy (urls.py)


def _markup(html: str) -> Any:
    from markupsafe import Markup

    return Markup(html)  # noqa: S704 - sanitised by nh3 in email/html.py


def campaign_link(config: Config):  # type: ignore[no-untyped-def]
    """A function adding the configured UTM parameters to links to the site's own host only."""
    params = {
        k: v
        for k, v in (
            ("utm_source", config.digest.utm_source),
            ("utm_medium", config.digest.utm_medium),
            ("utm_campaign", config.digest.utm_campaign),
        )
        if v
    }
    host = urlsplit(config.site.url).hostname

    def link(url: str) -> str:
        parts = urlsplit(url)
        if not params or parts.hostname != host or parts.scheme not in ("http", "https"):
            return url
        query = parse_qsl(parts.query, keep_blank_values=True)
        present = {k for k, _ in query}
        query += [(k, v) for k, v in params.items() if k not in present]
        return urlunsplit(parts._replace(query=urlencode(query)))

    return link
