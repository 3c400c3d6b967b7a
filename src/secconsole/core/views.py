"""The plain data the UI gets from the core: no ORM, no database stack, cheap to import."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from secconsole.core.methods.base import MethodState, Role
from secconsole.core.wording import duration


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


@dataclass(frozen=True)
class CodeSent:
    """A code emailed to the account: where it went (masked) and in how many seconds another may
    be asked for."""

    to: str
    resend_after: int


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
