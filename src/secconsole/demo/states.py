"""Demo state presets (``secconsole demo --state NAME``): a seeded account put into a state worth
showing, through the same core calls a person's actions would make, after seeding.

Plain Python, no Textual. The table is cheap to import (the CLI lists it); each builder imports
the core when it runs. A builder returns the route the console starts on ("signin": the sign-in
screen with the name filled in, nothing signed in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from secconsole.core.views import AccountView
    from secconsole.services import Services

#: The audit trail's source for what a preset did (kept apart from the console's own source, so
#: its wrong guesses count against the account only).
STATE_SOURCE = "demo --state"


@dataclass(frozen=True)
class State:
    name: str
    summary: str
    #: The account used without ``--as``.
    default_user: str
    #: ``build(services, account)`` puts the account in the state; returns the route to start on.
    build: Callable[[Services, AccountView], str]


def _locked(services: Services, account: AccountView) -> str:
    """Wrong passwords through the sign-in throttle until it locks, each after the back-off the
    last one earned, as if typed over the last minutes (the audit trail says when)."""
    from datetime import timedelta

    from secconsole.core.clock import ManualClock
    from secconsole.core.signin import SignInService
    from secconsole.core.views import SignInOutcome

    rules = services.profile.signin_lockout
    spread = sum(rules.delay_after(n) + 1 for n in range(1, rules.lock_after))  # the last guess: now
    clock = ManualClock(services.clock.now() - timedelta(seconds=spread))
    signin = SignInService(services.db, clock, services.profile, services.hasher, lock_notice=services.notices.lock)
    for _ in range(rules.lock_after * 2):
        result = signin.sign_in(account.username, "not the password (demo --state locked)", source=STATE_SOURCE)
        if result.outcome is SignInOutcome.LOCKED:
            return "signin"
        clock.advance(seconds=result.retry_after + 1)
    raise RuntimeError("the sign-in throttle did not lock")


def _way_locked(services: Services, account: AccountView) -> str:
    """Wrong authenticator codes through the way's throttle until it locks, as if typed over the
    last minutes; the console opens the sign-in's second step, where trying it says it is locked."""
    from datetime import timedelta

    from dataclasses import replace

    from secconsole.core.clock import ManualClock
    from secconsole.core.totp import code_at

    _need(account, "totp", "an authenticator app")
    way = services.way("totp")
    rules = services.profile.lockout
    spread = sum(rules.delay_after(n) + 1 for n in range(1, rules.lock_after))  # the last guess: now
    clock = ManualClock(services.clock.now() - timedelta(seconds=spread))
    past = type(way)(replace(way.ctx, clock=clock))  # the same way, its guesses dated in the past
    secret, params = past.secret_and_params(account.id)
    for _ in range(rules.lock_after * 2):
        right = code_at(secret, clock.now(), params)
        wrong = f"{(int(right) + 500_000) % 10 ** params.digits:0{params.digits}d}"
        result = past.verify(account.id, wrong, source=STATE_SOURCE)
        if result.locked:
            return "challenge"  # its first way, as at a real sign-in
        clock.advance(seconds=result.retry_after + 1)
    raise RuntimeError("the authenticator throttle did not lock")


def _sms_pending(services: Services, account: AccountView) -> str:
    """The password step passed and a sign-in code texted (to the outbox): enter it."""
    _need(account, "sms", "text messages")
    services.way("sms").send_code(account.id, source=STATE_SOURCE)
    return "challenge-sms"


def _prompt_pending(services: Services, account: AccountView) -> str:
    """Mobile app prompts turned on with a demo phone (paired, test prompt approved) unless they
    are on, then the password step passed and a sign-in prompt sent: the second step waits on it."""
    if not account.method("push").enabled:
        from secconsole.demo.paired_phone import turn_on_prompts

        turn_on_prompts(services, account.id, source=STATE_SOURCE)
    services.way("push").send(account.id, source=STATE_SOURCE, purpose="sign-in")
    return "challenge-push"


def _password_expired(services: Services, account: AccountView) -> str:
    """The forced password change (``password_change_required``), set as it is in life: a
    sign-in prompt someone else set off is reported as not you on a demo phone (paired for it,
    and mobile app prompts turned on with it when they are off)."""
    from secconsole.demo.paired_phone import DemoPhone, turn_on_prompts

    way = services.way("push")
    if account.method("push").enabled:
        phone = DemoPhone(way, account.id, source=STATE_SOURCE)
    else:
        phone = turn_on_prompts(services, account.id, source=STATE_SOURCE)
    prompt = way.send(account.id, source=STATE_SOURCE, purpose="sign-in", again=True)
    phone.answer(prompt.id, "report")
    return "home"


def _no_backups(services: Services, account: AccountView) -> str:
    """A second step with nothing behind it: the security question removed and email fallback
    turned off, as in Settings (Home then says so)."""
    if account.method("question").enabled:
        services.way("question").remove(account.id, source=STATE_SOURCE)
    if account.email_fallback_enabled:
        services.accounts.set_email_fallback(account.id, False, source=STATE_SOURCE)
    return "home"


def _need(account: AccountView, kind: str, what: str) -> None:
    from secconsole.errors import ValidationError

    if not account.method(kind).enabled:
        users = ", ".join(d.username for d in _demo_accounts_with(kind)) or "none"
        raise ValidationError(f"{account.username} has no {what}: this state needs one (demo accounts with it: {users}).")


def _demo_accounts_with(kind: str):
    from secconsole.demo import DEMO_ACCOUNTS

    return [d for d in DEMO_ACCOUNTS if {"totp": d.totp, "sms": bool(d.sms), "question": bool(d.question)}.get(kind)]


STATES = {
    s.name: s
    for s in (
        State("locked", "sign-in locked by wrong passwords: the sign-in screen",
              "bob", _locked),
        State("app-locked", "authenticator app locked by wrong codes: 2nd step",
              "bob", _way_locked),
        State("sms-pending", "password passed, a sign-in code texted",
              "dave", _sms_pending),
        State("prompt-pending", "password passed, an app prompt on a demo phone",
              "carol", _prompt_pending),
        State("password-expired", "the password must be changed first (forced change)",
              "carol", _password_expired),
        State("no-backups", "no backup: no question, email fallback off",
              "bob", _no_backups),
    )
}


def apply(services: Services, name: str, username: str | None) -> tuple[str, str]:
    """Put ``username`` (or the state's own account) in state ``name``, after seeding. Returns the
    account's name and the route to start on. Demo mode only."""
    from secconsole.demo import is_demo_name
    from secconsole.demo.seed import DEMO_NAMES
    from secconsole.errors import ValidationError

    if not services.config.demo:
        raise RuntimeError("demo state outside demo mode")
    state = STATES[name]
    username = username or state.default_user
    if not is_demo_name(username):
        raise ValidationError(f"--as takes one of the demo accounts ({DEMO_NAMES}), not {username!r}.")
    account = services.accounts.get(username)
    return account.username, state.build(services, account)
