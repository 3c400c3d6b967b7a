"""Recovery codes (beyond the source text; every major provider has them): ten single-use codes
shown once, kept as keyed hashes; a new set voids the old one."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from sqlmodel import select

from secconsole.core import audit, throttle
from secconsole.core.clock import Clock
from secconsole.core.crypto import SecretBox
from secconsole.errors import ValidationError
from secconsole.core.lookup import require_account
from secconsole.core.methods import StepResult
from secconsole.core.policy import PolicyProfile
from secconsole.store.engine import Database
from secconsole.store.models import RecoveryCode

COUNT = 10
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i
RECOVERY_GENERATED = "recovery.generated"
RECOVERY_USED = "recovery.used"
RECOVERY_FAILED = "recovery.failed"
audit.DESCRIPTIONS.update({
    RECOVERY_GENERATED: "New recovery codes made (the old ones stopped working)",
    RECOVERY_USED: "A recovery code was used",
    RECOVERY_FAILED: "Wrong recovery code",
})


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def clean(text: str) -> str:
    code = re.sub(r"[\s\-]", "", text).lower()
    if not code:
        raise ValidationError("Enter one of your recovery codes.", field="code")
    if len(code) != 10 or any(c not in _ALPHABET for c in code):
        raise ValidationError("A recovery code looks like abcde-23456 (ten letters and digits).", field="code")
    return code


class RecoveryCodes:
    def __init__(self, db: Database, clock: Clock, box: SecretBox, profile: PolicyProfile) -> None:
        self.db = db
        self.clock = clock
        self.box = box
        self.profile = profile
        self.lock_notice = None

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
            audit.record(session, at=now, kind=RECOVERY_GENERATED, source=source, account_id=account_id,
                         username=account.username, count=COUNT)
        return codes

    def remaining(self, account_id: int) -> int:
        with self.db.transaction(readonly=True) as session:
            return len(session.exec(
                select(RecoveryCode.id).where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
            ).all())

    def verify(self, account_id: int, text: str, *, source: str) -> StepResult:
        code = clean(text)
        now = self.clock.now()
        key = throttle.way_key("recovery", account_id)
        digest = self._digest(account_id, code)
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            gate = throttle.check(session, key, now)
            if not gate.open:
                return StepResult.blocked(gate, locked_message="Too many wrong codes: contact support.")
            claimed = session.execute(
                sa.update(RecoveryCode)
                .where(RecoveryCode.account_id == account_id, RecoveryCode.code_hash == digest,
                       RecoveryCode.used_at.is_(None))
                .values(used_at=now)
            ).rowcount == 1
            if not claimed:
                gate = throttle.count_failure(session, key, now, self.profile.lockout, account=account,
                                              source=source, kind=RECOVERY_FAILED, what="recovery codes",
                                              notice=self.lock_notice)
                return StepResult(False, "That recovery code is not right, or was already used.",
                                  locked=gate.locked, retry_after=gate.retry_after)
            throttle.clear(session, key)
            left = len(session.exec(
                select(RecoveryCode.id).where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
            ).all())
            audit.record(session, at=now, kind=RECOVERY_USED, source=source, account_id=account_id,
                         username=account.username, remaining=left)
        note = f"{left} recovery code{'s' if left != 1 else ''} left." + (
            " Make new ones in Settings." if left <= 2 else "")
        return StepResult(True, "Recovery code accepted.", note=note)
