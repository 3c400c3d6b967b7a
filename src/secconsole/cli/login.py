"""`secconsole login`: the console's sign-in from a script, one step a run."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from secconsole.cli import EXIT_PENDING, EXIT_REFUSED, EXIT_SUPPORT
from secconsole.cli.common import opened, resolve_config

if TYPE_CHECKING:
    import argparse


def run(args: argparse.Namespace) -> int:
    from secconsole.core.accounts import SignInOutcome
    from secconsole.core.challenge import Challenge, Way
    from secconsole.errors import ValidationError

    password = sys.stdin.readline().rstrip("\n")
    answer = sys.stdin.readline().rstrip("\n") if args.answer_stdin else ""
    if not password:
        raise ValidationError("No password on standard input.")
    source = f"cli login ({resolve_config(args).source})"
    with opened(args) as services:
        result = services.accounts.sign_in(args.name, password, source=source)
        print(f"password: {result.message}")
        if result.outcome is SignInOutcome.OK:
            print(f"signed in as {result.account.username}")
            return 0
        if result.outcome is not SignInOutcome.SECOND_STEP:
            return EXIT_REFUSED
        account = result.account
        challenge = Challenge.for_account(account, question_allowed=services.profile.question_counts)
        for way in args.give_up:
            challenge.give_up(Way(way))
        ways = challenge.ways()
        print("second step: can use " + (", ".join(w.value for w in ways) or "nothing"))
        if not ways:
            ref = services.accounts.note_out_of_ways(account.id, source=source)
            print(f"nothing left: contact support and quote {ref}")
            return EXIT_SUPPORT
        way = Way(args.method) if args.method in {w.value for w in Way} else (None if args.method else challenge.first())
        if way is None or way not in ways:
            reason = ("the email code is the last resort: give up every other way first"
                      if args.method == "email" else "not on for this sign-in")
            raise ValidationError(f"{args.method}: {reason}. Ways now: {', '.join(w.value for w in ways)}.")
        print(f"second step: {way.value}")
        step = _check_way(way, args, answer, services, account, source)
        if step is None:
            return EXIT_PENDING
        print(f"{way.value}: {step.message}")
        if not step.ok:
            return EXIT_REFUSED
        services.accounts.complete_sign_in(account.id, way.value, source=source)
        print(f"signed in as {account.username}")
        return 0


def _check_way(way, args: argparse.Namespace, answer: str, services, account, source: str):
    """The one place that knows how each way is checked: its `StepResult`, or None when an
    email code was sent and the next run brings it."""
    from secconsole.core.challenge import Way
    from secconsole.errors import ValidationError

    if way is Way.QUESTION:
        if not args.answer_stdin:
            raise ValidationError("question: pass --answer-stdin and put the answer on the second line.")
        return services.questions.verify(account.id, answer, source=source)
    if way is Way.EMAIL and not args.code:
        where = services.email.send_code(account.id, source=source)
        print(f"email: a code was sent to {where}; run again with --method email --code CODE")
        return None
    if not args.code:
        raise ValidationError(f"{way.value}: pass --code.")
    check = {Way.TOTP: services.totp.verify, Way.EMAIL: services.email.verify,
             Way.RECOVERY: services.recovery.verify}[way]
    return check(account.id, args.code, source=source)
