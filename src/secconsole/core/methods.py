"""Second-step methods: their kinds, states, prerequisites, and the result every ``verify`` gives.

A method's service (e.g. ``core.authenticator.AuthenticatorApp``) enrolls and verifies; the
settings screen, the challenge and ``user show`` read only this module and ``StepResult``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class MethodKind(str, enum.Enum):
    PUSH = "push"
    TOTP = "totp"
    SMS = "sms"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    MethodKind.PUSH: "Mobile app prompt",
    MethodKind.SMS: "Text message",
    MethodKind.TOTP: "Authenticator app code",
}

#: Most secure first: the challenge starts on the first enabled one.
SECURITY_ORDER = (MethodKind.PUSH, MethodKind.TOTP, MethodKind.SMS)
#: As listed on Settings › Password and Security (the source text's order).
DISPLAY_ORDER = (MethodKind.PUSH, MethodKind.SMS, MethodKind.TOTP)


@dataclass(frozen=True)
class MethodState:
    """What the UI shows about one method of one account."""

    kind: MethodKind
    enabled: bool = False
    enabled_at: datetime | None = None
    #: Public detail, e.g. ``{"phone_last2": "42"}``; never a secret.
    detail: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass(frozen=True)
class StepResult:
    """The answer of every method's ``verify``: the challenge only reads this."""

    ok: bool
    message: str = ""
    #: Attempts are used up (locked until support unlocks, or for ``retry_after`` seconds).
    locked: bool = False
    retry_after: int = 0
    #: A helpful aside for a success (e.g. "we adjusted for your clock").
    note: str = ""
    #: False when the answer was not even looked at (locked, or waiting out a back-off): such a
    #: refusal does not count as a wrong answer.
    checked: bool = True

    @classmethod
    def blocked(cls, gate, *, locked_message: str, answers: str = "codes", checked: bool = False) -> StepResult:
        """The refusal of a way whose throttle ``gate`` is closed: locked, or waiting out a back-off."""
        if gate.locked:
            return cls(False, locked_message, locked=True, checked=checked)
        return cls(False, f"Too many wrong {answers}. Try again in {gate.retry_after} seconds.",
                   retry_after=gate.retry_after, checked=checked)


#: Methods whose enrollment and verification exist. The others show "not available yet".
IMPLEMENTED = frozenset({MethodKind.TOTP})


def prerequisite_missing(account, kind: MethodKind) -> str | None:
    """What the account must do first (the source text: SMS needs a verified identity or a
    billing method). ``account`` is an ``AccountView``."""
    if kind is MethodKind.SMS and not (account.identity_verified or account.billing_methods):
        return "Verify your identity or add a billing method first (p: Payments)."
    return None


def unavailable_reason(account, kind: MethodKind) -> str | None:
    """Why the method cannot be turned on now, or None when its enrollment wizard can start."""
    missing = prerequisite_missing(account, kind)
    if missing:
        return missing
    if kind not in IMPLEMENTED:
        return "Not available in this version yet."
    return None


class Methods:
    """Turning methods off (turning on is each method's enrollment wizard)."""

    def __init__(self, db, clock) -> None:
        self.db = db
        self.clock = clock

    def disable(self, account_id: int, kind: MethodKind, *, source: str) -> bool:
        """Delete the method and its secret in one transaction. Returns whether any second
        step is left."""
        from sqlmodel import select

        from secconsole.core import audit
        from secconsole.errors import ValidationError
        from secconsole.core.lookup import require_account
        from secconsole.store.models import MethodEnrollment

        with self.db.transaction() as session:
            account = require_account(session, account_id)
            rows = session.exec(select(MethodEnrollment).where(MethodEnrollment.account_id == account_id)).all()
            target = next((r for r in rows if r.kind == kind.value and r.status == "active"), None)
            if target is None:
                raise ValidationError(f"{kind.label} is already off.")
            session.delete(target)
            remaining = [r.kind for r in rows if r is not target and r.status == "active"]
            audit.record(
                session, at=self.clock.now(), kind=audit.METHOD_DISABLED, source=source,
                account_id=account_id, username=account.username, method=kind.value, remaining=remaining,
            )
            return bool(remaining)
