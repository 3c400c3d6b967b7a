"""The command line: the console, the demo, user administration and database upgrades.

Only the standard library is imported up front, so ``--help`` and the console start fast: the
parser (argparse) is built only when there are arguments, and each command's module is imported
only when that command runs (the parser names handlers as ``"module:function"`` strings).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_PENDING = 4
EXIT_SUPPORT = 5
# Faults outside the program, as sysexits.h numbers them, so a script can tell "try again" from "fix it".
EXIT_DB_DAMAGED = 65
EXIT_UNAVAILABLE = 69  # the mail server did not take a message
#: A support command found nothing to change (``user unlock``, ``user reset-2fa``); no one was told.
EXIT_NOTHING_TO_DO = 6
EXIT_INTERNAL = 70
EXIT_DB_FULL = 74
EXIT_DB_BUSY = 75  # try again later
EXIT_DB_READONLY = 77
EXIT_KEY_FILE = 78  # the key file is missing, damaged or not this database's


def resolve_handler(spec: str):
    """The function a ``"module:function"`` string names, in this package."""
    from importlib import import_module

    module, _, name = spec.partition(":")
    return getattr(import_module(f"{__name__}.{module}"), name)


def exit_code(exc: BaseException) -> int:
    """The status for a user-facing error: its kind's, else 1."""
    from secconsole import errors

    codes = [(errors.DatabaseDamaged, EXIT_DB_DAMAGED), (errors.DeliveryError, EXIT_UNAVAILABLE),
             (errors.DatabaseFull, EXIT_DB_FULL), (errors.DatabaseBusy, EXIT_DB_BUSY),
             (errors.DatabaseReadOnly, EXIT_DB_READONLY), (errors.KeyFileError, EXIT_KEY_FILE),
             (errors.UsageError, EXIT_USAGE)]
    return next((code for kind, code in codes if isinstance(exc, kind)), EXIT_USER_ERROR)


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
        return exit_code(exc)
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
        from secconsole.store.files import exposure

        if isinstance(where, Path) and (warning := exposure(where)):
            print(f"secconsole: {warning}", file=sys.stderr)
        return EXIT_INTERNAL
