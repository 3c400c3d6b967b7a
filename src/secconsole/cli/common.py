"""What several commands share: the configuration from the options, the services, passwords read
from the terminal or standard input, and what a server passes to its consoles."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def resolve_config(args: argparse.Namespace, *, demo: bool = False, **overrides):
    from secconsole import config

    keys = ("db", "data_dir", "policy", "issuer", "step_up_minutes", "smtp", "smtp_starttls", "smtp_user",
            "signup")
    values = {k: getattr(args, k, None) for k in keys}
    values.update(overrides)
    source = config.detect_source()
    # A console reached over SSH (sshd's ForceCommand) is open to whoever reaches the host: no sign-up by default.
    values.setdefault("signup_default", "closed" if source.startswith("ssh ") and not demo else "open")
    return config.resolve(demo=demo, source=source, **values)


@contextmanager
def opened(args: argparse.Namespace):
    """The services for one command, closed however it ends."""
    from secconsole.services import open_services

    services = open_services(resolve_config(args))
    for warning in services.warnings:
        print(f"secconsole: {warning}", file=sys.stderr)
    try:
        yield services
    finally:
        services.close()


def read_new_password(args: argparse.Namespace) -> str:
    from secconsole.errors import ValidationError

    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise ValidationError("No password on standard input.")
        return password
    if not sys.stdin.isatty():
        raise ValidationError("Standard input is not a terminal: pass --password-stdin to read the password from it.")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValidationError("The two passwords do not match; nothing was created.")
    return first


def console_args(args: argparse.Namespace) -> list[str]:
    """The options a server passes on to each console it starts."""
    forwarded = []
    for flag, key in (("--db", "db"), ("--data-dir", "data_dir"), ("--policy", "policy"), ("--issuer", "issuer"),
                      ("--signup", "signup")):
        if getattr(args, key, None):
            forwarded += [flag, str(getattr(args, key))]
    return forwarded


def log_to_stderr() -> None:
    """A server's log: timestamped lines on stderr."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)


def say(text: str) -> None:
    """Print a line that may quote stored text (names, sources, message bodies): control and bidi
    characters are shown as escapes, so no escape sequence reaches the terminal."""
    from secconsole.core.text import printable

    print(printable(text, newlines=True))
