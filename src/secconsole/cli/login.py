"""`secconsole login`: the console's sign-in from a script or a terminal, one step a run. Every way
comes from the registry: ``--method`` takes any of them, and how a way is answered (``--code``, or
the second line of standard input) follows its capabilities.

At a terminal, without ``--password-stdin``, the password (and then the answer or code, when none
was given) is asked for with hidden input. Each hint to run again prints the whole command line,
with the options given that are still needed (the ``--give-up`` ones above all: a run keeps no state)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from secconsole.cli import EXIT_PENDING, EXIT_REFUSED, EXIT_SUPPORT
from secconsole.cli.common import command_line, opened, read_line, resolve_config, say

if TYPE_CHECKING:
    import argparse


def run(args: argparse.Namespace) -> int:
    from secconsole.core.challenge import Challenge
    from secconsole.core.views import SignInOutcome

    password, answer = _secrets(args)
    source = f"cli login ({resolve_config(args).source})"
    with opened(args) as services:
        result = services.signin.sign_in(args.name, password, source=source)
        say(f"password: {result.message}")
        if result.outcome is SignInOutcome.OK:
            return _signed_in(args, result.account)
        if result.outcome is not SignInOutcome.SECOND_STEP:
            return EXIT_REFUSED
        account = result.account
        challenge = Challenge.for_account(account, question_allowed=services.profile.question_counts)
        for kind in args.give_up:
            challenge.give_up(kind)
        kinds = challenge.kinds()
        say("second step: can use " + (", ".join(kinds) or "nothing"))
        if not kinds:
            ref = services.signin.note_out_of_ways(account.id, source=source)
            say(f"nothing left: contact support and quote {ref}")
            return EXIT_SUPPORT
        spec = _chosen_way(args, challenge, account)
        say(f"second step: {spec.kind}")
        step = _check_way(spec, args, answer, services, account, source)
        if step is None:
            return EXIT_PENDING
        say(f"{spec.kind}: {step.message}")
        if not step.ok:
            return EXIT_REFUSED
        return _signed_in(args, services.signin.complete_sign_in(account.id, spec.kind, source=source))


def _signed_in(args: argparse.Namespace, account) -> int:
    """Signed in, unless the password must be changed first (a mobile app prompt was reported as
    not you): then that is all this sign-in allows, and the console is where it is changed."""
    from secconsole.core.views import PASSWORD_CHANGE_REASON

    if not account.password_change_required:
        say(f"signed in as {account.username}")
        return 0
    say(f"password change required: {PASSWORD_CHANGE_REASON}")
    say("Change it in the console (nothing else opens until you do): "
        + command_line(args, "console", "--user", account.username, "--open", "change-password"))
    return EXIT_REFUSED


def _wait_for_prompt(spec, way, account, source: str):
    """A prompt to the account's devices, then its answer: woken by the answer's NOTIFY on
    PostgreSQL (a short poll on SQLite), listening before each look; looked at again when the
    prompt's time is up (it expires on its own)."""
    from secconsole.core.methods.base import Reason

    say(f"{spec.kind}: {way.begin(account.id, source=source)}")
    with way.wake.listener(account.id) as listening:
        while True:
            result = way.verify(account.id, source=source)
            if result.reason is not Reason.PENDING:
                return result
            prompt = way.prompt(account.id)
            left = (prompt.expires_at - way.clock.now()).total_seconds() if prompt else 0
            listening.wait(min(max(left, 0) + 0.1, 10.0))


def _secrets(args: argparse.Namespace) -> tuple[str, str | None]:
    """The password and the answer (None: not given): from standard input with --password-stdin,
    else typed at the terminal; without one, say how to run it."""
    from secconsole.errors import UsageError

    if args.password_stdin:
        password = read_line("password")
        return password, (sys.stdin.readline().rstrip("\n") if args.answer_stdin else None)
    if args.answer_stdin:
        raise UsageError("--answer-stdin reads the answer from the line after the password: add --password-stdin.")
    if not sys.stdin.isatty():
        raise UsageError("Standard input is not a terminal, so the password cannot be asked for: put it on the "
                         "first line of standard input and add --password-stdin.")
    return _ask("Password: ", "password"), None


def _ask(prompt: str, what: str) -> str:
    import getpass

    from secconsole.errors import ValidationError

    typed = getpass.getpass(prompt)
    if not typed:
        raise ValidationError(f"No {what} typed; nothing was checked.")
    return typed


def _chosen_way(args: argparse.Namespace, challenge, account):
    from secconsole.core.methods import Role, registry
    from secconsole.errors import ValidationError

    kinds = challenge.kinds()
    spec = registry.get(args.method) if args.method else challenge.first()
    if spec.kind in kinds:
        return spec
    if spec.capabilities.to_email and not account.email_verified:
        raise ValidationError(f"{spec.kind}: the account's email address is not verified yet, so no code is emailed "
                              f"to it. Ways now: {', '.join(kinds)}.")
    if spec.role is not Role.LAST_RESORT or spec.kind not in {s.kind for s in challenge.offered}:
        raise ValidationError(f"{spec.kind}: not on for this sign-in. Ways now: {', '.join(kinds)}.")
    before = [s.kind for s in challenge.ways() if s.role in (Role.METHOD, Role.BACKUP)]
    again = _again(args, spec.kind, give_up=before)
    raise ValidationError(f"{spec.kind}: the email code is the last resort: give up every other way first "
                          f"(ways now: {', '.join(kinds)}). To give them up, run: {again}")


def _again(args: argparse.Namespace, kind: str, *rest: str, give_up=()) -> str:
    """The command to run next for `kind`, with every option still needed."""
    words = ["login", args.name] + (["--password-stdin"] if args.password_stdin else [])
    for given in dict.fromkeys([*args.give_up, *give_up]):
        words += ["--give-up", given]
    return command_line(args, *words, "--method", kind, *rest)


def _stdin_note(args: argparse.Namespace, answer: bool = False) -> str:
    if not args.password_stdin:
        return ""
    return " with the password and the answer on standard input, one a line" if answer else \
        " with the password on standard input"


def _check_way(spec, args: argparse.Namespace, answer: str | None, services, account, source: str):
    """Check the way's answer: its `StepResult`, or None when choosing it sent a code (or a
    prompt) and the next run brings the answer."""
    from secconsole.core.methods import Answer, Start
    from secconsole.errors import ValidationError

    way = services.way(spec.kind)
    caps = spec.capabilities
    if caps.start is Start.PROMPT:
        return _wait_for_prompt(spec, way, account, source)
    if caps.answer is Answer.TEXT:
        question = way.question_of(account.id) if hasattr(way, "question_of") else None
        if question:
            say(f"{spec.kind}: {question}")
        if answer is None:
            if args.password_stdin:
                raise ValidationError(f"{spec.kind}: run again{_stdin_note(args, answer=True)}: "
                                      + _again(args, spec.kind, "--answer-stdin"))
            answer = _ask("Answer: ", "answer")
        return way.verify(account.id, answer, source=source)
    code = args.code
    if caps.start is Start.SEND_CODE and not code:
        said = way.begin(account.id, source=source)
        if args.password_stdin:
            say(f"{spec.kind}: {said} Run again{_stdin_note(args)}: {_again(args, spec.kind, '--code', 'CODE')}")
            return None
        say(f"{spec.kind}: {said}")
    if not code:
        if args.password_stdin:
            raise ValidationError(f"{spec.kind}: run again{_stdin_note(args)}: "
                                  + _again(args, spec.kind, "--code", "CODE"))
        code = _ask("Code: ", "code")
    return way.verify(account.id, code, source=source)
