"""The parser names each command's handler as a "module:function" string: every one must resolve."""

import argparse

from secconsole.cli import resolve_handler
from secconsole.cli.parser import build_parser


def commands(parser, path=()):
    yield path, parser.get_default("handler")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def test_every_command_names_a_handler_that_exists():
    found = dict(commands(build_parser()))
    groups = {("user",), ("db",)}  # they only hold commands, and one of those is required
    assert {path for path, spec in found.items() if spec is None} == groups
    assert len(found) == 19
    for path, spec in found.items():
        if path not in groups:
            assert callable(resolve_handler(spec)), (path, spec)
