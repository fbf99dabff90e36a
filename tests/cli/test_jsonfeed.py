"""`publisher build` on the bundled site: every feed it writes reads cleanly and every JSON Feed is valid."""

from __future__ import annotations

import json
import shutil

import feedparser

from tests.conftest import ROOT
from tests.test_jsonfeed import SEED_COVER, json_feed_validator, valid_json_feed


def test_bundled_site_feeds_all_read_cleanly(tmp_path, cli):
    """The example site as `publisher build` writes it: every XML feed bozo == 0, every JSON feed valid."""
    validator = json_feed_validator()
    site = tmp_path / "site"  # a copy: the state folder is made beside the configuration, not in the checkout
    site.mkdir()
    shutil.copy(ROOT / "publisher.toml", site / "publisher.toml")
    shutil.copytree(ROOT / "content", site / "content")
    out = tmp_path / "feeds"
    assert cli.on(site, "build", "--out", out, "-q").code == 0
    xml_feeds = sorted(out.rglob("*.xml"))
    json_feeds = sorted(out.rglob("*.json"))
    subscribable = [p for p in xml_feeds if p.parent.name != "archive"]  # archives are Atom only (RFC 5005)
    assert len(subscribable) == 2 * len(json_feeds) and (out / "feed.json").is_file()
    assert (out / "index.html").is_file()
    for path in xml_feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    for path in json_feeds:
        feed = valid_json_feed(validator, path.read_bytes())
        assert feed["items"], path
        # The same entries, in the same order, as the Atom feed it stands beside.
        atom = path.parent / ("atom.xml" if path.name == "feed.json" else path.name[: -len("json")] + "atom.xml")
        entries = feedparser.parse(atom.read_bytes()).entries
        assert [(i["id"], i["title"]) for i in feed["items"]] == [(e.id, e.title) for e in entries], path
    seed = next(i for i in json.loads((out / "feed.json").read_bytes())["items"] if "sora2-app-guide" in i["id"])
    assert seed["image"] == SEED_COVER and seed["attachments"][0]["url"] == SEED_COVER
    again = cli.on(site, "build", "--out", out, "-v")
    assert again.code == 0 and ": 0 written," in again.err  # JSON feeds and the feeds page included
