"""The article URLs a generator's own settings give, as a publisher permalink (for `publisher init`).

Jekyll's ``permalink`` (and its named styles), Hugo's ``[permalinks]`` (in hugo.toml or its own
file in config/_default/, per section or under ``page``), Pelican's ``ARTICLE_URL`` and an
Eleventy folder's data file are translated token by token; a token publisher has no placeholder
for leaves the generator's usual address, which init says to check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

from ..config.presets import PRESETS


class Found(Protocol):
    """What a translation reads of init's survey (content/survey.py's Survey)."""

    folder: Path
    preset: str | None
    site: dict[str, Any]
    site_file: Path | None


_LANGUAGE = re.compile(r"[a-z]{2}(-[A-Za-z]{2,4})?")


def guessed_permalink(found: Found) -> tuple[str, str]:
    """(permalink, why): the generator's own URL setting translated, else its default under the folder's section."""
    rules = PRESETS[found.preset] if found.preset else None
    section = _section(found)
    own = found.site.get("permalink")
    if found.preset == "jekyll" and isinstance(own, str):
        styles = {
            "date": "/:categories/:year/:month/:day/:title:output_ext",
            "pretty": "/:categories/:year/:month/:day/:title/",
            "none": "/:categories/:title:output_ext",
        }
        pattern = styles.get(own, own)
        for token, ours in (
            (":categories", "{category}"),
            (":year", "{year}"),
            (":month", "{month}"),
            (":day", "{day}"),
            (":title", "{slug}"),
            (":slug", "{slug}"),
            (":output_ext", ".html"),
        ):
            pattern = pattern.replace(token, ours)
        if ":" not in pattern:
            return pattern, f"from permalink in {found.site_file}"
    hugo = found.site.get("permalinks")
    if found.preset == "hugo" and isinstance(hugo, dict) and section:
        translated = _hugo_permalink(hugo, section)
        if translated:
            return translated, f"from [permalinks] in {found.site.get('permalinks_file') or found.site_file}"
    if found.preset == "pelican" and isinstance(own, str):
        pattern = own.replace("{date:%Y}", "{year}").replace("{date:%m}", "{month}").replace("{date:%d}", "{day}")
        try:
            pattern.format(slug="s", year="y", month="m", day="d", category="c")
            return "/" + pattern.lstrip("/"), f"from ARTICLE_URL in {found.site_file}"
        except (KeyError, IndexError, ValueError):
            pass
    if found.preset == "eleventy":
        data = found.folder / f"{found.folder.name}.json"
        try:
            own = json.loads(data.read_text(encoding="utf-8")).get("permalink")
        except (OSError, ValueError, AttributeError):
            own = None
        if isinstance(own, str) and re.fullmatch(r"[\w/{}. -]*\{\{\s*page\.fileSlug\s*\}\}[\w/. -]*", own):
            return re.sub(r"\{\{\s*page\.fileSlug\s*\}\}", "{slug}", own), f"from permalink in {data}"
    default = rules.permalink if rules else "/{slug}/"
    if found.preset in ("astro", "docusaurus") or not section:
        return default, f"{rules.generator if rules else 'publisher'}'s usual address; check it against the live site"
    return f"/{section}{default}", f"the folder's section ({section}) and {rules.generator if rules else 'the'} default"


# Hugo's permalink tokens (gohugo.io/configuration/permalinks) -> publisher's placeholders, longest first.
_HUGO_TOKENS = (
    (":slugorcontentbasename", "{slug}"),  # the Hugo preset's slug: the frontmatter's, else the file name
    (":slugorfilename", "{slug}"),
    (":contentbasename", "{filename}"),  # a bundle's folder name, else the file name without extension
    (":filename", "{filename}"),
    (":year", "{year}"),
    (":month", "{month}"),
    (":day", "{day}"),
    (":slug", "{slug_or_title}"),  # the frontmatter slug, else the title as Hugo's urlize makes it
    (":title", "{title}"),
)


def _hugo_permalink(permalinks: dict[str, Any], section: str) -> str | None:
    """The section's pattern of Hugo's [permalinks] (``blog = ...`` or ``[permalinks.page] blog = ...``)
    in publisher's placeholders; None when it uses a token publisher has no placeholder for."""
    top = section.split("/")[0]
    page = permalinks.get("page")
    given = permalinks.get(top)
    if not isinstance(given, str) and isinstance(page, dict):
        given = page.get(top)
    if not isinstance(given, str):
        return None
    # :sections is the article's sections: the top one and, below it, the folders that hold it.
    pattern = given.replace(":sections", f"{top}/{{folder}}").replace(":section", top)
    for token, ours in _HUGO_TOKENS:
        pattern = pattern.replace(token, ours)
    return None if ":" in pattern else "/" + pattern.lstrip("/")


def _section(found: Found) -> str:
    """The folder's path under the generator's content root: content/en/blog -> "blog"."""
    if found.site_file is None:
        return ""
    root = found.site_file.parent
    if root.name == "_default" and root.parent.name == "config":  # Hugo's config/_default/hugo.yaml
        root = root.parent.parent
    try:
        parts = list(found.folder.relative_to(root.resolve()).parts)
    except ValueError:
        return ""
    roots = {"hugo": ("content",), "eleventy": ("src", "content", "site"), "jekyll": (), "pelican": ("content",)}
    if parts and parts[0] in roots.get(found.preset or "", ()):
        parts = parts[1:]
    if found.preset == "jekyll":  # _posts is never part of a Jekyll URL (the folders above it are categories)
        parts = [part for part in parts if part != "_posts"]
    if len(parts) > 1 and (_LANGUAGE.fullmatch(parts[0]) and (parts[0] in found.site.get("languages", [parts[0]]))):
        parts = parts[1:]  # Hugo's content/en/blog: the default language has no prefix
    return "/".join(parts)
