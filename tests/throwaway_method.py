"""A throwaway second step for the method contract suite: a 4-digit PIN, registered only by the
tests that use it (``registered``). It is its own module plus one registry line, like any way."""

from __future__ import annotations

import contextlib

from secconsole.core import audit, throttle
from secconsole.core.lookup import require_account
from secconsole.core.methods import Capabilities, MethodContext, Reason, Role, StepResult, WaySpec, attempts, registry
from secconsole.core.methods.enrollment import ACTIVE, active_enrollment
from secconsole.errors import ValidationError
from secconsole.store.models import MethodEnrollment

#: Hostile text in every label: the console must show it literally.
SPEC = WaySpec(
    "pin", "PIN [/] [@click=app.quit]x[/b]", "Type your PIN [/]", "the PIN [red]", Role.METHOD,
    "throwaway_method:PinMethod", Capabilities(single_use=False), failures="PINs",
)


@contextlib.contextmanager
def registered():
    registry.register(SPEC)
    try:
        yield SPEC
    finally:
        registry.unregister(SPEC.kind)


class PinMethod:
    spec = SPEC

    def __init__(self, ctx: MethodContext) -> None:
        self.ctx = ctx

    def begin(self, account_id: int, *, source: str) -> str:
        return ""

    def enroll(self, account_id: int, pin: str, *, source: str) -> None:
        now = self.ctx.clock.now()
        with self.ctx.db.transaction() as session:
            account = require_account(session, account_id)
            session.add(MethodEnrollment(account_id=account_id, kind="pin", status=ACTIVE, created_at=now,
                                         enabled_at=now, secret=self.ctx.box.seal(pin.encode(), b"pin")))
            audit.record(session, at=now, kind=audit.METHOD_ENABLED, source=source, account_id=account_id,
                         username=account.username, method="pin")

    def verify(self, account_id: int, answer: str, *, source: str) -> StepResult:
        if not answer.isdigit() or len(answer) != 4:
            raise ValidationError("A PIN has 4 digits.", field="code")
        now = self.ctx.clock.now()
        with self.ctx.db.transaction() as session:  # counted before it is checked
            row = active_enrollment(session, account_id, "pin")
            pin = self.ctx.box.open(row.secret, b"pin").decode() if row is not None else None
            attempt = attempts.claim(self.ctx, SPEC, session, account_id, now)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, locked_message="Too many wrong PINs.")
        with self.ctx.db.transaction() as session:
            if pin == answer:
                throttle.refund(session, attempt)
                return StepResult.accepted("PIN accepted.")
            gate = attempts.wrong(self.ctx, SPEC, session, attempt, now, require_account(session, account_id),
                                  source=source, kind="pin.failed")
        return StepResult.refused(Reason.WRONG, "That PIN is not right.", gate=gate)
