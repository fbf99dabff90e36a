"""The documentation: the generated pages are current, every example in it runs or parses with
today's code, the README stays a front door (8 KB) that links into docs/, and the site builds."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request

import pytest

import publisher
from publisher.cli import build_parser
from publisher.config import Fields
from publisher.config.settings import SECTIONS
from publisher.config.toml import config_from_mapping
from tests.conftest import ROOT
from tests.pages import DOCS, GENERATED, code_blocks, publisher_args, read, written_pages

REGENERATE = "python docs/generate.py"


def generator():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_pages_are_current(tmp_path):
    pages = generator().PAGES
    assert set(pages) == GENERATED
    generator().generate(tmp_path)
    stale = [name for name in sorted(pages) if (tmp_path / name).read_bytes() != (DOCS / name).read_bytes()]
    assert not stale, f"docs/{', docs/'.join(stale)} no longer match the code: run `{REGENERATE}` and commit them"


def test_the_generator_reports_only_the_pages_it_changed(tmp_path):
    module = generator()
    assert sorted(module.generate(tmp_path)) == sorted(GENERATED)
    assert module.generate(tmp_path) == []
    (tmp_path / "cli.md").write_text("edited by hand\n", encoding="utf-8")
    assert module.generate(tmp_path) == ["cli.md"]


def settings() -> list[tuple[str, str, str, str]]:
    """(table, key, attribute, description) of every setting, from the section fields."""
    return [
        (
            "" if name == "site" else name,
            f.metadata["key"] or f.name,
            f"config.{name}.{f.name}",
            f.metadata["description"],
        )
        for name, kind in SECTIONS.items()
        for f in dataclasses.fields(kind)
    ]


def test_every_config_key_has_a_description():
    missing = [f"[{t}] {k}" if t else k for t, k, _, text in settings() if not text]
    assert not missing, (
        f"publisher.config.sections has no description of {', '.join(missing)}: add one, then run `{REGENERATE}`"
    )
    assert all(text.strip().endswith(".") for *_, text in settings())


def test_the_configuration_page_names_every_key_and_its_attribute():
    page = read("configuration.md")
    for table, key, attribute, text in settings():
        section = page.split(f"## [{table}]\n" if table else "## Top level\n", 1)[1].split("\n## ", 1)[0]
        assert f"| `{key}` |" in section and f"| `{attribute}` | {text} |" in section, (table, key)


def test_the_cli_page_has_every_command_and_flag():
    page = read("cli.md")
    (subparsers,) = [a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction"]
    for name, parser in subparsers.choices.items():
        section = page.split(f"## publisher {name}\n", 1)[1].split("\n## ", 1)[0]
        for action in parser._actions:
            for option in set(action.option_strings) - {"-h", "--help"}:  # every command has those
                assert f"`{option}" in section, f"docs/cli.md: publisher {name} {option} is missing"


def test_the_api_page_has_every_public_name():
    page = read("api.md")
    for name in set(publisher.__all__) - {"__version__"}:
        assert f"\n### {name}\n" in page, name


def command_lines() -> list[tuple[str, str]]:
    found = []
    for name in written_pages():
        text = read(name)
        for block in code_blocks(text, "sh") + code_blocks(text, "console") + code_blocks(text, "cron"):
            for line in block.splitlines():
                line = line.removeprefix("$ ")
                if not line.startswith("#") and publisher_args(line) is not None:
                    found.append((name, line))
    return found


@pytest.mark.parametrize("page, line", command_lines())
def test_every_command_in_the_docs_parses_with_todays_flags(page, line):
    args = publisher_args(line)
    try:
        build_parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"{page}: `{line}` does not parse")


def test_the_readme_is_a_front_door_that_links_into_the_docs():
    readme = (ROOT / "README.md").read_bytes()
    assert len(readme) <= 8192, f"README.md is {len(readme):,} bytes; move reference text into docs/"
    text = readme.decode("utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", text)
    assert len(links) >= 5
    for link in links:
        assert (ROOT / link).is_file(), f"README.md links to {link}, which does not exist"
    # The two set-up commands, as users (and CI) copy them.
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/publisher build\n" in text
    assert f"{TEST_COMMAND}\n" in text


# The README's test command, which .ci/run runs as it is: the static checks (mypy --strict, ruff), then pytest.
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/mypy && .venv/bin/ruff check "
    "&& .venv/bin/ruff format --check && .venv/bin/python -m pytest"
)


def test_ci_runs_the_readme_test_command_as_it_is():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"\n{TEST_COMMAND}\n" in script


def test_the_example_configuration_names_every_setting_in_its_table():
    """publisher.toml is the commented example users copy: each setting is there, set or commented out."""
    table, found = "", set()
    for line in (ROOT / "publisher.toml").read_text(encoding="utf-8").splitlines():
        if header := re.match(r"^\[(\w+)\]", line):
            table = header.group(1)
        elif key := re.match(r"^#?\s?(\w+)\s*=", line):
            found.add((table, key.group(1)))
    expected = {
        ("" if section == "site" else section, field.metadata["key"] or field.name)
        for section, kind in SECTIONS.items()
        for field in dataclasses.fields(kind)
    }
    expected |= {("fields", field.name) for field in dataclasses.fields(Fields)}
    missing = sorted(expected - found)
    assert not missing, f"publisher.toml does not show {missing}"


def test_every_page_that_gives_the_test_command_gives_this_one():
    start = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'"
    given = {(name, line) for name in written_pages() for line in read(name).splitlines() if line.startswith(start)}
    assert {name for name, _ in given} >= {"README.md", "getting-started.md", "testing.md"}
    assert {line for _, line in given} == {TEST_COMMAND}, given


def examples(language: str) -> list[tuple[str, str]]:
    return [(name, block) for name in written_pages() for block in code_blocks(read(name), language)]


@pytest.mark.parametrize("page, block", examples("python"))
def test_every_python_example_in_the_docs_is_valid_python(page, block):
    compile(block, f"{page} example", "exec")


@pytest.mark.parametrize("page, block", examples("toml"))
def test_every_toml_example_in_the_docs_is_a_valid_configuration(page, block, tmp_path):
    data = tomllib.loads(block)
    data.setdefault("title", "Example")
    data.setdefault("url", "https://example.org/")
    for key in ("content", "output", "static"):
        data.pop(key, None)  # folders of the reader's site, not of this test
    config_from_mapping(data, source=f"{page} example")


@pytest.mark.parametrize("page", ["README.md", "library.md"])
def test_the_python_examples_run_on_the_bundled_site(page, tmp_path, monkeypatch, capsys):
    """Each example on its own, as a reader pastes one into a script, after the README's `publisher build`;
    what a `print(...)  # "..."` line says it prints is what it prints (up to a "...")."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "publisher.toml", tmp_path / "publisher.toml")
    monkeypatch.chdir(tmp_path)
    publisher.build(publisher.load_config("publisher.toml"))  # the README's set-up command ran first
    blocks = code_blocks(read(page), "python")
    assert blocks, f"{page} has no Python example"
    for block in blocks:  # in order (each may use what an earlier one wrote), each in a namespace of its own
        capsys.readouterr()
        exec(compile(block, f"{page} example", "exec"), {})
        printed = capsys.readouterr().out
        for said in re.findall(r"^\s*print\(.*\)\s+# (\S.*)$", block, re.M):
            said = "[]" if said.startswith("[]") else said.split("...")[0]  # "[]: nothing changed", "['atom.xml', ..."
            assert said.strip('"') in printed, f"{page}: an example says it prints {said}, and printed {printed!r}"
    assert (tmp_path / "feeds" / "atom.xml").is_file()


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
    pytest.importorskip("material", reason="mkdocs-material is not installed (pip install -e '.[docs]')")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    for name in ("index.html", "configuration/index.html", "cli/index.html", "api/index.html"):
        assert (tmp_path / "site" / name).is_file(), name


# ---------------------------------------------------------------- the web server headers of docs/deploying.md

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def nginx_block() -> str:
    (block,) = code_blocks(read("deploying.md"), "nginx")
    return block


@pytest.fixture
def nginx_site(site, tmp_path):
    """docs/deploying.md's nginx block, in a real nginx on loopback, serving a built copy of the bundled site."""
    if NGINX is None:
        pytest.skip("nginx is not installed here (Debian's nginx-light; .ci/run installs it)")
    bundled = site(**tomllib.loads((ROOT / "publisher.toml").read_text(encoding="utf-8")))
    shutil.copytree(ROOT / "content", bundled.content, dirs_exist_ok=True)
    www = tmp_path / "www"
    config = bundled.config(output=str(www / "feeds"))
    publisher.build(config)
    block = nginx_block().replace("root /var/www;", f"root {www};")
    assert f"root {www};" in block
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"""
        daemon off; master_process off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
        events {{ }}
        http {{
            include /etc/nginx/mime.types;
            access_log off;
            client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
            fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
            server {{
                listen 127.0.0.1:{port};
                {block}
            }}
        }}
    """,
        encoding="utf-8",
    )
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf)], stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/feeds/"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(base + "atom.xml", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    server.stderr.read() if server.stderr else "nginx did not start"
                )
                time.sleep(0.05)
        yield base, config, www / "feeds"
    finally:
        server.terminate()
        server.wait(timeout=10)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bound and released: nginx takes it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_the_nginx_block_sends_each_feed_with_its_type_caching_and_cors(nginx_site):
    base, config, feeds = nginx_site
    year = max(int(p.name.split(".")[0]) for p in (feeds / "archive").iterdir())
    tag = sorted(p.name for p in (feeds / "tags").iterdir() if p.name.endswith(".atom.xml"))[0].split(".")[0]
    expected = {
        config.feeds.atom: "application/atom+xml",
        config.feeds.rss: "application/rss+xml",
        config.feeds.json: "application/feed+json",
        config.feeds.featured_atom: "application/atom+xml",
        config.feeds.featured_rss: "application/rss+xml",
        config.feeds.featured_json: "application/feed+json",
        config.feeds.tag_pattern.format(slug=tag, format="atom"): "application/atom+xml",
        config.feeds.tag_pattern.format(slug=tag, format="rss"): "application/rss+xml",
        config.feeds.tag_json_pattern.format(slug=tag): "application/feed+json",
        config.archive_file(year): "application/atom+xml",
        config.feeds.index: "text/html",
    }
    for name, media_type in expected.items():
        status, headers, body = fetch(base + name)
        assert status == 200 and body == (feeds / name).read_bytes(), name
        assert headers["Content-Type"].split(";")[0] == media_type, (name, headers["Content-Type"])
        assert headers["Cache-Control"] == "max-age=600", name
        assert headers["Access-Control-Allow-Origin"] == "*", name
        assert headers["ETag"] and headers["Last-Modified"], name


def test_an_unchanged_feed_is_answered_with_304_after_another_build(nginx_site):
    base, config, feeds = nginx_site
    _, json_headers, _ = fetch(base + config.feeds.json)
    _, atom_headers, _ = fetch(base + config.feeds.atom)
    assert publisher.build(config).nothing_changed  # the files and their modification times stay
    status, headers, body = fetch(base + config.feeds.json, **{"If-None-Match": json_headers["ETag"]})
    assert (status, body) == (304, b"")
    status, _, _ = fetch(base + config.feeds.atom, **{"If-Modified-Since": atom_headers["Last-Modified"]})
    assert status == 304
    # A web page on another origin may read it (CORS), conditional requests included.
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_the_feeds_page_example_of_another_format_adds_it_to_a_build(tmp_path):
    # In a process of its own: registering a format changes every later build of the process.
    (block,) = [b for b in code_blocks(read("feeds.md"), "python") if "feeds.register(" in b]
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "publisher.toml", tmp_path / "publisher.toml")
    script = block + "\nimport publisher\npublisher.build(publisher.load_config('publisher.toml'))\n"
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    titles = (tmp_path / "feeds" / "titles.txt").read_text(encoding="utf-8").splitlines()
    newest = publisher.select(
        publisher.load_articles(tmp_path / "content", publisher.load_config(tmp_path / "publisher.toml")), limit=1
    )[0]
    assert titles[0] == newest.title
    assert (tmp_path / "feeds" / "featured.titles.txt").is_file()


def test_no_page_installs_publisher_by_its_name_from_pypi():
    """`publisher` on PyPI is another project (a plotly documentation tool): `pip install 'publisher[mkdocs]'`
    installs it, warns of no missing extra, and leaves the reader with no plugin. Pages install the checkout."""
    by_name = re.compile(r"pip install\s+(?:-\S+\s+)*['\"]?publisher(?:\[|['\"\s]|$)", re.M)
    for name in written_pages():
        for block in code_blocks(read(name), "sh") + code_blocks(read(name), "console"):
            assert not by_name.search(block), f"{name}: {by_name.search(block)} installs PyPI's other `publisher`"
