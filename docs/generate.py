"""Write the pages of docs/ that the code already knows: python docs/generate.py [--out FOLDER]

- cli.md from publisher.cli.build_parser(): every command, flag and help text;
- configuration.md from the fields of publisher.config.sections (types, defaults, and the key and
  description in each field's metadata), publisher.config.toml's docstring and DEFAULT_FIELDS;
- api.md from publisher.__all__ and the __all__ of its public modules (feeds, newsletter, content, config,
  errors): signatures and docstrings;
- code.md from the docstrings of publisher's sub-packages and modules, in the pipeline's order;
- benchmarks.md, a copy of benchmarks/README.md (MkDocs builds only what is under docs/).

tests/test_docs.py regenerates them into a temporary folder and fails when the committed pages
differ. Nothing here is imported by publisher itself, so it costs a build nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing it

import publisher  # noqa: E402
from publisher import cli, content, errors, model  # noqa: E402
from publisher.config import articles, settings  # noqa: E402
from publisher.config import toml as config  # noqa: E402

COMMAND = "python docs/generate.py"
WIDE = 10_000  # usage lines on one line, whatever the terminal's width


def header(source: str) -> str:
    return f"<!-- Generated from {source} by `{COMMAND}`: edit the code, not this page. -->\n"


def markdown_text(text: str) -> str:
    """Help text and docstrings as Markdown: ``literal`` (reST) becomes `literal`, HTML is shown, not parsed."""
    parts = re.split(r"(``.+?``|`[^`]+`)", text, flags=re.S)
    out = []
    for part in parts:
        if part.startswith("`"):
            out.append("`" + part.strip("`") + "`")
        else:
            out.append(part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*", r"\*"))
    return "".join(out)


def cell(text: str) -> str:
    return markdown_text(text).replace("|", r"\|").replace("\n", " ")


# ---------------------------------------------------------------- command line


def cli_page() -> str:
    parser = cli.build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    summaries = {a.dest: a.help or "" for a in subparsers._choices_actions}
    lines = [
        header("publisher.cli.build_parser()"),
        "# Command line\n",
        "Every command and flag, as `publisher COMMAND --help` prints them. The pages on "
        "[feeds](feeds.md), [the newsletter](newsletter.md) and [deploying](deploying.md) show them at work; "
        "the exit codes are in [Deploying](deploying.md#exit-codes).\n",
        f"```\n{_usage(parser)}\n```\n",
        "| command | what it does |",
        "| --- | --- |",
    ]
    lines += [f"| [`{name}`](#publisher-{name}) | {cell(summaries[name])} |" for name in subparsers.choices]
    lines.append("")
    lines += _flag_table(parser._action_groups, skip_help=False)
    for name, sub in subparsers.choices.items():
        lines += _command_section(f"## publisher {name}", sub, summaries[name])
        for nested in sub._actions:  # a command with actions of its own (publisher subscribers import ...)
            if isinstance(nested, argparse._SubParsersAction):
                helps = {a.dest: a.help or "" for a in nested._choices_actions}
                for action, of in nested.choices.items():
                    lines += _command_section(f"### publisher {name} {action}", of, helps[action])
    return "\n".join(lines).rstrip("\n") + "\n"


def _command_section(title: str, parser: argparse.ArgumentParser, summary: str) -> list[str]:
    lines = [f"{title}\n", f"{markdown_text(parser.description or summary)}\n", f"```\n{_usage(parser)}\n```\n"]
    return lines + _flag_table(parser._action_groups, skip_help=True)


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=WIDE)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _flag_table(groups: Iterable[argparse._ArgumentGroup], *, skip_help: bool) -> list[str]:
    lines: list[str] = []
    for group in groups:
        actions = [
            a
            for a in group._group_actions
            if not isinstance(a, argparse._SubParsersAction) and not (skip_help and isinstance(a, argparse._HelpAction))
        ]
        if not actions:
            continue
        title = group.title or "flags"
        lines += [f"**{cell(title[0].upper() + title[1:])}**\n", "| flag | meaning |", "| --- | --- |"]
        for action in actions:
            lines.append(f"| {_flag(action)} | {cell(action.help or '')} |")
        lines.append("")
    return lines


def _flag(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`".replace("|", r"\|")
    takes_value = action.nargs != 0 and not isinstance(
        action, (argparse._StoreConstAction, argparse._CountAction, argparse.BooleanOptionalAction)
    )
    value = f" {action.metavar or action.dest.upper()}" if takes_value else ""
    return ", ".join(f"`{option}{value}`" for option in action.option_strings)


# ---------------------------------------------------------------- configuration

TYPES = {
    "str": "text",
    "int": "whole number",
    "float": "number",
    "bool": "`true` or `false`",
    "tuple[str, ...]": "list of text",
    "tuple[Any, ...]": "list of names (functions in code)",
}
ENVIRONMENT = {
    config.PASSWORD_ENV: "The SMTP password. Never read from `publisher.toml` (often committed) nor from the command "
    "line (other users see it in the process list); a `password` key in `[smtp]` is an error.",
    config.USER_ENV: "The SMTP user, when neither `--smtp-user` nor `[smtp] user` gives one.",
    "PUBLISHER_UNSUBSCRIBE_SECRET": "The key that signs each subscriber's `{token}` in `[digest] unsubscribe_url` "
    "(HMAC-SHA256). Keep it the same for every issue, or earlier links stop working.",
    "SSL_CERT_FILE": "A PEM file of CA certificates to trust for SMTP (a relay with a private CA).",
}


def configuration_page() -> str:
    intro = inspect.getdoc(config).split("\n\n", 1)[1]  # type: ignore[union-attr]
    lines = [
        header("the section fields of publisher.config.sections (types, defaults and descriptions)"),
        "# Configuration\n",
        "`publisher.toml` configures a site (the one in the repository is a commented example); only `title` "
        "and `url` are required, every other key has a default.\n",
        markdown_text(intro.replace("\n", " ")) + "\n",
        "In code, each table is a section of `publisher.Config`, and its keys are the section's attributes (the "
        "*attribute* column; `[digest] from` is `from_`, `from` being a Python keyword): "
        "`publisher.Config(site=Site(title=..., url=...), feeds=Feeds(limit=10))`, the sections from "
        "`publisher.config`. `publisher.config.config_from_mapping({...})` takes the file's shape as a mapping "
        "and checks it as the file is checked; `load_config(path, **overrides)` takes top-level keys "
        '(`output="public"`) and tables (`feeds={"limit": 10}`) that win over the file. Paths given in code are '
        "relative to the current folder. A Config made in code has no folders unless it names them: rendering "
        "needs only `title` and `url`; what reads or writes files (`build`, the digest) names the folder it lacks. "
        "See [Library](library.md).\n",
    ]
    for name, kind in settings.SECTIONS.items():
        table = "" if name == "site" else name
        lines += [
            f"## {'[' + table + ']' if table else 'Top level'}\n",
            "| key | type | default | attribute | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        for field in dataclasses.fields(kind):
            about = field.metadata
            if not about.get("description"):
                raise SystemExit(f"{kind.__module__}.{kind.__name__}.{field.name} has no description")
            type_name = str(field.type).removesuffix(" | None")
            kind_text = "path" if about["path"] else TYPES.get(type_name, f"`{field.type}`")
            default = "required" if field.default is dataclasses.MISSING else field.default
            if about["file_default"] is not None:  # a folder: the file gives it, a Config made in code has none
                default = about["file_default"]
            lines.append(
                f"| `{about['key'] or field.name}` | {kind_text} | {_toml(default)} | "
                f"`config.{name}.{field.name}` | {about['description']} |"
            )
        lines.append("")
    lines += [
        "## [fields]\n",
        "Which frontmatter names fill each article field: the first one present wins. The defaults cover "
        "the names Astro, Hugo, Jekyll and Eleventy collections use, so most sites need no `[fields]` at all; "
        'name a field only to change it (`published = ["date"]`, or one name as a string); the others keep '
        'the preset\'s names, else these. In code: `Config(fields=Fields(published=("date",)))` or a mapping '
        "of the same shape; `config.fields` names every field (`config.fields.published`, also "
        '`config.fields["published"]`).\n',
        "| field | frontmatter names, in order | attribute | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for field in dataclasses.fields(articles.Fields):
        names = ", ".join(f"`{n}`" for n in model.DEFAULT_FIELDS[field.name])
        lines.append(f"| `{field.name}` | {names} | `config.fields.{field.name}` | {field.metadata['description']} |")
    lines += [
        "",
        "## Environment\n",
        "Secrets and machine settings come from the environment, never from the file.\n",
        "| variable | meaning |",
        "| --- | --- |",
    ]
    lines += [f"| `{name}` | {text} |" for name, text in ENVIRONMENT.items()]
    return "\n".join(lines).rstrip("\n") + "\n"


def _toml(value: Any) -> str:
    if value == "required":
        return "required"
    if value is None or value == "" or value == ():
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    if isinstance(value, (tuple, list)):
        return f"`{json.dumps(list(value), ensure_ascii=False)}`"
    return f"`{value}`"


# ---------------------------------------------------------------- library API


# The public modules beside the top level, each with the names it offers (its __all__).
API_MODULES = ("feeds", "newsletter", "content", "config", "errors")


def public_names(module: str) -> list[str]:
    """The documented names of ``publisher`` ("") or one of API_MODULES."""
    if not module:
        return [n for n in publisher.__all__ if n != "__version__"]
    if module == "content":
        return [n for n in content.LOADER if n not in publisher.__all__]
    if module == "errors":
        return sorted(
            n
            for n, v in vars(errors).items()
            if inspect.isclass(v) and issubclass(v, errors.PublisherError) and n not in publisher.__all__
        )
    names: list[str] = getattr(publisher, module).__all__
    return [n for n in names if n not in publisher.__all__]


def api_page() -> str:
    groups: list[tuple[str, Callable[[Any], bool]]] = [
        ("Functions", inspect.isfunction),
        ("Data", lambda v: inspect.isclass(v) and not issubclass(v, BaseException)),
        ("Errors", lambda v: inspect.isclass(v) and issubclass(v, BaseException)),
    ]
    lines = [
        header("publisher.__all__ and the __all__ of publisher.feeds, .newsletter, .content, .config, .errors"),
        "# Library API\n",
        f"{markdown_text(inspect.getdoc(publisher) or '')}\n",
        "`publisher.__version__` is the installed version. [The library guide](library.md) shows these at work.\n",
    ]
    for title, belongs in groups:
        values = {name: getattr(publisher, name) for name in public_names("")}
        lines.append(f"## {title}\n")
        for name in sorted((n for n in values if belongs(values[n])), key=str.lower):
            lines += _api_entry(name, values[name])
    for module in API_MODULES:
        owner = getattr(publisher, module)
        lines += [f"## publisher.{module}\n", f"{markdown_text((inspect.getdoc(owner) or '').split(chr(10) * 2)[0])}\n"]
        for name in sorted(public_names(module), key=str.lower):
            if module == "config" and inspect.isclass(getattr(owner, name)):
                continue  # the sections: every setting is on the Configuration page
            lines += _api_entry(f"{module}.{name}", getattr(owner, name))
        if module == "config":
            lines.append(
                "The sections `Site`, `Feeds`, `Html`, `Markdown`, `Digest`, `Smtp` and `Fields`: every setting, its "
                "type, default and attribute, in [Configuration](configuration.md).\n"
            )
    return "\n".join(lines).rstrip("\n") + "\n"


def _api_entry(name: str, value: Any) -> list[str]:
    lines = [f"### {name}\n"]
    name = name.rpartition(".")[2]
    if inspect.isclass(value) and issubclass(value, BaseException):
        bases = ", ".join(b.__name__ for b in value.__bases__)
        lines.append(f"```python\nclass {name}({bases})\n```\n")
        lines.append(f"{markdown_text(inspect.getdoc(value) or '')}\n")
        if hasattr(value, "exit_code"):  # the errors; the deprecation warning has none
            lines.append(f"Exit code of the command line: {value.exit_code}.\n")
        return lines
    if value is publisher.Config:  # its sections' defaults, as a reader writes them (its __init__ takes None)
        signature = (
            "Config(\n    site: Site,\n"
            + "".join(
                f"    {section}: {kind.__name__} = {kind.__name__}(),\n"
                for section, kind in settings.SECTIONS.items()
                if section != "site"
            )
            + "    fields: Fields | Mapping[str, Any] | None = None,\n    config_file: str | None = None,\n)"
        )
    else:
        signature = _signature(name, value)
    lines.append(f"```python\n{signature}\n```\n")
    lines.append(f"{markdown_text(inspect.getdoc(value) or '')}\n")
    if value is publisher.Config:
        lines.append(
            "The sections are `publisher.config.Site`, `Feeds`, `Html`, `Markdown`, `Digest`, `Smtp` and "
            "`Fields`; every setting and its attribute: [Configuration](configuration.md).\n"
        )
    if inspect.isclass(value):
        for member, attribute in vars(value).items():
            if member.startswith("_") or not (inspect.getdoc(attribute) and _documented_member(attribute)):
                continue
            call = "" if isinstance(attribute, property) else _parameters(inspect.signature(attribute), method=True)
            lines += [f"- `.{member}{call}`: {markdown_text(inspect.getdoc(attribute) or '')}".replace("\n", " ")]
        if lines[-1].startswith("- "):
            lines.append("")
    return lines


def _documented_member(attribute: Any) -> bool:
    return isinstance(attribute, property) or inspect.isfunction(attribute)


def _signature(name: str, value: Any) -> str:
    one_line = f"{name}{_parameters(inspect.signature(value))}"
    if len(one_line) <= 100:
        return one_line
    return f"{name}{_parameters(inspect.signature(value), multiline=True)}"


def _parameters(signature: inspect.Signature, *, method: bool = False, multiline: bool = False) -> str:
    params = list(signature.parameters.values())[1 if method else 0 :]
    words: list[str] = []
    star = False
    for param in params:
        if param.kind is param.KEYWORD_ONLY and not star:
            words.append("*")
        star = star or param.kind in (param.KEYWORD_ONLY, param.VAR_POSITIONAL)
        text = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "") + param.name
        if param.annotation is not param.empty:
            text += f": {_annotation(param.annotation)}"
        if param.default is not param.empty:
            text += f" = {param.default!r}" if param.annotation is not param.empty else f"={param.default!r}"
        words.append(text)
    returns = signature.return_annotation
    tail = (
        ""
        if returns in (signature.empty, None, "None") or method and returns == "None"
        else f" -> {_annotation(returns)}"
    )
    if multiline:
        return "(\n" + "".join(f"    {word},\n" for word in words) + ")" + tail
    return f"({', '.join(words)}){tail}"


def _annotation(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


# ---------------------------------------------------------------- the code

# The package in the order an article travels through it, then what every stage shares.
STAGES = [
    ("config", "the settings"),
    ("content", "collect: files -> articles"),
    ("select.py", "select: which articles go out"),
    ("markup", "render: Markdown -> safe HTML"),
    ("feeds", "feeds: the formats, the feeds page, archives"),
    ("email", "e-mail: the digest, its message, sending"),
    ("newsletter.py", "e-mail: the newsletter's public names"),
    ("output.py", "write: files replaced atomically"),
    ("engine", "the build that runs it all, incrementally"),
    ("cli", "the command line: a thin shell over the library"),
    ("integrations", "other publishers: the MkDocs and Pelican plugins"),
    ("model.py", "shared: the data model"),
    ("errors.py", "shared: one error hierarchy"),
    ("guard.py", "shared: one article never stops a run"),
    ("text.py", "shared: text repair"),
    ("urls.py", "shared: the URL policy"),
    ("addresses.py", "shared: e-mail addresses"),
    ("filters.py", "shared: the site's own markup filters"),
    ("templates.py", "shared: where templates come from"),
]


def _docstring(path: Path) -> str:
    import ast

    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def _first_sentence(text: str) -> str:
    """A docstring's first paragraph, on one line."""
    return " ".join(text.split("\n\n")[0].split())


def code_page() -> str:
    package = ROOT / "publisher"
    lines = [
        header("the docstrings of publisher/ (STAGES in docs/generate.py gives the order)"),
        "# How the code is laid out",
        "",
        "The folders of `publisher/` are the stages an article goes through: collected from the content "
        "folder, selected, rendered to HTML, written into feeds and an e-mail, written to disk or sent. "
        "The library holds the whole pipeline; the command line only parses flags and calls it. "
        "Each module starts with a docstring saying what it is for; this page lists them.",
        "",
    ]
    listed = set()
    for name, stage in STAGES:
        path = package / name
        listed.add(name)
        if path.is_dir():
            about = _first_sentence(_docstring(path / "__init__.py"))
            lines += [f"## `{name}/`: {stage}", "", markdown_text(about), ""]
            for module in sorted([*path.glob("*.py"), *path.glob("*/__init__.py")]):
                if module.name == "__init__.py" and module.parent == path:
                    continue
                shown = f"{module.parent.name}/" if module.name == "__init__.py" else module.name
                lines.append(f"- `{name}/{shown}`: {cell(_first_sentence(_docstring(module)))}")
                if module.name == "__init__.py":  # a package within the stage: its modules under it
                    lines += [
                        f"    - `{name}/{shown}{part.name}`: {cell(_first_sentence(_docstring(part)))}"
                        for part in sorted(module.parent.glob("*.py"))
                        if part.name != "__init__.py"
                    ]
            lines.append("")
        else:
            lines += [f"## `{name}`: {stage}", "", markdown_text(_first_sentence(_docstring(path))), ""]
    unlisted = sorted(
        p.name
        for p in package.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").is_file())
        and p.name not in listed
        and p.name not in ("__init__.py", "__main__.py")
    )
    if unlisted:
        raise SystemExit(f"docs/generate.py: STAGES does not place {', '.join(unlisted)}")
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- benchmarks


def benchmarks_page() -> str:
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    return header("benchmarks/README.md") + text


PAGES: dict[str, Callable[[], str]] = {
    "cli.md": cli_page,
    "configuration.md": configuration_page,
    "api.md": api_page,
    "benchmarks.md": benchmarks_page,
    "code.md": code_page,
}


def generate(out: Path) -> list[str]:
    """Write every generated page into ``out``; returns the names whose bytes changed."""
    changed = []
    for name, page in PAGES.items():
        path = out / name
        text = page()
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the generated pages of docs/.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder to write into (default: docs/)")
    args = parser.parse_args(argv)
    for name in generate(args.out):
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
