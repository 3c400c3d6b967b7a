"""The authenticator app method: enrollment, and verification with replay, drift and brute-force
protection. Seeds are sealed with the key file and never shown after enrollment."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import select

from secconsole.core import audit, throttle
from secconsole.core.clock import Clock
from secconsole.core.crypto import SecretBox
from secconsole.errors import ValidationError
from secconsole.core.lookup import require_account
from secconsole.core.methods import MethodKind, StepResult
from secconsole.core.policy import PolicyProfile
from secconsole.core.totp import TotpParams, clean_code, key_uri, matching_step, new_secret, step_at
from secconsole.store.engine import Database
from secconsole.store.models import MethodEnrollment

#: Steps either side of now that count as "now" (RFC 6238's recommended network-delay window).
WINDOW = 1
#: How far a device clock may be off for us to recognise it and say so: 10 minutes.
DRIFT_MINUTES = 10
CLOCK_ADVICE = (
    "Set your phone's time to automatic. iPhone: Settings › General › Date & Time › Set Automatically. "
    "Android: Settings › General Management › Date and time › Automatic date and time."
)

TOTP_FAILED = "totp.failed"
TOTP_REPLAYED = "totp.replayed"
TOTP_DRIFT_LEARNED = "totp.drift_learned"
audit.DESCRIPTIONS.update({
    TOTP_FAILED: "Wrong authenticator app code",
    TOTP_REPLAYED: "An authenticator app code was used twice",
    TOTP_DRIFT_LEARNED: "Adjusted for the authenticator device's clock",
})


@dataclass(frozen=True)
class PendingTotp:
    """An enrollment in progress: held in memory only, so a cancel or a crash leaves nothing."""

    account_id: int
    secret: str
    uri: str
    params: TotpParams


def throttle_key(account_id: int) -> str:
    return throttle.way_key("totp", account_id)


def _purpose(account_id: int) -> bytes:
    return f"totp:{account_id}".encode()


def describe_drift(steps: int, period: int) -> str:
    minutes = max(1, round(abs(steps) * period / 60))
    direction = "fast" if steps > 0 else "slow"
    return f"your device's clock looks about {minutes} minute{'s' if minutes != 1 else ''} {direction}"


class AuthenticatorApp:
    kind = MethodKind.TOTP

    def __init__(self, db: Database, clock: Clock, box: SecretBox, profile: PolicyProfile, issuer: str) -> None:
        self.db = db
        self.clock = clock
        self.box = box
        self.profile = profile
        self.issuer = issuer
        #: Called as ``(account_id, ref, what)`` after a lock is committed (``AccountService.lock_notice``).
        self.lock_notice = None

    # -- enrollment -----------------------------------------------------------------------

    def start(self, account_id: int, username: str, params: TotpParams | None = None) -> PendingTotp:
        """A fresh secret and its key URI. Nothing is written until ``confirm``."""
        params = params or TotpParams()
        secret = new_secret()
        return PendingTotp(account_id, secret, key_uri(secret, username, self.issuer, params), params)

    def confirm(self, pending: PendingTotp, code_text: str, *, source: str) -> StepResult:
        """Turn the method on if ``code_text`` is the app's current code (one transaction)."""
        code = clean_code(code_text, pending.params.digits)
        now = self.clock.now()
        key = throttle_key(pending.account_id)
        with self.db.transaction(readonly=True) as session:
            gate = throttle.check(session, key, now)
        if not gate.open:
            return _blocked(gate)
        current = step_at(now, pending.params)
        step = matching_step(pending.secret, code, _around(current, WINDOW), pending.params)
        drift = None if step is not None else self._drift(pending.secret, code, current, pending.params)
        with self.db.transaction() as session:
            account = require_account(session, pending.account_id)
            if step is None:
                gate = throttle.count_failure(session, key, now, self.profile.lockout, account=account, source=source,
                                              kind=TOTP_FAILED, what="authenticator app codes",
                                              notice=self.lock_notice, during="enrollment")
                return _wrong(gate, drift, pending.params.period)
            existing = session.exec(
                select(MethodEnrollment).where(
                    MethodEnrollment.account_id == account.id, MethodEnrollment.kind == self.kind.value
                )
            ).first()
            if existing is not None:
                raise ValidationError("The authenticator app is already on: turn it off first to pair a new phone.")
            session.add(MethodEnrollment(
                account_id=account.id, kind=self.kind.value, status="active",
                secret=self.box.seal(pending.secret.encode(), _purpose(account.id)),
                detail=json.dumps(pending.params.as_dict()),
                created_at=now, enabled_at=now, last_used_step=step,
            ))
            throttle.clear(session, key)
            audit.record(session, at=now, kind=audit.METHOD_ENABLED, source=source, account_id=account.id,
                         username=account.username, method=self.kind.value, **pending.params.as_dict())
        return StepResult(True, "Authenticator app code is on.")

    # -- verification ---------------------------------------------------------------------

    def verify(self, account_id: int, code_text: str, *, source: str) -> StepResult:
        """Check a code: current step +-1 (shifted by any learned drift), each step once."""
        now = self.clock.now()
        key = throttle_key(account_id)
        with self.db.transaction(readonly=True) as session:
            row = self._enrollment(session, account_id)
            gate = throttle.check(session, key, now)
            params = TotpParams(**json.loads(row.detail))
            sealed, drift_steps, candidate, row_id = row.secret, row.drift_steps, row.drift_candidate, row.id
        code = clean_code(code_text, params.digits)
        if not gate.open:
            return _blocked(gate)
        secret = self.box.open(sealed, _purpose(account_id)).decode()
        current = step_at(now, params)
        step = matching_step(secret, code, _around(current + drift_steps, WINDOW), params)
        learned = None
        drift = None
        if step is None:
            drift = self._drift(secret, code, current, params)
            if drift is not None and drift == candidate:
                learned, step = drift, current + drift
        if step is None:
            return self._refuse(account_id, key, row_id, drift, params, now, source)
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            values = {"last_used_step": step, "drift_candidate": None}
            if learned is not None:
                values["drift_steps"] = learned
            claimed = session.execute(
                sa.update(MethodEnrollment)
                .where(
                    MethodEnrollment.id == row_id,
                    sa.or_(MethodEnrollment.last_used_step.is_(None), MethodEnrollment.last_used_step < step),
                )
                .values(**values)
            ).rowcount
            if not claimed:
                gate, _ = throttle.record_failure(session, key, now, self.profile.lockout)
                audit.record(session, at=now, kind=TOTP_REPLAYED, source=source, account_id=account_id,
                             username=account.username, failures=gate.failures)
                return StepResult(False, "That code was already used. Wait for the next code and enter it.",
                                  locked=gate.locked, retry_after=gate.retry_after)
            throttle.clear(session, key)
            note = ""
            if learned is not None:
                audit.record(session, at=now, kind=TOTP_DRIFT_LEARNED, source=source, account_id=account_id,
                             username=account.username, drift_steps=learned)
                note = f"Accepted: {describe_drift(learned, params.period)}, so we now allow for it. {CLOCK_ADVICE}"
        return StepResult(True, "Code accepted.", note=note)

    def _refuse(self, account_id, key, row_id, drift, params, now, source) -> StepResult:
        """A wrong code: remember any drift for next time, count it, and tell the owner on a lock."""
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            session.execute(
                sa.update(MethodEnrollment).where(MethodEnrollment.id == row_id).values(drift_candidate=drift)
            )
            gate = throttle.count_failure(session, key, now, self.profile.lockout, account=account, source=source,
                                          kind=TOTP_FAILED, what="authenticator app codes",
                                          notice=self.lock_notice, drift_steps=drift if drift is not None else 0)
        return _wrong(gate, drift, params.period)

    # -- helpers --------------------------------------------------------------------------

    def _enrollment(self, session, account_id: int) -> MethodEnrollment:
        row = session.exec(
            select(MethodEnrollment).where(
                MethodEnrollment.account_id == account_id,
                MethodEnrollment.kind == self.kind.value,
                MethodEnrollment.status == "active",
            )
        ).first()
        if row is None:
            raise ValidationError("The authenticator app is not on for this account.")
        return row

    def _drift(self, secret: str, code: str, current: int, params: TotpParams) -> int | None:
        """The offset (in steps) at which ``code`` would be right, within +-10 minutes."""
        radius = DRIFT_MINUTES * 60 // params.period
        by_distance = sorted(range(-radius, radius + 1), key=abs)
        step = matching_step(secret, code, (current + d for d in by_distance if abs(d) > WINDOW), params)
        return None if step is None else step - current


def _around(center: int, radius: int) -> list[int]:
    return [center, *(center + d * sign for d in range(1, radius + 1) for sign in (-1, 1))]


def _blocked(gate: throttle.Gate, *, checked: bool = False) -> StepResult:
    return StepResult.blocked(
        gate, checked=checked, locked_message="Too many wrong codes: the authenticator app is locked. Use "
        "another way to confirm it's you, or contact support.",
    )


def _wrong(gate: throttle.Gate, drift: int | None, period: int) -> StepResult:
    if gate.locked:
        return _blocked(gate, checked=True)
    if drift is not None:
        message = f"That code is not valid now: {describe_drift(drift, period)}. {CLOCK_ADVICE}"
    else:
        message = "That code is not correct. Check that you are reading the code for this account."
    if gate.retry_after:
        message += f" Try again in {gate.retry_after} seconds."
    return StepResult(False, message, retry_after=gate.retry_after)
