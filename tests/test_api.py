"""The public surface: every name in publisher.__all__ resolves and says what it does, and every
command is in the README's table and shown with an example in the docs (as sqlite-utils checks its own)."""

from __future__ import annotations

import pytest

import publisher
from publisher.cli import build_parser
from tests.pages import read, written_pages


@pytest.mark.parametrize("name", sorted(set(publisher.__all__) - {"__version__"}))
def test_public_name_resolves_and_has_a_docstring(name):
    value = getattr(publisher, name)
    # Its own docstring: not inherited, and not the signature dataclasses write when there is none.
    doc = value.__doc__
    assert doc and doc.strip() and not doc.startswith(f"{name}("), f"publisher.{name} has no docstring"
    assert name in dir(publisher)


def test_the_top_level_is_the_pipeline_in_at_most_15_names():
    assert len(publisher.__all__) <= 15, sorted(publisher.__all__)
    assert "write_digest" not in publisher.__all__ and not hasattr(publisher, "send_digest")


@pytest.mark.parametrize("module", ["feeds", "newsletter", "content", "config"])
def test_each_public_module_names_resolve_after_import_publisher_and_have_docstrings(module):
    owner = getattr(publisher, module)  # no import of its own needed
    names = owner.LOADER if module == "content" else owner.__all__
    for name in names:
        value = getattr(owner, name)
        assert (value.__doc__ or "").strip(), f"publisher.{module}.{name} has no docstring"


def commands():
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return subparsers


@pytest.mark.parametrize("command", sorted(commands().choices))
def test_every_command_has_help_a_readme_row_and_an_example_in_the_docs(command):
    helps = {a.dest: a.help for a in commands()._choices_actions}
    assert helps.get(command), f"publisher {command} has no help text"
    assert f"| `publisher {command}" in read("README.md"), f"README's table of commands has no publisher {command}"
    # An example written by a person, not only the generated reference (docs/cli.md).
    examples = [name for name in written_pages() if name != "README.md" and f"publisher {command}" in read(name)]
    assert examples, f"no page of docs/ shows publisher {command} at work"
    for action in commands().choices[command]._actions:
        assert action.help, f"publisher {command} {action.option_strings}: no help text"
