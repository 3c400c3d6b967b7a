"""The plain data the UI gets from the core: no ORM, no database stack, cheap to import."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from secconsole.core.methods.base import MethodState, Role
from secconsole.core.wording import duration, plural


@dataclass(frozen=True)
class BillingView:
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class AccountView:
    """Everything the UI may show about an account; no hashes, no secrets."""

    id: int
    username: str
    email: str
    created_at: datetime
    password_changed_at: datetime
    last_sign_in_at: datetime | None
    identity_verified: bool
    email_fallback_enabled: bool
    security_question: str | None
    billing_methods: list[BillingView]
    #: One state per registered way (second steps and backups), in registry order.
    methods: list[MethodState]
    #: Sign-in is locked (``lock_retry_after``: seconds until the lock expires, 0: until support
    #: unlocks it); ``failures``: its consecutive failures.
    locked: bool = False
    failures: int = 0
    lock_retry_after: int = 0
    #: Set in ``classic`` once the password is older than the reminder period.
    password_reminder: bool = False
    password_age_days: int = 0
    #: The way that last passed a challenge; the next challenge starts there.
    preferred_method: str | None = None
    recovery_codes_left: int = 0
    #: Counters of the account's ways (and identity details) that are locked (e.g. ``["totp"]``).
    locked_ways: list[str] = field(default_factory=list)
    #: The owner proved the email address (``core.signup``); no code is emailed to it until then.
    email_verified: bool = True
    #: A mobile app prompt was reported as not the owner: a signed-in session may do nothing but
    #: change the password (``PASSWORD_CHANGE_REASON`` says why) until it is changed.
    password_change_required: bool = False

    @property
    def second_steps(self) -> list[str]:
        """The kinds of the second steps proper (not backups) that are on."""
        from secconsole.core.methods import registry

        return [m.kind for m in self.methods if m.enabled and registry.get(m.kind).role is Role.METHOD]

    @property
    def has_second_step(self) -> bool:
        return bool(self.second_steps)

    def method(self, kind: str) -> MethodState:
        return next((m for m in self.methods if m.kind == kind), MethodState(kind))


#: Why a signed-in session must change the password before anything else (the console and ``login``).
PASSWORD_CHANGE_REASON = ("A sign-in prompt was reported as not you: whoever sent it knew your password. "
                          "Choose a new one to continue.")


@dataclass(frozen=True)
class CodeSent:
    """A code emailed to the account: where it went (masked) and in how many seconds another may
    be asked for."""

    to: str
    resend_after: int


@dataclass(frozen=True)
class Backups:
    """What an account really has to confirm it's you with: the second steps on and, for when they
    fail, the backups. Settings' warnings (removing the question, turning a method or the email
    fallback off, replacing the recovery codes) are worded from it, so none of them guesses.

    ``of`` counts an ``AccountView``; ``without`` gives what is left once one way is gone."""

    #: How a sentence names each second step that is on ("the authenticator app"), registry order.
    methods: tuple[str, ...] = ()
    method_kinds: tuple[str, ...] = ()
    recovery_codes_left: int = 0
    #: Set, and asked at sign-in under this policy.
    question: bool = False
    email_fallback: bool = False

    @classmethod
    def of(cls, account: AccountView, *, question_counts: bool = True) -> Backups:
        from secconsole.core.methods import registry

        kinds = tuple(account.second_steps)
        return cls(
            methods=tuple(registry.get(k).name for k in kinds), method_kinds=kinds,
            recovery_codes_left=account.recovery_codes_left,
            question=bool(account.security_question) and question_counts,
            email_fallback=account.email_fallback_enabled,
        )

    def without(self, kind: str) -> Backups:
        """What is left once ``kind`` (a method's kind, ``question``, ``recovery`` or ``email``) is gone."""
        from dataclasses import replace

        if kind in self.method_kinds:
            keep = [i for i, k in enumerate(self.method_kinds) if k != kind]
            return replace(self, methods=tuple(self.methods[i] for i in keep),
                           method_kinds=tuple(self.method_kinds[i] for i in keep))
        return replace(self, question=self.question and kind != "question",
                       recovery_codes_left=0 if kind == "recovery" else self.recovery_codes_left,
                       email_fallback=self.email_fallback and kind != "email")

    @property
    def backups(self) -> list[str]:
        """The backups in the order a challenge reaches them (recovery codes work at any point)."""
        ways = []
        if self.recovery_codes_left:
            ways.append(f"{plural(self.recovery_codes_left, 'recovery code')} left")
        if self.question:
            ways.append("your security question")
        if self.email_fallback:
            ways.append("a code by email")
        return ways

    @property
    def fallbacks(self) -> str:
        """"2 recovery codes left, your security question, then support" (support is always there)."""
        return ", ".join(self.backups) + ", then support" if self.backups else "only support"

    def _when_steps_fail(self) -> str:
        return f"when you cannot use {_joined(self.methods, 'or')}"

    def removing_question(self) -> str:
        left = self.without("question")
        if not left.methods:
            return "No second step is on, so the question is not asked when you sign in now."
        return f"Without it, {left._when_steps_fail()}, you have {left.fallbacks}."

    def turning_off(self, kind: str) -> str:
        """The second confirmation's warning when the method ``kind`` is turned off."""
        left = self.without(kind)
        if not left.methods:
            return "It is your last second step: your account will be protected by your password alone."
        return f"You keep {_joined(left.methods, 'and')}. {left._when_steps_fail().capitalize()}, you have {left.fallbacks}."

    def fallback_off(self) -> str:
        left = self.without("email")
        if not left.methods:
            return "Email fallback is off (no second step is on, so it is not needed now)."
        return f"Email fallback is off: {left._when_steps_fail()}, you have {left.fallbacks}."

    def replacing_codes(self) -> str:
        codes = plural(self.recovery_codes_left, "code")
        verb = "stops" if self.recovery_codes_left == 1 else "stop"
        return f"Your {codes} left {verb} working as soon as the new ones exist."


def _joined(items: tuple[str, ...] | list[str], word: str) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


class SignInOutcome(enum.Enum):
    OK = "ok"
    #: The password was right; the account's second step comes next.
    SECOND_STEP = "second_step"
    INVALID = "invalid"
    WAIT = "wait"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    account: AccountView | None = None
    retry_after: int = 0
    ref: str = ""
    #: What a wrong secret is called: sign-in never says which half was wrong.
    wrong: str = "That username and password do not match."
    #: The refusal is about the connection (too many failures from it), not the account.
    from_source: bool = False

    @property
    def ok(self) -> bool:
        """The secret was right (the sign-in may still need its second step)."""
        return self.outcome in (SignInOutcome.OK, SignInOutcome.SECOND_STEP)

    @property
    def message(self) -> str:
        """What to tell the person. Never says whether the username exists."""
        if self.outcome is SignInOutcome.OK:
            return "Signed in."
        if self.outcome is SignInOutcome.SECOND_STEP:
            return "Now confirm it's you."
        if self.from_source:
            if self.outcome is SignInOutcome.LOCKED:
                return f"Too many failed sign-ins from this connection. Contact support and quote {self.ref}."
            return f"Too many failed sign-ins from this connection. Try again in {duration(self.retry_after)}."
        if self.outcome is SignInOutcome.LOCKED:
            return f"{blocked_message(True, self.retry_after)} Quote reference {self.ref}."
        if self.outcome is SignInOutcome.WAIT:
            return blocked_message(False, self.retry_after)
        suffix = f" You can try again in {duration(self.retry_after)}." if self.retry_after else ""
        return self.wrong + suffix


def blocked_message(locked: bool, retry_after: int) -> str:
    """Sign-in (or a password check) refused while locked or backing off."""
    if locked and retry_after:
        return (f"Sign-in is locked after too many failed attempts. Try again in {duration(retry_after)}, "
                "or contact support to unlock it sooner.")
    if locked:
        return "Sign-in is locked after too many failed attempts. Contact support to unlock it."
    return f"Too many failed attempts. Try again in {duration(retry_after)}."


@dataclass(frozen=True)
class AccountSummary:
    username: str
    email: str
    created_at: datetime
    methods_on: list[str] = field(default_factory=list)
    locked: bool = False


@dataclass(frozen=True)
class QuestionPrompt:
    """The security question as the challenge asks it."""

    question: str | None
    #: Wrong answers left before the question locks (the throttle's count).
    tries_left: int
