"""`secconsole` / `secconsole console` and `secconsole demo`: the console in this terminal."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from secconsole.cli.common import resolve_config

if TYPE_CHECKING:
    import argparse


def run_console(args: argparse.Namespace) -> int:
    return _run_app(resolve_config(args), open_screen=args.open, prefill=args.user)


def run_demo(args: argparse.Namespace) -> int:
    if args.list_screens or args.list_states:
        print_lists(screens=args.list_screens, states=args.list_states)
        return 0
    config, throwaway = demo_config(args)
    if throwaway:
        _remove_on_hangup(throwaway)
    try:
        refuse_unless_demo_database(config)
        return _run_app(config, open_screen=args.open, start_as=args.start_as, prefill=args.user, state=args.state)
    finally:
        if throwaway:  # the database loader thread has finished: app.run waits for it
            _remove_folder(throwaway)


def print_lists(*, screens: bool, states: bool) -> None:
    """``demo --list-screens`` and ``--list-states``: one line each, a name and what it shows."""
    from secconsole.demo.states import STATES
    from secconsole.tui.routes import ROUTES

    rows = ([(r.name, r.summary) for r in ROUTES.values()] if screens else []) + (
        [(s.name, f"{s.summary} (as {s.default_user})") for s in STATES.values()] if states else [])
    width = max(len(name) for name, _ in rows)
    for name, summary in rows:
        print(f"{name:<{width}}  {summary}")


def refuse_unless_demo_database(config) -> None:
    """Kept demo data (--db, --data-dir) must be a database demo mode made: refuse any other here,
    with a message on stderr and exit status 1, before the console takes the terminal."""
    if not config.throwaway:
        from secconsole.services import check_demo_database

        check_demo_database(config)


def check_demo_target(args: argparse.Namespace) -> None:
    """For a server whose sessions each run `secconsole demo` with these options: refuse at
    start, not in every session, when the data they would keep is not a demo database."""
    import shutil

    config, throwaway = demo_config(args)
    try:
        refuse_unless_demo_database(config)
    finally:
        if throwaway:
            shutil.rmtree(throwaway, ignore_errors=True)


def _remove_on_hangup(folder: str) -> None:
    """A closed terminal or SSH connection (SIGHUP) or a stop (SIGTERM) would end the process
    before `finally` runs: the throwaway demo data (its key file too) goes first."""
    import signal

    def remove_and_exit(signum, frame) -> None:
        _remove_folder(folder, settle=0.15)
        os._exit(128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, remove_and_exit)


def _remove_folder(folder: str, *, settle: float = 0.0) -> None:
    """Remove it; with `settle`, keep watching that long after it is gone, for a hangup during
    start-up, when the database loader thread may still be writing into it or making it again."""
    import shutil
    import time

    deadline = time.monotonic() + 1.0 + settle
    gone_since = None
    while time.monotonic() < deadline:
        shutil.rmtree(folder, ignore_errors=True)
        now = time.monotonic()
        if os.path.exists(folder):
            gone_since = None
        elif gone_since is None:
            gone_since = now
        if gone_since is not None and now - gone_since >= settle:
            return
        time.sleep(0.03)


def demo_config(args: argparse.Namespace, environ=os.environ):
    """The demo's configuration and the throwaway folder to delete at exit (None: keep all).

    Without --data-dir the data lives in a temporary folder; --db keeps the database in a file,
    whose key is then kept beside it (``FILE.key``, the rule of ``config.key_file_for``)."""
    import tempfile
    from dataclasses import replace

    from secconsole.config import default_log_file

    if getattr(args, "data_dir", None) or environ.get("SECCONSOLE_DATA_DIR"):
        return resolve_config(args, demo=True), None
    throwaway = tempfile.mkdtemp(prefix="secconsole-demo-")
    # The throwaway folder goes at exit; the log stays where the person can read it.
    db = getattr(args, "db", None) or environ.get("SECCONSOLE_DB")
    config = replace(resolve_config(args, demo=True, data_dir=throwaway), log_file=default_log_file(), throwaway=not db)
    return config, throwaway


def _check_open_screen(config, name: str | None, start_as: str | None = None) -> None:
    """--open names a screen this console has (create-account needs sign-up open); the sign-in's
    second step needs someone whose password step passed (--as)."""
    from secconsole.errors import ValidationError
    from secconsole.tui.routes import ROUTES

    if name and ROUTES[name].challenge is not None and ROUTES[name].offered(config) and not start_as:
        raise ValidationError(f"--open {name} needs --as USER: whose password step has passed.")
    if name and not ROUTES[name].offered(config):
        why = "sign-up is closed (--signup closed)" if ROUTES[name].signup else "it exists only in demo mode"
        raise ValidationError(f"--open {name}: this console has no such screen: {why}.")


def _run_app(config, *, open_screen=None, start_as=None, prefill="", state=None) -> int:
    _check_open_screen(config, open_screen, start_as)
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        # e.g. `ssh -T` to an sshd whose ForceCommand is the console: say so instead of hanging
        from secconsole.errors import ValidationError

        raise ValidationError("The console needs a terminal: run it in one, or connect with `ssh -t`.")
    from secconsole.tui.app import SecConsoleApp

    app = SecConsoleApp(config, open_screen=open_screen, start_as=start_as, prefill_username=prefill, state=state)
    app.run()
    return app.return_code or 0
