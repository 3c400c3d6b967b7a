"""The command line: the console, the demo, user administration and database upgrades.

Only the standard library is imported up front, so ``--help`` and the console start fast: the
parser (argparse) is built only when there are arguments, and each command's module is imported
only when that command runs (the parser names handlers as ``"module:function"`` strings).
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_PENDING = 4
EXIT_SUPPORT = 5
#: A support command found nothing to change (``user unlock``, ``user reset-2fa``); no one was told.
EXIT_NOTHING_TO_DO = 6
EXIT_INTERNAL = 70


def resolve_handler(spec: str):
    """The function a ``"module:function"`` string names, in this package."""
    from importlib import import_module

    module, _, name = spec.partition(":")
    return getattr(import_module(f"{__name__}.{module}"), name)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        from secconsole.cli.parser import build_parser

        args = build_parser().parse_args(argv)
    else:  # plain `secconsole`: straight to the console, no parser to build (bench/startup)
        args = SimpleNamespace(handler="console:run_console", open=None, user="")
    from secconsole.errors import SecConsoleError

    try:
        return resolve_handler(args.handler)(args) or 0
    except SecConsoleError as exc:
        from secconsole.core.text import printable

        print(f"secconsole: {printable(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("secconsole: interrupted; nothing was changed by the unfinished step.", file=sys.stderr)
        return 130
    except Exception as exc:
        from secconsole import errorlog
        from secconsole.cli.common import resolve_config

        try:
            where = errorlog.write(exc, resolve_config(args).error_log)
        except Exception:  # the log itself failed: say so rather than hide the first error
            where = "(the log file could not be written)"
        print(f"secconsole: unexpected error ({type(exc).__name__}); details in {where}", file=sys.stderr)
        return EXIT_INTERNAL
