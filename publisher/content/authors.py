"""Author keys resolved from the site's authors file: Docusaurus' blog/authors.yml, Jekyll's
_data/authors.yml, Hugo's data/authors/<key>.{yaml,toml,json} (``authors`` in publisher.toml).

Each entry gives a display name and a web address; the keys are what articles write
(``authors: [hezi, gabrieldonadel]``). An entry's address is its ``url`` (or ``website``,
``link``, ``uri``), else its first social profile (Docusaurus' ``socials: {x: name}``).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ContentError
from .fields import kind
from .plain import plain_line

if TYPE_CHECKING:
    from .fields import Fields

log = logging.getLogger("publisher")

_NAME_KEYS = ("name", "display_name", "displayName", "title")
_URL_KEYS = ("url", "website", "link", "uri", "homepage", "web")
# Docusaurus' social shortcuts (docusaurus.io/docs/blog#authors): a handle becomes this address.
_SOCIALS = {
    "x": "https://x.com/{}",
    "twitter": "https://twitter.com/{}",
    "github": "https://github.com/{}",
    "linkedin": "https://www.linkedin.com/in/{}/",
    "bluesky": "https://bsky.app/profile/{}",
    "mastodon": "{}",
}
_SUFFIXES = (".yml", ".yaml", ".toml", ".json")
# Docusaurus 1 and Hexo give one author's address beside the name.
AUTHOR_URL_KEYS = ("authorURL", "author_url", "authorUrl")


def authors_of(fields: Fields) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, web addresses) of every author: a name, a list of names, or mappings with a name
    (``{name: A, url: ...}``); a key of the site's authors file gives that entry's name and address.
    A name is plain text (content/plain.py); a link in it is its address."""
    key, value = fields.raw("author")
    entries = value if isinstance(value, list) else [value]
    given = {e["name"]: e.get("url") for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)}
    if isinstance(value, dict):
        value = value.get("name")
        if value is not None and not isinstance(value, str):
            raise fields.error(key, "expected a name or a list of names")
    if isinstance(value, bool):
        raise fields.error(key, f"expected a name, got {kind(value)}")
    try:
        names = fields.names_list("author", "names", (key, value))[1] if value is not None else ()
    except ContentError:
        raise fields.error(key, "expected a name or a list of names") from None
    from .permalinks import web_address

    # Docusaurus 1 and Hexo give one author's address beside the name.
    beside = next((fields.meta[k] for k in AUTHOR_URL_KEYS if isinstance(fields.meta.get(k), str)), None)
    pairs: dict[str, str] = {}
    for name, url in resolve(names, fields.config.site.authors):
        text, link = plain_line(name)
        if text not in pairs:
            address = url or link or given.get(name) or (beside if len(names) == 1 else None)
            pairs[text] = web_address(address) or "" if isinstance(address, str) else ""
    links = tuple(pairs.values())
    return tuple(pairs), links if any(links) else ()


def resolve(names: tuple[str, ...], source: str | None) -> list[tuple[str, str | None]]:
    """(name, address) of each author: a key of the authors file gives its entry's, other names stay."""
    table = _table(source) if source else {}
    found: list[tuple[str, str | None]] = []
    for name in names:
        entry = table.get(name)
        found.append(entry if entry is not None else (name, None))
    return found


def _table(source: str) -> Mapping[str, tuple[str, str | None]]:
    try:
        info = os.stat(source)
    except OSError:
        return {}
    return _read(source, info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=8)  # keyed by the file's mtime and size: an edited file is read again
def _read(source: str, mtime_ns: int, size: int) -> Mapping[str, tuple[str, str | None]]:
    path = Path(source)
    raw: dict[str, Any] = {}
    if path.is_dir():  # Hugo's data/authors/: one file per author, named by its key
        for child in sorted(path.iterdir()):
            if child.suffix.lower() in _SUFFIXES:
                raw[child.stem] = _load(child)
    else:
        loaded = _load(path)
        raw = loaded if isinstance(loaded, dict) else {}
    table: dict[str, tuple[str, str | None]] = {}
    for key, entry in raw.items():
        if isinstance(entry, str):
            table[str(key)] = (entry, None)
        elif isinstance(entry, dict):
            name = next((entry[k] for k in _NAME_KEYS if isinstance(entry.get(k), str) and entry[k].strip()), str(key))
            table[str(key)] = (name, _address(entry))
    return table


def _address(entry: Mapping[str, Any]) -> str | None:
    from .permalinks import web_address

    for key in _URL_KEYS:
        found = web_address(entry.get(key)) if isinstance(entry.get(key), str) else None
        if found:
            return found
    socials = entry.get("socials")
    if isinstance(socials, dict):
        for network, handle in socials.items():
            if isinstance(handle, str) and handle:
                template = "{}" if handle.startswith(("http://", "https://")) else _SOCIALS.get(str(network))
                found = web_address(template.format(handle)) if template else None
                if found:
                    return found
    return None


def _load(path: Path) -> Any:
    """A data file's contents; {} (with a warning) for one that cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() == ".toml":
            return tomllib.loads(text)
        if path.suffix.lower() == ".json":
            return json.loads(text)
        from .frontmatter import _yaml

        yaml, loader = _yaml()
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except Exception as exc:  # OSError, and tomllib's, json's and PyYAML's errors: named, never fatal
        log.warning("%s: authors cannot be read (%s); author keys stay as written", path, exc)
        return {}
