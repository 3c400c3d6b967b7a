"""What several commands share: the configuration from the options, the services, passwords read
from the terminal or standard input, and what a server passes to its consoles."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


#: The options every command takes (``parser._common``), by their namespace key.
COMMON_OPTIONS = {"db": "--db", "data_dir": "--data-dir", "policy": "--policy", "issuer": "--issuer",
                  "step_up_minutes": "--step-up-minutes", "smtp": "--smtp", "smtp_starttls": "--smtp-starttls",
                  "smtp_user": "--smtp-user", "signup": "--signup", "sms_webhook": "--sms-webhook",
                  "sms_countries": "--sms-countries", "line_type_lookup": "--line-type-lookup",
                  "push_api_url": "--push-api-url"}


def resolve_config(args: argparse.Namespace, *, demo: bool = False, **overrides):
    from secconsole import config

    values = {k: getattr(args, k, None) for k in COMMON_OPTIONS}
    values.update(overrides)
    source = config.detect_source()
    # A console reached over SSH (sshd's ForceCommand) is open to whoever reaches the host: no sign-up by default.
    values.setdefault("signup_default", "closed" if source.startswith("ssh ") and not demo else "open")
    return config.resolve(demo=demo, source=source, **values)


@contextmanager
def opened(args: argparse.Namespace):
    """The services for one command, closed however it ends."""
    from secconsole.errors import SchemaBehind
    from secconsole.services import open_services

    try:
        services = open_services(resolve_config(args))
    except SchemaBehind as exc:
        raise exc.naming(command_line(args, "db", "upgrade")) from None
    for warning in services.warnings:
        print(f"secconsole: {warning}", file=sys.stderr)
    try:
        yield services
    finally:
        services.close()


def given_options(args: argparse.Namespace, keys=tuple(COMMON_OPTIONS)) -> list[str]:
    """The common options the person gave (they default to absent), as they would type them."""
    given = []
    for key in keys:
        value = getattr(args, key, None)
        if value is True:
            given.append(COMMON_OPTIONS[key])
        elif value not in (None, False):
            given += [COMMON_OPTIONS[key], f"{value:g}" if isinstance(value, float) else str(value)]
    return given


def command_line(args: argparse.Namespace, *words: str) -> str:
    """The shell command that runs `words` (a command and its options) with the same common
    options, for hints that must work when followed literally. ``CODE``-like placeholders in
    capitals are left for the person to replace."""
    import shlex

    return " ".join(shlex.quote(word) for word in ("secconsole", *given_options(args), *words))


def read_line(what: str) -> str:
    """One line of standard input without its newline; an empty one is an error."""
    from secconsole.errors import ValidationError

    line = sys.stdin.readline()
    text = line[:-1] if line.endswith("\n") else line
    if not text:
        raise ValidationError(f"No {what} on standard input.")
    return text


def read_new_password(args: argparse.Namespace) -> str:
    from secconsole.errors import ValidationError

    if args.password_stdin:
        return read_line("password")
    if not sys.stdin.isatty():
        again = command_line(args, "user", "add", args.name, "--email", args.email, "--password-stdin")
        raise ValidationError("Standard input is not a terminal: put the password on it and run: " + again)
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValidationError("The two passwords do not match; nothing was created.")
    return first


def console_args(args: argparse.Namespace) -> list[str]:
    """The options a server passes on to each console it starts."""
    return given_options(args, ("db", "data_dir", "policy", "issuer", "signup", "smtp", "smtp_starttls", "smtp_user",
                                "sms_webhook", "sms_countries", "line_type_lookup", "push_api_url"))


def log_to_stderr() -> None:
    """A server's log: timestamped lines on stderr."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)


def say(text: str) -> None:
    """Print a line that may quote stored text (names, sources, message bodies): control and bidi
    characters are shown as escapes, so no escape sequence reaches the terminal."""
    from secconsole.core.text import printable

    print(printable(text, newlines=True))
