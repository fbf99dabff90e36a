"""What each static site generator calls things: field names, drafts, excluded files, file names.

``preset = "hugo"`` in publisher.toml (or ``Site(preset="hugo")``) reads a folder the way that
generator does; ``publisher init`` picks one by looking at the frontmatter (see ``guess``). A
preset only sets defaults: ``[fields]`` and ``exclude`` in the config still win.

Sources, for when a generator changes: Astro's blog template and content collections docs; Hugo's
front matter reference (gohugo.io/content-management/front-matter/); Jekyll's posts and front
matter docs (jekyllrb.com/docs/posts/); Eleventy's data docs (11ty.dev/docs/dates/); Pelican's
content docs (docs.getpelican.com/en/latest/content.html).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import NOT_AN_ARTICLE, ContentError

# Files that are never articles in any layout: the folder's README, partials and section pages
# (Hugo's _index.md, Jekyll's _drafts), hidden files. Matched against each part of a file's path
# under the content folder, case-insensitively.
DEFAULT_EXCLUDE: tuple[str, ...] = ("README*", "_*", ".*")

# Frontmatter keys that make a file a redirect stub (Hugo's redirect pages, jekyll-redirect-from,
# Eleventy and Netlify redirects): never an article, whatever else it holds.
REDIRECT_KEYS = frozenset({"redirect", "redirect_to", "redirectTo", "redirect_url", "redirectURL", "redirect-to"})
# Keys that only say where a page lives; a file with nothing else is not an article.
PLACEMENT_KEYS = frozenset(
    {"aliases", "redirect_from", "layout", "permalink", "url", "type", "sitemap", "outputs", "_build", "build"}
)


def not_an_article(meta: Mapping[str, Any], path: str | Path | None) -> ContentError | None:
    """Why a file is not an article (a redirect stub, a page that only says where it lives), if so."""
    redirect = REDIRECT_KEYS.intersection(meta)
    if redirect:
        key = sorted(redirect)[0]
        return ContentError(path, None, f"not an article ({key}: {meta[key]!r})", reason=NOT_AN_ARTICLE)
    if meta and set(meta) <= PLACEMENT_KEYS:
        return ContentError(path, None, f"not an article (only {', '.join(sorted(meta))})", reason=NOT_AN_ARTICLE)
    return None


@dataclass(frozen=True)
class Preset:
    """How one generator's content folder is read."""

    name: str
    generator: str  # the generator's own name, for messages and init's comments
    # Frontmatter names per Article field, over publisher's defaults (model.DEFAULT_FIELDS).
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    # A "YYYY-MM-DD-slug.md" file name gives the date (when the frontmatter has none) and the slug
    # without the date, as Jekyll and Eleventy read it; Hugo and Astro keep the whole name.
    dated_file_names: bool = True
    # Frontmatter keys whose text is a list: Jekyll's "tags: a b", Pelican's "Tags: a, b".
    separators: Mapping[str, str] = field(default_factory=dict)
    # Pelican's Markdown metadata: "Key: value" lines at the top instead of a fenced block.
    header_lines: bool = False
    # Pelican makes the slug from the title, not the file name.
    slug_from_title: bool = False
    # Jekyll reads dates with Ruby's Time.parse, which takes the date, time and offset it finds
    # and skips the rest ("2023-01-29 18:30:22 2023 -0800" is a post jekyllrb.com publishes).
    lenient_dates: bool = False
    # What init writes as the permalink (after the site's section folder, if any).
    permalink: str = "/{slug}/"
    # Frontmatter keys only this generator writes: init counts them to pick the preset.
    markers: tuple[str, ...] = ()
    # The generator's own configuration files, which init reads for the site's title and url.
    site_files: tuple[str, ...] = ()
    # Docusaurus 3 reads every .md file as MDX (its markdown.format "mdx"): imports, JSX comments.
    mdx: bool = False
    # Without a title in the frontmatter, the body's first "# Heading" is the title (Docusaurus).
    title_from_heading: bool = False


PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        "astro": Preset(
            name="astro",
            generator="Astro",
            fields={
                "published": ("pubDate", "pubDatetime", "publishDate", "date", "published"),
                "updated": ("updatedDate", "modDatetime", "updated", "lastmod"),
                "description": ("description", "summary", "excerpt"),
                "cover_image": ("heroImage", "cover", "image", "ogImage", "coverImage"),
                # A content collection's id is the entry's short name ("nix-0.9"), never a feed id.
                "id": (),
            },
            dated_file_names=False,
            permalink="/blog/{slug}/",
            markers=("pubDate", "heroImage", "pubDatetime", "modDatetime", "updatedDate", "ogImage"),
            site_files=("astro.config.mjs", "astro.config.ts", "astro.config.js", "astro.config.mts"),
        ),
        "hugo": Preset(
            name="hugo",
            generator="Hugo",
            fields={
                "published": ("date", "publishDate", "pubDate"),
                "updated": ("lastmod", "updated", "modified"),
                "description": ("description", "summary"),
                "cover_image": ("images", "image", "cover", "featured_image", "featuredImage", "thumbnail"),
                "category": ("categories", "category"),
            },
            dated_file_names=False,
            permalink="/{path}/",
            markers=("lastmod", "linkTitle", "weight", "aliases", "expiryDate", "images", "series"),
            site_files=(
                "hugo.toml",
                "hugo.yaml",
                "hugo.json",
                "config.toml",
                "config.yaml",
                "config/_default/hugo.toml",
                "config/_default/hugo.yaml",
                "config/_default/config.toml",
                "config/_default/config.yaml",
            ),
        ),
        "jekyll": Preset(
            name="jekyll",
            generator="Jekyll",
            fields={
                "published": ("date",),
                "updated": ("last_modified_at", "updated", "modified", "lastmod"),
                "description": ("description", "excerpt", "summary"),
                "cover_image": ("image", "cover", "header"),
                # Jekyll hides a post with "published: false"; "!" reads the flag the other way round.
                "draft": ("draft", "!published"),
                # jekyll-import writes the old WordPress feed's guid: keeping it keeps readers' state.
                "id": ("guid",),
            },
            separators={"tags": " ", "categories": " "},
            lenient_dates=True,
            permalink="/{category}/{year}/{month}/{day}/{slug}.html",
            markers=("permalink", "last_modified_at", "redirect_from", "excerpt_separator"),
            site_files=("_config.yml", "_config.yaml", "_config.toml"),
        ),
        "eleventy": Preset(
            name="eleventy",
            generator="Eleventy",
            fields={"published": ("date",), "draft": ("draft", "eleventyExcludeFromCollections")},
            exclude=(*DEFAULT_EXCLUDE, "node_modules"),
            permalink="/{path}/",
            markers=("eleventyNavigation", "eleventyExcludeFromCollections", "eleventyComputed", "eleventyImport"),
            site_files=("eleventy.config.js", "eleventy.config.mjs", ".eleventy.js", "eleventy.config.cjs"),
        ),
        "docusaurus": Preset(
            name="docusaurus",
            generator="Docusaurus",
            fields={
                "published": ("date",),
                "updated": ("last_update", "lastmod", "updated"),
                "description": ("description", "summary"),
                "cover_image": ("image",),
                # unlisted posts are left out of the blog's lists and feeds, as drafts are
                "draft": ("draft", "unlisted"),
                "id": (),  # a post's id is a short name, never a feed id
            },
            # Docusaurus' blog URL: the frontmatter slug, else the file's path with its date as folders
            # (docusaurus.io/docs/blog#blog-post-date; 2021-08-26-welcome/index.md -> 2021/08/26/welcome).
            permalink="/blog/{dated_path}",
            markers=("hide_table_of_contents", "authors", "unlisted", "sidebar_label", "toc_max_heading_level"),
            site_files=(
                "docusaurus.config.js",
                "docusaurus.config.ts",
                "docusaurus.config.mjs",
                "docusaurus.config.cjs",
            ),
            mdx=True,
            title_from_heading=True,
        ),
        "pelican": Preset(
            name="pelican",
            generator="Pelican",
            fields={
                "published": ("date",),
                "updated": ("modified", "updated"),
                "author": ("authors", "author"),
                "description": ("summary", "description"),
                "cover_image": ("image", "cover", "og_image"),
                "draft": ("status", "draft"),
            },
            separators={"tags": ",", "authors": ",", "keywords": ","},
            header_lines=True,
            dated_file_names=False,
            slug_from_title=True,
            permalink="/{slug}.html",
            markers=("status", "modified", "summary"),
            site_files=("pelicanconf.py", "publishconf.py"),
        ),
    }
)

# Reading without a preset: publisher's own defaults.
DEFAULT_PRESET = Preset(name="", generator="publisher")


def preset_named(name: str | None) -> Preset:
    """The preset of that name (None or "" for publisher's defaults); KeyError for an unknown one."""
    return PRESETS[name] if name else DEFAULT_PRESET


def known_presets() -> Iterable[str]:
    return PRESETS.keys()
