"""The email code: the last resort of a challenge. Six digits, single use, kept as a keyed hash,
valid for the profile's window; using it sends a notice to the same address."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from secconsole.core import audit, throttle
from secconsole.core.clock import seconds_until
from secconsole.core.delivery import Message
from secconsole.core.lookup import require_account
from secconsole.core.methods import attempts, registry
from secconsole.core.methods.base import MethodContext, MethodState, Reason, StepResult
from secconsole.core.totp import clean_code
from secconsole.core.wording import duration, valid_for
from secconsole.errors import ValidationError
from secconsole.store.models import EmailCode

RESEND_SECONDS = 60
EMAIL_CODE_SENT = "email_code.sent"
EMAIL_CODE_FAILED = "email_code.failed"
EMAIL_CODE_USED = "email_code.used"
UNVERIFIED = "This account's email address is not verified yet, so no code is emailed to it."


def mask(email: str) -> str:
    """``a•••e@example.com``: enough to recognise, not enough to harvest."""
    local, _, domain = email.partition("@")
    shown = local[0] + "•••" + (local[-1] if len(local) > 2 else "")
    return f"{shown}@{domain}"


class EmailFallback:
    spec = registry.get("email")

    def __init__(self, ctx: MethodContext) -> None:
        self.ctx = ctx
        self.db, self.clock, self.box, self.profile, self.sender = ctx.db, ctx.clock, ctx.box, ctx.profile, ctx.sender

    @staticmethod
    def state(session, account) -> MethodState:
        return MethodState("email", account.email_fallback_enabled)

    def begin(self, account_id: int, *, source: str) -> str:
        where = self.send_code(account_id, source=source)
        return f"We emailed a 6-digit code to {where}. It works once, for {valid_for(self.profile.email_code_minutes)}."

    def _digest(self, account_id: int, code: str) -> str:
        return self.box.digest(code.encode(), f"email code:{account_id}".encode())

    def send_code(self, account_id: int, *, source: str) -> str:
        """Send a fresh code (voiding earlier ones). Returns the masked address it went to."""
        now = self.clock.now()
        code = f"{secrets.randbelow(10**6):06d}"
        minutes = self.profile.email_code_minutes
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            if not account.email_fallback_enabled:
                raise ValidationError("Email codes are switched off for this account.")
            if not account.email_verified:
                raise ValidationError(UNVERIFIED)
            last = session.exec(
                select(EmailCode).where(EmailCode.account_id == account_id).order_by(EmailCode.id.desc())
            ).first()
            wait = 0 if last is None else seconds_until(last.created_at + timedelta(seconds=RESEND_SECONDS), now)
            if wait:
                raise ValidationError(f"A code was just sent. You can ask for another in {duration(wait)}.")
            session.execute(
                sa.update(EmailCode).where(EmailCode.account_id == account_id, EmailCode.used_at.is_(None))
                .values(expires_at=now)
            )
            session.add(EmailCode(account_id=account_id, code_hash=self._digest(account_id, code),
                                  created_at=now, expires_at=now + timedelta(minutes=minutes)))
            audit.record(session, at=now, kind=EMAIL_CODE_SENT, source=source, account_id=account_id,
                         username=account.username, to=mask(account.email))
            email, name = account.email, account.username
        valid = valid_for(minutes)
        self.sender.send(Message(
            "email", email, "Your SecConsole sign-in code",
            f"Hello {name},\n\nYour sign-in code is {code}. It works once, for {valid}.\n\n"
            "We sent it because every other way to confirm it's you was used up. If this was not "
            "you, change your password and contact support.\n",
            account_id,
        ))
        return mask(email)

    def verify(self, account_id: int, code_text: str, *, source: str) -> StepResult:
        """Counted first; then the newest waiting code is compared and claimed by a conditional
        update (used once)."""
        code = clean_code(code_text, 6, self.spec)
        now = self.clock.now()
        attempt = attempts.claim_own(self.ctx, self.spec, account_id, now)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, locked_message="Too many wrong codes: contact support.")
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            row = session.exec(
                select(EmailCode).where(EmailCode.account_id == account_id, EmailCode.used_at.is_(None),
                                        EmailCode.expires_at > now)
                .order_by(EmailCode.id.desc())
            ).first()
            matched = row is not None and secrets.compare_digest(row.code_hash, self._digest(account_id, code))
            claimed = matched and session.execute(
                sa.update(EmailCode).where(EmailCode.id == row.id, EmailCode.used_at.is_(None)).values(used_at=now)
            ).rowcount == 1
            if not claimed:
                gate = attempts.wrong(self.ctx, self.spec, session, attempt, now, account, source=source,
                                      kind=EMAIL_CODE_FAILED)
                if row is not None:
                    return StepResult.refused(Reason.WRONG, "That code is not right.", gate=gate)
                return StepResult.refused(Reason.EXPIRED, "That code has expired or was used: ask for a new one.",
                                          gate=gate)
            throttle.refund(session, attempt)
            audit.record(session, at=now, kind=EMAIL_CODE_USED, source=source, account_id=account_id,
                         username=account.username)
            email, name = account.email, account.username
        self.sender.send(Message(
            "email", email, "Your SecConsole email code was used",
            f"Hello {name},\n\nThe email code was used to confirm it's you at {now:%Y-%m-%d %H:%M} UTC "
            f"({source}). If this was not you, change your password and contact support now.\n",
            account_id,
        ))
        return StepResult.accepted("Code accepted.")
