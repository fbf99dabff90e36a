"""`publisher init`: look at an existing content folder and write the publisher.toml that reads it.

What it looks at: the generator's own configuration file above the folder (hugo.toml,
_config.yml, pelicanconf.py, astro.config.mjs, eleventy.config.js) for the site's title, address,
time zone and article URLs; and every file's frontmatter, for the preset whose names fit, field
names the preset does not know ("newstitle"), and the few pages that have a title but no date.
Everything it guessed is said in a comment beside the setting, so a person can check it.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.presets import DEFAULT_EXCLUDE, PRESETS, Preset
from ..errors import ContentError
from .frontmatter import parse_other, split_text
from .permalinks import DATED_NAME

MOST = 0.5  # a key in at least this share of the files is the site's name for a field
PAGES = 0.1  # dateless pages are excluded by name when they are at most this share (or 3)
_ASSIGN = re.compile(r"^(?P<key>[A-Z_]+)\s*=\s*(?P<quote>['\"])(?P<value>.*?)(?P=quote)", re.MULTILINE)
# site: "https://..." or, with a deploy preview's variable first, site: process.env.X || "https://..."
_ASTRO_SITE = re.compile(r"\bsite\s*:\s*(?:[\w.]+\s*(?:\|\||\?\?)\s*)?(['\"`])(?P<value>https?://[^'\"`]+)\1")
# docusaurus.config.js: the top-level keys of the exported object (two spaces in), quoted.
_DOCUSAURUS_KEY = re.compile(r"^ {0,2}(?P<key>title|url|baseUrl)\s*:\s*(['\"`])(?P<value>[^'\"`]*)\2", re.MULTILINE)


@dataclass
class Survey:
    """What init found in a content folder."""

    folder: Path
    files: int = 0
    keys: Counter[str] = field(default_factory=Counter)
    preset: str | None = None
    reason: str = ""
    site_file: Path | None = None
    site: dict[str, Any] = field(default_factory=dict)  # title, url, timezone, permalink (as the generator says)
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    field_notes: dict[str, str] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    unreadable: int = 0
    notes: list[str] = field(default_factory=list)  # what init tells the person, beside what it wrote


def survey(folder: str | Path) -> Survey:
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentError(folder, None, "no such content folder", reason="missing folder")
    found = Survey(folder=folder.resolve())
    metas: list[tuple[str, dict[str, Any]]] = []
    headers = 0
    from . import scan

    for source in scan(folder, DEFAULT_EXCLUDE)[0]:
        try:
            text = Path(source.path).read_text(encoding="utf-8-sig")
            split = split_text(text, source.path, header_lines=True)
            meta = _yaml(split.block) if split.kind == "yaml" else parse_other(split, source.path)
        except (ContentError, OSError, UnicodeDecodeError, ValueError):
            found.unreadable += 1
            continue
        if not isinstance(meta, dict):
            found.unreadable += 1
            continue
        headers += split.kind == "headers"
        metas.append((source.rel, meta))
        found.keys.update(str(k) for k in meta)
    found.files = len(metas)
    found.site_file, generator = _site_file(found.folder)
    if headers > len(metas) / 2:
        found.preset = "pelican"
        found.reason = f'{headers} of {len(metas)} files start with Pelican\'s "Key: value" lines'
    elif generator is not None:
        found.preset, found.reason = generator.name, f"found {found.site_file}"
    else:
        scores = {p.name: sum(found.keys[m] for m in p.markers) for p in PRESETS.values() if p.name != "pelican"}
        best = max(scores, key=lambda name: scores[name])
        if scores[best]:
            markers = ", ".join(f"{m} {found.keys[m]}" for m in PRESETS[best].markers if found.keys[m])
            found.preset, found.reason = best, f"frontmatter keys only {PRESETS[best].generator} writes: {markers}"
    if found.site_file is not None:
        found.site = _site_settings(found.site_file, found.preset)
    _guess_fields(found, metas)
    return found


def _yaml(block: str) -> Any:
    from .frontmatter import _yaml as yaml_and_loader

    yaml, loader = yaml_and_loader()
    return yaml.load(block, Loader=loader)  # noqa: S506 - a safe loader


def _site_file(folder: Path) -> tuple[Path | None, Preset | None]:
    """The nearest generator configuration file in the folder or above it."""
    for parent in (folder, *folder.parents):
        for preset in PRESETS.values():
            for name in preset.site_files:
                if (parent / name).is_file():
                    return parent / name, preset
    return None, None


def _site_settings(path: Path, preset: str | None) -> dict[str, Any]:
    """title, url, timezone and permalink as the generator's own configuration gives them."""
    text = path.read_text(encoding="utf-8", errors="replace")
    data = _read_settings(path)
    site: dict[str, Any] = {}
    if preset == "hugo":
        site.update(
            url=data.get("baseURL") or data.get("baseurl"),
            title=data.get("title"),
            timezone=data.get("timeZone") or data.get("timezone"),
            permalinks=data.get("permalinks") or _hugo_file(path, "permalinks", site),
            languages=list(data.get("languages") or ()),
        )
    elif preset == "jekyll":
        url = data.get("url")
        if isinstance(url, str) and isinstance(data.get("baseurl"), str):
            url = url.rstrip("/") + "/" + data["baseurl"].strip("/")
        posts = (data.get("collections") or {}).get("posts") if isinstance(data.get("collections"), dict) else None
        permalink = posts.get("permalink") if isinstance(posts, dict) else None
        site.update(
            url=url,
            title=data.get("title") or data.get("name"),
            timezone=data.get("timezone"),
            permalink=permalink or data.get("permalink"),
        )
    elif preset == "pelican":
        values = {m.group("key"): m.group("value") for m in _ASSIGN.finditer(text)}
        published = path.with_name("publishconf.py")  # Pelican's settings for the live site win there
        if published.is_file() and published != path:
            more = published.read_text(encoding="utf-8", errors="replace")
            values.update({m.group("key"): m.group("value") for m in _ASSIGN.finditer(more) if m.group("value")})
            if values.get("SITEURL"):
                site["url_file"] = published
        site.update(
            url=values.get("SITEURL"),
            title=values.get("SITENAME"),
            timezone=values.get("TIMEZONE"),
            permalink=values.get("ARTICLE_URL"),
        )
    elif preset == "astro":
        match = _ASTRO_SITE.search(text)
        site.update(url=match.group("value") if match else None)
    elif preset == "docusaurus":
        keys: dict[str, str] = {}
        for found in _DOCUSAURUS_KEY.finditer(text):
            keys.setdefault(found.group("key"), found.group("value"))  # the first: the site's, not a navbar's
        url = keys.get("url")
        if url and keys.get("baseUrl", "/").strip("/"):
            url = url.rstrip("/") + "/" + keys["baseUrl"].strip("/")
        site.update(url=url, title=keys.get("title"))
    if preset in ("astro", "eleventy") and not site.get("title"):
        site.update(_starter_metadata(path.parent, site))
    return {k: v for k, v in site.items() if v}


# The site's name and address where the starter projects keep them: Astro's blog template
# (src/consts.ts: SITE_TITLE) and eleventy-base-blog (_data/metadata.js or .json: title, url).
_STARTER_FILES = (
    "src/consts.ts",
    "src/consts.js",
    "src/config.ts",
    *(f"{root}_data/{name}" for root in ("", "src/") for name in ("metadata.js", "metadata.json", "site.json")),
)
_STARTER_KEY = re.compile(
    r"\b(?P<key>SITE_TITLE|title|SITE_URL|url|website)[\"']?\s*[:=]\s*(['\"`])(?P<value>[^'\"`\n]+)\2"
)


def _starter_metadata(root: Path, known: dict[str, Any]) -> dict[str, Any]:
    for name in _STARTER_FILES:
        candidate = root / name
        if not candidate.is_file():
            continue
        found: dict[str, Any] = {}
        for match in _STARTER_KEY.finditer(candidate.read_text(encoding="utf-8", errors="replace")):
            key = "title" if "title" in match["key"].lower() else "url"
            if key == "url" and not match["value"].startswith(("http://", "https://")):
                continue
            found.setdefault(key, match["value"].strip())
        if found.get("title"):
            url = {} if known.get("url") or not found.get("url") else {"url": found["url"], "url_file": candidate}
            return {**url, "title": found["title"], "title_file": candidate}
    return {}


def authors_file(found: Survey) -> Path | None:
    """The generator's authors data: Docusaurus' blog/authors.yml, Jekyll's _data/authors.yml,
    Hugo's data/authors/ folder or data/authors.yaml."""
    if found.site_file is None:
        return None
    root = found.site_file.parent
    if root.name == "_default" and root.parent.name == "config":
        root = root.parent.parent
    places = {
        "docusaurus": [found.folder / f"authors{s}" for s in (".yml", ".yaml", ".json")],
        "jekyll": [root / "_data" / f"authors{s}" for s in (".yml", ".yaml", ".json", ".toml")],
        "hugo": [root / "data" / f"authors{s}" for s in ("", ".yaml", ".yml", ".toml", ".json")],
    }
    return next((p for p in places.get(found.preset or "", ()) if p.exists()), None)


def _hugo_file(site_file: Path, name: str, site: dict[str, Any]) -> Any:
    """A setting Hugo reads from its own file in the configuration folder (config/_default/permalinks.yaml);
    the file is noted in ``site`` as "<name>_file", for init's comment."""
    root = site_file.parent
    if root.name == "_default" and root.parent.name == "config":
        root = root.parent.parent
    for suffix in (".toml", ".yaml", ".yml", ".json"):
        candidate = root / "config" / "_default" / f"{name}{suffix}"
        if candidate.is_file():
            site[f"{name}_file"] = candidate
            return _read_settings(candidate)
    return None


def _read_settings(path: Path) -> dict[str, Any]:
    """A TOML, YAML or JSON settings file as a mapping ({} for one that cannot be read)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    data: Any = {}
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yml", ".yaml"):
            data = _yaml(text) or {}
        elif path.suffix == ".json":
            data = json.loads(text)
    except Exception:  # tomllib's, json's and PyYAML's errors: a file we cannot read gives nothing, not a crash
        data = {}
    return data if isinstance(data, dict) else {}


def _guess_fields(found: Survey, metas: list[tuple[str, dict[str, Any]]]) -> None:
    """Names the preset does not know for title and date; pages with a title and no date."""
    from ..model import DEFAULT_FIELDS

    rules = PRESETS[found.preset] if found.preset else None
    names = {**DEFAULT_FIELDS, **(rules.fields if rules else {})}
    dated_names = rules.dated_file_names if rules else True
    for name, word in (("title", "title"), ("published", "date")):
        aliases = {a.lstrip("!") for a in names[name]}
        covered = sum(1 for _, meta in metas if aliases & meta.keys())
        if name == "published" and dated_names:
            covered += sum(1 for rel, meta in metas if not aliases & meta.keys() and _dated(rel))
        if not metas or covered >= MOST * len(metas):
            continue
        candidates = [(n, k) for k, n in found.keys.items() if word in k.lower() and k not in aliases]
        if candidates:
            count, key = max(candidates)
            if count >= MOST * len(metas):
                found.fields[name] = (key, *names[name])
                found.field_notes[name] = f"{key!r} is in {count} of {len(metas)} files; {names[name][0]!r} in none"
    titles = {a.lstrip("!") for a in found.fields.get("title", names["title"])}
    dates = {a.lstrip("!") for a in found.fields.get("published", names["published"])}
    pages = [
        rel
        for rel, meta in metas
        if titles & meta.keys() and not dates & meta.keys() and not (dated_names and _dated(rel))
    ]
    if pages and len(pages) <= max(3, PAGES * len(metas)):
        found.pages = pages


def _dated(rel: str) -> bool:
    stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return DATED_NAME.fullmatch(stem) is not None


def write_config(content: str | Path, target: Path, *, url: str | None = None, title: str | None = None) -> Survey:
    """Survey ``content`` and write the publisher.toml that reads it to ``target``, never over a file."""
    from ..errors import ConfigError

    if target.exists():
        raise ConfigError(f"{target} already exists; not overwritten (move it away, or pass --config NEW_FILE)")
    try:
        found = survey(content)
    except ContentError as exc:
        raise ConfigError(f"--content: {exc}") from None
    text = config_text(found, target, url=url, title=title)
    import tomllib

    from ..config.toml import config_from_mapping

    try:  # read back as a build will read it: a file the next command refuses is not written
        config_from_mapping(tomllib.loads(text), base=target.resolve().parent, source=str(target))
    except ConfigError as exc:
        raise ConfigError(f"init: not written: {exc} (pass --url and --title with values a site can use)") from None
    try:
        with target.open("x", encoding="utf-8") as fh:  # "x": never over a file that appeared meanwhile
            fh.write(text)
    except FileExistsError:
        raise ConfigError(f"{target} already exists; not overwritten") from None
    except OSError as exc:
        raise ConfigError(f"{target}: cannot be written ({exc.strerror})") from None
    return found


def config_text(found: Survey, config_path: Path, *, url: str | None = None, title: str | None = None) -> str:
    """A commented publisher.toml that reads the surveyed folder; ConfigError without a site address."""
    from ..errors import ConfigError

    from_site = not url and bool(found.site.get("url"))
    url = url or found.site.get("url")
    if not url:
        where = f" ({found.site_file} has none)" if found.site_file else ""
        raise ConfigError(f"init: the site's public address is not known{where}; pass --url https://...")
    base = config_path.resolve().parent

    def shown(path: Path | str) -> str:
        """A path as publisher.toml gives it: relative to its folder (never this machine's layout)."""
        return Path(os.path.relpath(path, base)).as_posix()

    site_file = shown(found.site_file) if found.site_file else None
    url_file = (shown(found.site["url_file"]) if found.site.get("url_file") else site_file) if from_site else None
    if title:
        title_note = ""
    elif found.site.get("title"):
        title_file = found.site.get("title_file")
        title, title_note = found.site["title"], f"  # from {shown(title_file) if title_file else site_file}"
    else:
        title = found.folder.name
        where = f"{site_file} has no title" if site_file else "no generator configuration found"
        title_note = f"  # the content folder's name ({where}): write the site's real name here"
        found.notes.append(f'the title is the content folder\'s name, "{title}": {where}; pass --title or edit it')
    content = shown(found.folder)
    rules = PRESETS[found.preset] if found.preset else None
    from .site_permalinks import guessed_permalink

    permalink, why = guessed_permalink(found)
    # Where a reason names a file, it is named relative to publisher.toml too.
    local = [p for p in (found.site_file, found.site.get("permalinks_file"), found.folder) if p]
    reason, why = found.reason, why
    for path in local:
        reason, why = reason.replace(str(path), shown(path)), why.replace(str(path), shown(path))
    lines = [
        f"# publisher.toml written by `publisher init` from {content} ({found.files} files with frontmatter).",
        "# Every setting but title and url has a default; the comments say where each value came from.",
        "",
        f"title = {_toml(title)}{title_note}",
        f"url = {_toml(url)}" + (f"  # from {url_file}" if url_file else ""),
        f"content = {_toml(content)}",
        'output = "feeds"',
    ]
    if rules is not None:
        lines.append(f"preset = {_toml(rules.name)}  # {rules.generator}: {reason}")
    else:
        lines.append('# preset = "hugo"  # none fitted: publisher\'s own field names are used')
    lines.append(f"permalink = {_toml(permalink)}  # {why}")
    if found.site.get("timezone"):
        lines.append(f"timezone = {_toml(found.site['timezone'])}  # dates without an offset are in this zone")
    authors = authors_file(found)
    if authors is not None:
        lines.append(f"authors = {_toml(shown(authors))}  # author keys in articles become these names and links")
    excluded = rules.exclude if rules else DEFAULT_EXCLUDE
    whose = "the preset's" if rules else "publisher's default"
    if found.pages:
        lines.append("# Pages with a title but no date (a list page, an about page): not articles.")
        lines.append(f"exclude = {_toml([*excluded, *('/' + page for page in found.pages)])}")
    else:
        lines.append(f"# exclude = {_toml(list(excluded))}  # {whose}; files and folders that are not articles")
    lines += [
        "",
        "[feeds]",
        '# entry_id = "{url}"  # entry ids; to keep an old feed\'s ids, write its pattern here',
        "#   (changing ids later makes every reader show every article again as new)",
    ]
    if found.fields:
        lines += ["", "[fields]"]
        for name, names in found.fields.items():
            lines.append(f"{name} = {_toml(list(names))}  # {found.field_notes[name]}")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    """A TOML value: strings and lists of strings, in basic (double-quoted, escaped) form."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # JSON's string escapes are TOML's basic string's
