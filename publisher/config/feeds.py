"""[feeds]: the section of the settings that says which feed files a build writes (see config/sections.py
for how a section's fields are defined and used)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..addresses import no_line_breaks
from ..errors import ConfigError
from ..urls import web_url
from . import checks
from .sections import about


@dataclass(frozen=True)
class Feeds:
    """[feeds]: which feed files are written, their names, entry ids, WebSub hubs and archives.
    A file name or pattern of "" turns that feed off: not written, linked, announced or pinged."""

    url: str | None = field(
        default=None, metadata=about("Where the feeds are served (self links and feed ids); unset: `url` + `feeds/`.")
    )
    limit: int = field(default=50, metadata=about("Entries per feed: the newest published articles."))
    entry_id: str = field(
        default="{url}",
        metadata=about(
            "Entry ids: a template with the permalink's placeholders and `{url}`, e.g. `tag:example.org,2019:{slug}`; "
            "a frontmatter `id` wins. Feed readers know entries by id: **changing it makes every reader show every "
            "article again as new**, so keep the old feed's pattern when moving a site."
        ),
    )
    atom: str = field(
        default="atom.xml",
        metadata=about(
            'File name of the main Atom feed; `""` turns it off everywhere (not written, linked, announced or '
            "pinged), as for every file name and pattern here."
        ),
    )
    rss: str = field(default="rss.xml", metadata=about("File name of the main RSS feed."))
    # None: featured.atom.xml (and .rss.xml, .json) only while some article is featured; a name: always.
    featured_atom: str | None = field(
        default=None,
        metadata=about(
            "File name of the Atom feed of featured articles. Featured feeds left unset are made only while some "
            "article is featured; named, always."
        ),
    )
    featured_rss: str | None = field(default=None, metadata=about("File name of the RSS feed of featured articles."))
    tags: bool = field(default=False, metadata=about("One Atom, RSS and JSON feed per tag."))
    categories: bool = field(default=False, metadata=about("One Atom, RSS and JSON feed per category."))
    tag_pattern: str = field(
        default="tags/{slug}.{format}.xml", metadata=about("File names of tag feeds; `{format}` is `atom` or `rss`.")
    )
    category_pattern: str = field(
        default="categories/{slug}.{format}.xml",
        metadata=about("File names of category feeds; `{format}` is `atom` or `rss`."),
    )
    hub: tuple[str, ...] = field(
        default=(),
        metadata=about(
            "WebSub hub address, or a list of them: announced in every feed, notified by `publisher build --ping`."
        ),
    )
    archives: bool = field(
        default=True,
        metadata=about(
            "RFC 5005 archives: every published article in its year's Atom archive, chained from the main feed."
        ),
    )
    archive_pattern: str = field(
        default="archive/{year}.atom.xml", metadata=about("File names of the archives; must contain `{year}`.")
    )
    # JSON Feed 1.1: "{format}.xml" patterns would name them .json.xml, hence patterns of their own.
    json: str = field(default="feed.json", metadata=about("File name of the main JSON Feed."))
    featured_json: str | None = field(default=None, metadata=about("File name of the JSON Feed of featured articles."))
    tag_json_pattern: str = field(default="tags/{slug}.json", metadata=about("File names of tag JSON Feeds."))
    category_json_pattern: str = field(
        default="categories/{slug}.json", metadata=about("File names of category JSON Feeds.")
    )
    index: str = field(
        default="index.html",
        metadata=about('File name of the feeds page (for people who open a feed in a browser); `""` for none.'),
    )

    def __post_init__(self) -> None:
        checks.check_types(self, "feeds")
        if self.url is not None and not self.url.endswith("/"):
            object.__setattr__(self, "url", self.url + "/")
        if self.limit < 1:
            raise ConfigError(f"[feeds] limit: {self.limit} must be 1 or more")
        _check_files(self)
        checks.addresses_as_uris(self, {"url": "feeds_url"})
        hubs = (self.hub,) if isinstance(self.hub, str) else self.hub
        if not all(isinstance(hub, str) and hub.startswith(("http://", "https://")) for hub in hubs):
            raise ConfigError(
                f"[feeds] hub: {self.hub!r} is not valid (expected an absolute http(s) address or a list of them)"
            )
        object.__setattr__(self, "hub", tuple(hubs))
        checks.check_placeholders("[feeds] archive_pattern", self.archive_pattern, ("year",))
        if self.archive_pattern:
            checks.check_output_name("[feeds] archive_pattern", self.archive_file(2025))
        try:
            self.archive_file(2025)
        except (KeyError, IndexError, ValueError):
            raise ConfigError(f"[feeds] archive_pattern: {self.archive_pattern!r} may use only {{year}}") from None
        if self.archive_pattern and "{year}" not in self.archive_pattern:
            raise ConfigError(
                f"[feeds] archive_pattern: {self.archive_pattern!r} needs {{year}} (one archive per year)"
            )

    def archive_file(self, year: int) -> str:
        return self.archive_pattern.format(year=f"{year:04d}")


def _check_files(feeds: Feeds) -> None:
    """[feeds] url one line and http(s); the entry id a pattern; file names that would overwrite each other,
    or patterns that cannot be filled in, are errors."""
    if isinstance(feeds.url, str):
        no_line_breaks(feeds.url, "[feeds] url")
        if web_url(feeds.url) is None:
            raise ConfigError(f"[feeds] url: {feeds.url!r} is not an absolute http(s) address")
    checks.check_pattern("[feeds] entry_id", feeds.entry_id, url="x")
    files = {
        "atom": "[feeds] atom",
        "rss": "[feeds] rss",
        "json": "[feeds] json",
        "featured_atom": "[feeds] featured_atom",
        "featured_rss": "[feeds] featured_rss",
        "featured_json": "[feeds] featured_json",
        "index": "[feeds] index",
    }
    seen: dict[str, str] = {}
    for name, label in files.items():
        value = getattr(feeds, name)
        if value:
            checks.check_output_name(f"[feeds] {name}", value)
        if value and value in seen:
            raise ConfigError(f"{label}: {value!r} is also {seen[value]}; every feed needs a file of its own")
        seen[value] = label
    for name, label, needs in (
        ("tag_pattern", "[feeds] tag_pattern", "{slug} and {format}"),
        ("category_pattern", "[feeds] category_pattern", "{slug} and {format}"),
        ("tag_json_pattern", "[feeds] tag_json_pattern", "{slug}"),
        ("category_json_pattern", "[feeds] category_json_pattern", "{slug}"),
    ):
        pattern = getattr(feeds, name)
        if pattern == "":
            continue  # none of these feeds
        checks.check_placeholders(label, pattern, None)
        try:
            filled = {pattern.format(slug=slug, format=fmt) for slug in ("a", "b") for fmt in ("atom", "rss")}
        except (KeyError, IndexError, ValueError):
            filled = set()
        if len(filled) != (4 if "format" in needs else 2):
            raise ConfigError(f"{label}: {pattern!r} must contain {needs} (and no other {{...}})")
        for example in sorted(filled):
            checks.check_output_name(f"[feeds] {name}", example)


def check_output_folders(feeds: Feeds, newsletter_archive: bool) -> None:
    """No output file has the name of a folder that another output is written into (``atom = "tags"``
    with tag feeds on): one of the two could never be written, on every build."""
    # (label, pattern as written, one file name it gives), for every output that is on.
    outputs = [(f"[feeds] {name}", getattr(feeds, name), getattr(feeds, name)) for name in _FEED_FILES]
    switched = {"tag": feeds.tags, "category": feeds.categories}
    for name in ("tag_pattern", "tag_json_pattern", "category_pattern", "category_json_pattern"):
        if switched[name.split("_")[0]]:
            pattern = getattr(feeds, name)
            outputs.append((f"[feeds] {name}", pattern, pattern.replace("{slug}", "a").replace("{format}", "atom")))
    if feeds.archives:
        outputs.append(("[feeds] archive_pattern", feeds.archive_pattern, feeds.archive_file(2025)))
    if newsletter_archive:
        outputs.append(("the newsletter's web archive", "newsletter/", "newsletter/index.html"))
    files = [(label, file) for label, file, _ in outputs if file and "{" not in file and not file.endswith("/")]
    for label, file in files:
        for other, pattern, example in outputs:
            if example and example.startswith(f"{file}/"):  # "" turns an output off
                raise ConfigError(
                    f"{label}: {file!r} is also the folder of {other} ({pattern!r}); "
                    "a file and a folder cannot share a name"
                )


_FEED_FILES = ("atom", "rss", "json", "featured_atom", "featured_rss", "featured_json", "index")
