"""The authenticator app: enrollment, and verification with replay, drift and brute-force
protection. Seeds are sealed with the key file and never shown after enrollment."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from secconsole.core import audit, throttle
from secconsole.core.lookup import require_account
from secconsole.core.methods import attempts, registry
from secconsole.core.methods.base import MethodContext, Reason, StepResult
from secconsole.core.methods.enrollment import ACTIVE, active_enrollment
from secconsole.core.totp import TotpParams, clean_code, key_uri, new_secret, step_at
from secconsole.core.totp_window import DriftState, Judgement, judge
from secconsole.core.wording import duration, plural
from secconsole.errors import ValidationError
from secconsole.store.models import MethodEnrollment, TotpState

CLOCK_ADVICE = (
    "Set your phone's time to automatic. iPhone: Settings › General › Date & Time › Set Automatically. "
    "Android: Settings › General Management › Date and time › Automatic date and time."
)

TOTP_FAILED = "totp.failed"
TOTP_REPLAYED = "totp.replayed"
TOTP_DRIFT_LEARNED = "totp.drift_learned"
TOTP_DRIFT_RESET = "totp.drift_reset"
LOCKED_MESSAGE = ("Too many wrong codes: the authenticator app is locked. Use another way to confirm it's you, "
                  "or contact support.")


@dataclass(frozen=True)
class PendingTotp:
    """An enrollment in progress: held in memory only, so a cancel or a crash leaves nothing."""

    account_id: int
    secret: str
    uri: str
    params: TotpParams


def purpose(account_id: int) -> bytes:
    """What the seed is sealed for (``SecretBox``): this account's authenticator app."""
    return f"totp:{account_id}".encode()


def describe_drift(steps: int, period: int) -> str:
    minutes = max(1, round(abs(steps) * period / 60))
    return f"your device's clock looks about {plural(minutes, 'minute')} {'fast' if steps > 0 else 'slow'}"


class AuthenticatorApp:
    spec = registry.get("totp")

    def __init__(self, ctx: MethodContext) -> None:
        self.ctx = ctx
        self.db, self.clock, self.box, self.profile = ctx.db, ctx.clock, ctx.box, ctx.profile
        self.issuer = ctx.issuer

    def begin(self, account_id: int, *, source: str) -> str:
        return ""

    # -- enrollment -----------------------------------------------------------------------

    def start(self, account_id: int, username: str, params: TotpParams | None = None) -> PendingTotp:
        """A fresh secret and its key URI. Nothing is written until ``confirm``."""
        params = params or TotpParams()
        secret = new_secret()
        return PendingTotp(account_id, secret, key_uri(secret, username, self.issuer, params), params)

    def confirm(self, pending: PendingTotp, code_text: str, *, source: str) -> StepResult:
        """Turn the method on if ``code_text`` is the app's current code (counted first, like any
        code; the method turned on in one transaction)."""
        code = clean_code(code_text, pending.params.digits, self.spec)
        now = self.clock.now()
        with self.db.transaction() as session:
            self._not_on(session, pending.account_id)
            attempt = attempts.claim(self.ctx, self.spec, session, pending.account_id, now)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, locked_message=LOCKED_MESSAGE)
        judged = judge(pending.secret, code, step_at(now, pending.params), DriftState(), pending.params)
        step, drift = judged.step, judged.drift
        with self.db.transaction() as session:
            account = require_account(session, pending.account_id)
            if step is None:
                gate = self._count(session, attempt, now, account, source, during="enrollment")
                return _wrong(gate, drift, pending.params.period)
            self._not_on(session, account.id)
            row = MethodEnrollment(
                account_id=account.id, kind=self.spec.kind, status=ACTIVE,
                secret=self.box.seal(pending.secret.encode(), purpose(account.id)),
                detail=json.dumps(pending.params.as_dict()), created_at=now, enabled_at=now,
            )
            session.add(row)
            session.flush()
            session.add(TotpState(enrollment_id=row.id, last_used_step=step))
            throttle.refund(session, attempt)
            self.ctx.notices.record(session, account, at=now, kind=audit.METHOD_ENABLED, source=source,
                                    method=self.spec.kind, **pending.params.as_dict())
        return StepResult.accepted("Authenticator app code is on.")

    def _not_on(self, session, account_id: int) -> None:
        if active_enrollment(session, account_id, self.spec.kind) is not None:
            raise ValidationError("The authenticator app is already on: turn it off first to pair a new phone.")

    # -- verification ---------------------------------------------------------------------

    def verify(self, account_id: int, code_text: str, *, source: str) -> StepResult:
        """Check a code: current step +-1 and the learned drift +-1 (``totp_window``), each step
        once. The attempt is counted before the code is looked at; a success takes it back."""
        now = self.clock.now()
        with self.db.transaction() as session:
            row = self._enrollment(session, account_id)
            state = session.get(TotpState, row.id)
            params = TotpParams(**json.loads(row.detail))
            code = clean_code(code_text, params.digits, self.spec)
            secret = self.box.open(row.secret, purpose(account_id)).decode()
            row_id = row.id
            drift = DriftState(state.drift_steps, state.last_used_step, state.drift_candidate,
                               state.drift_candidate_step)
            attempt = attempts.claim(self.ctx, self.spec, session, account_id, now)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, locked_message=LOCKED_MESSAGE)
        judged = judge(secret, code, step_at(now, params), drift, params)
        step, learned = judged.step, judged.learned
        if step is None:
            return self._refuse(account_id, attempt, row_id, judged, params, now, source)
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            values = {"last_used_step": step, "drift_candidate": None, "drift_candidate_step": None}
            if learned is not None or judged.reset:
                values["drift_steps"] = learned or 0
            claimed = session.execute(
                sa.update(TotpState)
                .where(TotpState.enrollment_id == row_id,
                       sa.or_(TotpState.last_used_step.is_(None), TotpState.last_used_step < step))
                .values(**values)
            ).rowcount
            if not claimed:
                gate = attempts.wrong(self.ctx, self.spec, session, attempt, now, account, source=source,
                                      kind=TOTP_REPLAYED, reason=Reason.REPLAYED.value)
                if gate.locked:
                    return StepResult.refused(Reason.REPLAYED, LOCKED_MESSAGE, gate=gate, step=step)
                return StepResult.refused(Reason.REPLAYED, "That code was already used. Wait for the next code "
                                          "and enter it.", gate=gate, step=step)
            throttle.refund(session, attempt)
            if judged.reset:
                audit.record(session, at=now, kind=TOTP_DRIFT_RESET, source=source, account_id=account_id,
                             username=account.username, drift_steps=drift.learned)
            if learned is None:
                return StepResult.accepted("Code accepted.")
            audit.record(session, at=now, kind=TOTP_DRIFT_LEARNED, source=source, account_id=account_id,
                         username=account.username, drift_steps=learned)
        note = f"Accepted: {describe_drift(learned, params.period)}, so we now allow for it. {CLOCK_ADVICE}"
        return StepResult.accepted("Code accepted.", note=note, reason=Reason.ACCEPTED_DRIFT, steps=learned,
                                   period=params.period)

    def _refuse(self, account_id, attempt, row_id, judged: Judgement, params, now, source) -> StepResult:
        """A wrong code or a drift hit not yet learned (counted already): remember the candidate
        (a wrong code forgets it), audit it, and tell the owner on a lock."""
        offset, device_step = judged.candidate or (None, None)
        drift = judged.drift
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            session.execute(sa.update(TotpState).where(TotpState.enrollment_id == row_id)
                            .values(drift_candidate=offset, drift_candidate_step=device_step))
            gate = self._count(session, attempt, now, account, source, drift_steps=drift if drift is not None else 0)
        return _wrong(gate, drift, params.period)

    def _count(self, session, attempt, now, account, source, **detail) -> throttle.Gate:
        return attempts.wrong(self.ctx, self.spec, session, attempt, now, account, source=source, kind=TOTP_FAILED,
                              **detail)

    # -- helpers --------------------------------------------------------------------------

    def _enrollment(self, session, account_id: int) -> MethodEnrollment:
        row = active_enrollment(session, account_id, self.spec.kind)
        if row is None:
            raise ValidationError("The authenticator app is not on for this account.")
        return row

    def secret_and_params(self, account_id: int) -> tuple[str, TotpParams]:
        """The seed and its parameters: for demo mode's "what the phone would show" only."""
        with self.db.transaction(readonly=True) as session:
            row = self._enrollment(session, account_id)
            sealed, params = row.secret, TotpParams(**json.loads(row.detail))
        return self.box.open(sealed, purpose(account_id)).decode(), params


def _wrong(gate: throttle.Gate, drift: int | None, period: int) -> StepResult:
    if gate.locked:
        return StepResult.refused(Reason.WRONG, LOCKED_MESSAGE, gate=gate)
    wait = f" Try again in {duration(gate.retry_after)}." if gate.retry_after else ""
    if drift is not None:
        message = f"That code is not valid now: {describe_drift(drift, period)}. {CLOCK_ADVICE}{wait}"
        return StepResult.refused(Reason.CLOCK_OFF, message, gate=gate, steps=drift, period=period)
    message = f"That code is not correct. Check that you are reading the code for this account.{wait}"
    return StepResult.refused(Reason.WRONG, message, gate=gate)
