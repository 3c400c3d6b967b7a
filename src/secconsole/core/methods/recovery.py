"""Recovery codes (beyond the source text; every major provider has them): ten single-use codes
shown once, kept as keyed hashes; a new set voids the old one."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from sqlmodel import select

from secconsole.core import audit, throttle
from secconsole.core.lookup import require_account
from secconsole.core.methods import attempts, registry
from secconsole.core.methods.base import MethodContext, MethodState, Reason, StepResult
from secconsole.core.wording import plural
from secconsole.errors import ValidationError
from secconsole.store.models import RecoveryCode

COUNT = 10
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i
RECOVERY_GENERATED = "recovery.generated"
RECOVERY_USED = "recovery.used"
RECOVERY_FAILED = "recovery.failed"


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def clean(text: str) -> str:
    spec = registry.get("recovery")
    code = re.sub(r"[\s\-]", "", text).lower()
    if not code:
        raise ValidationError(spec.ask_for(), field="code")
    if len(code) != 10 or any(c not in _ALPHABET for c in code):
        raise ValidationError(spec.malformed("looks like abcde-23456 (ten letters and digits)"), field="code")
    return code


def _unused(session, account_id: int) -> int:
    return len(session.exec(
        select(RecoveryCode.id).where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
    ).all())


class RecoveryCodes:
    spec = registry.get("recovery")

    def __init__(self, ctx: MethodContext) -> None:
        self.ctx = ctx
        self.db, self.clock, self.box, self.profile = ctx.db, ctx.clock, ctx.box, ctx.profile

    @staticmethod
    def state(session, account) -> MethodState:
        left = _unused(session, account.id)
        return MethodState("recovery", left > 0, detail={"left": left})

    def begin(self, account_id: int, *, source: str) -> str:
        return ""

    def _digest(self, account_id: int, code: str) -> str:
        return self.box.digest(code.encode(), f"recovery:{account_id}".encode())

    def generate(self, account_id: int, *, source: str) -> list[str]:
        """A new set of codes, to show once; the previous set is deleted in the same transaction."""
        now = self.clock.now()
        codes = [_new_code() for _ in range(COUNT)]
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            session.execute(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
            for code in codes:
                session.add(RecoveryCode(account_id=account_id, code_hash=self._digest(account_id, code.replace("-", "")),
                                         created_at=now))
            self.ctx.notices.record(session, account, at=now, kind=RECOVERY_GENERATED, source=source, count=COUNT)
        return codes

    def remaining(self, account_id: int) -> int:
        with self.db.transaction(readonly=True) as session:
            return _unused(session, account_id)

    def verify(self, account_id: int, text: str, *, source: str) -> StepResult:
        """Counted first; then the code is claimed by a conditional update (used once)."""
        code = clean(text)
        now = self.clock.now()
        digest = self._digest(account_id, code)
        attempt = attempts.claim_own(self.ctx, self.spec, account_id, now)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, locked_message="Too many wrong codes: contact support.")
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            claimed = session.execute(
                sa.update(RecoveryCode)
                .where(RecoveryCode.account_id == account_id, RecoveryCode.code_hash == digest,
                       RecoveryCode.used_at.is_(None))
                .values(used_at=now)
            ).rowcount == 1
            if not claimed:
                gate = attempts.wrong(self.ctx, self.spec, session, attempt, now, account, source=source,
                                      kind=RECOVERY_FAILED)
                return StepResult.refused(Reason.WRONG, "That recovery code is not right, or was already used.",
                                          gate=gate)
            throttle.refund(session, attempt)
            left = _unused(session, account_id)
            audit.record(session, at=now, kind=RECOVERY_USED, source=source, account_id=account_id,
                         username=account.username, remaining=left)
        note = f"{plural(left, 'recovery code')} left." + (" Make new ones in Settings." if left <= 2 else "")
        return StepResult.accepted("Recovery code accepted.", note=note)
