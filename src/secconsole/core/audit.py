"""The audit trail: every security event, with time and source, never a secret."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

ACCOUNT_CREATED = "account.created"
ACCOUNT_LOCKED = "account.locked"
ACCOUNT_UNLOCKED = "account.unlocked"
SIGNIN_SUCCEEDED = "signin.succeeded"
SIGNIN_PASSWORD_OK = "signin.password_ok"
SIGNIN_FAILED = "signin.failed"
SIGNIN_BLOCKED = "signin.blocked"
SIGNED_OUT = "signout"
PASSWORD_CHANGED = "password.changed"
PASSWORD_CHANGE_FAILED = "password.change_failed"
PASSWORD_REHASHED = "password.rehashed"
#: A mobile app prompt was reported as not the owner: the next sign-in must change the password.
PASSWORD_CHANGE_REQUIRED = "password.change_required"
CHALLENGE_EXHAUSTED = "challenge.exhausted"
STEPUP_SUCCEEDED = "stepup.succeeded"
STEPUP_FAILED = "stepup.failed"
METHOD_ENABLED = "method.enabled"
METHOD_DISABLED = "method.disabled"
EMAIL_FALLBACK_CHANGED = "email_fallback.changed"
QUESTION_SET = "question.set"
QUESTION_REMOVED = "question.removed"
BILLING_ADDED = "billing.added"
BILLING_REMOVED = "billing.removed"
IDENTITY_VERIFIED = "identity.verified"
IDENTITY_FAILED = "identity.failed"
IDENTITY_RECORDED = "identity.recorded"
TWO_STEP_RESET = "two_step.reset"
SOURCE_UNLOCKED = "source.unlocked"
SOURCE_LOCKED = "source.locked"
EMAIL_VERIFICATION_SENT = "email.verification_sent"
EMAIL_VERIFICATION_FAILED = "email.verification_failed"
EMAIL_VERIFIED = "email.verified"

#: What each kind means to a person reading the activity list.
DESCRIPTIONS = {
    ACCOUNT_CREATED: "Account created",
    ACCOUNT_LOCKED: "Account locked after too many failed attempts",
    ACCOUNT_UNLOCKED: "Account unlocked",
    SIGNIN_SUCCEEDED: "Signed in",
    SIGNIN_PASSWORD_OK: "Password accepted; second step asked",
    SIGNIN_FAILED: "Failed sign-in attempt",
    SIGNIN_BLOCKED: "Sign-in refused while locked or waiting",
    SIGNED_OUT: "Signed out",
    PASSWORD_CHANGED: "Password changed",
    PASSWORD_CHANGE_FAILED: "Password change refused: wrong current password",
    PASSWORD_REHASHED: "Password hash upgraded",
    PASSWORD_CHANGE_REQUIRED: "Password must be changed at the next sign-in (a prompt was reported as not you)",
    CHALLENGE_EXHAUSTED: "Every way to confirm it's you was used up: sent to support",
    STEPUP_SUCCEEDED: "Confirmed it's you for settings or payments",
    STEPUP_FAILED: "Failed to confirm it's you for settings or payments",
    METHOD_ENABLED: "Two-step method turned on",
    METHOD_DISABLED: "Two-step method deleted and turned off",
    EMAIL_FALLBACK_CHANGED: "Email fallback changed",
    QUESTION_SET: "Security question set",
    QUESTION_REMOVED: "Security question removed",
    BILLING_ADDED: "Billing method added",
    BILLING_REMOVED: "Billing method removed",
    IDENTITY_VERIFIED: "Identity verified",
    IDENTITY_FAILED: "Identity verification failed",
    IDENTITY_RECORDED: "Identity record put on file by support",
    TWO_STEP_RESET: "Two-step verification reset by support",
    SOURCE_UNLOCKED: "Failed sign-ins from a connection cleared by support",
    SOURCE_LOCKED: "A connection locked after too many failed sign-ins",
    EMAIL_VERIFICATION_SENT: "Email verification code sent",
    EMAIL_VERIFICATION_FAILED: "Wrong email verification code",
    EMAIL_VERIFIED: "Email address verified",
}



def describe(kind: str) -> str:
    """What an event kind means to a person: ours, or the way's that writes it (its registry line)."""
    if kind in DESCRIPTIONS:
        return DESCRIPTIONS[kind]
    from secconsole.core.methods import registry

    return registry.audit_description(kind) or kind


_REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_FORBIDDEN_DETAIL_KEYS = {"password", "code", "secret", "answer", "seed", "otp", "token"}


def new_ref() -> str:
    """A short id a person can read out to support, e.g. ``K7Q2-M9XD``."""
    raw = "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    kind: str
    username: str
    source: str
    detail: dict
    ref: str

    @property
    def description(self) -> str:
        return describe(self.kind)


def record(
    session: Session,
    *,
    at: datetime,
    kind: str,
    source: str,
    account_id: int | None = None,
    username: str = "",
    **detail: object,
) -> str:
    """Add one event to the current transaction and return its reference id."""
    from secconsole.store.models import AuditEvent

    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(k.lower() for k in detail)
    if leaked:
        raise ValueError(f"audit detail may not carry secrets: {sorted(leaked)}")
    ref = new_ref()
    session.add(
        AuditEvent(
            at=at,
            account_id=account_id,
            username=username[:64],
            kind=kind,
            source=source[:120],
            detail=json.dumps(detail, sort_keys=True, default=str),
            ref=ref,
        )
    )
    return ref


def to_record(event) -> AuditRecord:
    return AuditRecord(
        at=event.at,
        kind=event.kind,
        username=event.username,
        source=event.source,
        detail=json.loads(event.detail or "{}"),
        ref=event.ref,
    )
