from __future__ import annotations

import json

import feedparser
import jsonschema
import pytest

from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "jsonfeed"
SEED_COVER = "https://img.aiphotoprompt.net/2025/10/70a3f8b02f7d468bf61d8d3335014049.png"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads((FIXTURES / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def valid_json_feed(validator, data: bytes) -> dict:
    feed = json.loads(data.decode("utf-8"))
    errors = sorted(validator.iter_errors(feed), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    return feed


def test_bundled_site_feeds_all_read_cleanly(validator, tmp_path, cli):
    """The example site as `publisher build` writes it: every XML feed bozo == 0, every JSON feed valid."""
    out = tmp_path / "feeds"
    assert cli.on(ROOT, "build", "--out", out, "-q").code == 0
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
    again = cli.on(ROOT, "build", "--out", out, "-v")
    assert again.code == 0 and ": 0 written," in again.err  # JSON feeds and the feeds page included
