"""`secconsole login`: the console's sign-in from a script, one step a run. Every way comes from
the registry: ``--method`` takes any of them, and how a way is answered (``--code``, or the
second line of standard input) follows its capabilities."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from secconsole.cli import EXIT_PENDING, EXIT_REFUSED, EXIT_SUPPORT
from secconsole.cli.common import opened, resolve_config, say

if TYPE_CHECKING:
    import argparse


def run(args: argparse.Namespace) -> int:
    from secconsole.core.challenge import Challenge
    from secconsole.core.methods import Role, registry
    from secconsole.core.views import SignInOutcome
    from secconsole.errors import ValidationError

    password = sys.stdin.readline().rstrip("\n")
    answer = sys.stdin.readline().rstrip("\n") if args.answer_stdin else ""
    if not password:
        raise ValidationError("No password on standard input.")
    source = f"cli login ({resolve_config(args).source})"
    with opened(args) as services:
        result = services.signin.sign_in(args.name, password, source=source)
        say(f"password: {result.message}")
        if result.outcome is SignInOutcome.OK:
            say(f"signed in as {result.account.username}")
            return 0
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
        spec = registry.get(args.method) if args.method else challenge.first()
        if spec.kind not in kinds:
            if spec.capabilities.to_email and not account.email_verified:
                reason = "the account's email address is not verified yet, so no code is emailed to it"
            elif spec.role is Role.LAST_RESORT:
                reason = "the email code is the last resort: give up every other way first"
            else:
                reason = "not on for this sign-in"
            raise ValidationError(f"{spec.kind}: {reason}. Ways now: {', '.join(kinds)}.")
        say(f"second step: {spec.kind}")
        step = _check_way(spec, args, answer, services, account, source)
        if step is None:
            return EXIT_PENDING
        say(f"{spec.kind}: {step.message}")
        if not step.ok:
            return EXIT_REFUSED
        services.signin.complete_sign_in(account.id, spec.kind, source=source)
        say(f"signed in as {account.username}")
        return 0


def _check_way(spec, args: argparse.Namespace, answer: str, services, account, source: str):
    """Check the way's answer: its `StepResult`, or None when choosing it sent a code (or a
    prompt) and the next run brings the answer."""
    from secconsole.core.methods import Answer, Start
    from secconsole.errors import ValidationError

    way = services.way(spec.kind)
    caps = spec.capabilities
    if caps.answer is Answer.TEXT:
        if not args.answer_stdin:
            raise ValidationError(f"{spec.kind}: pass --answer-stdin and put the answer on the second line.")
        return way.verify(account.id, answer, source=source)
    if caps.start is Start.SEND_CODE and not args.code:
        said = way.begin(account.id, source=source)
        say(f"{spec.kind}: {said} Run again with --method {spec.kind} --code CODE")
        return None
    if not args.code:
        raise ValidationError(f"{spec.kind}: pass --code.")
    return way.verify(account.id, args.code, source=source)
