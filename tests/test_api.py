"""The public surface: every name in publisher.__all__ resolves and says what it does, and every
command is documented in the README with an example (as sqlite-utils checks its own)."""

from __future__ import annotations

import pytest

import publisher
from publisher.cli import build_parser
from tests.conftest import ROOT


@pytest.mark.parametrize("name", sorted(set(publisher.__all__) - {"__version__"}))
def test_public_name_resolves_and_has_a_docstring(name):
    value = getattr(publisher, name)
    # Its own docstring: not inherited, and not the signature dataclasses write when there is none.
    doc = value.__doc__
    assert doc and doc.strip() and not doc.startswith(f"{name}("), f"publisher.{name} has no docstring"
    assert name in dir(publisher)


def commands():
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return subparsers


@pytest.mark.parametrize("command", sorted(commands().choices))
def test_every_command_has_help_and_a_readme_example(command):
    helps = {a.dest: a.help for a in commands()._choices_actions}
    assert helps.get(command), f"publisher {command} has no help text"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"publisher {command}" in readme, f"README has no example of publisher {command}"
    for action in commands().choices[command]._actions:
        assert action.help, f"publisher {command} {action.option_strings}: no help text"


def test_readme_names_the_config_keyword_of_every_key():
    from publisher.config import KEYS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for (table, key), attribute in KEYS.items():
        assert f"`{f'[{table}] ' if table else ''}{key}` → `{attribute}`" in readme, (table, key)
