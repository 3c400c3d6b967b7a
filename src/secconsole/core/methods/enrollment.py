"""Enrollments of every way: what an account has (for its view) and turning a method off.

Turning a method on is its own wizard (each way's ``start``/``confirm``)."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from secconsole.core import audit
from secconsole.core.lookup import require_account
from secconsole.core.methods import registry
from secconsole.core.methods.base import MethodState, Role
from secconsole.errors import ValidationError
from secconsole.store.models import Account, MethodEnrollment

ACTIVE = "active"


def active_enrollment(session: Session, account_id: int, kind: str) -> MethodEnrollment | None:
    return session.exec(
        select(MethodEnrollment).where(
            MethodEnrollment.account_id == account_id, MethodEnrollment.kind == kind,
            MethodEnrollment.status == ACTIVE,
        )
    ).first()


def states(session: Session, account: Account) -> list[MethodState]:
    """One state per registered way: methods from their enrollments, backups from their own."""
    rows = {r.kind: r for r in session.exec(
        select(MethodEnrollment).where(MethodEnrollment.account_id == account.id)).all()}
    out = []
    for spec in registry.all_ways():
        if spec.role is Role.METHOD:
            row = rows.get(spec.kind)
            if row is not None and row.status == ACTIVE:
                out.append(MethodState(spec.kind, True, row.enabled_at, json.loads(row.detail or "{}")))
            else:
                out.append(MethodState(spec.kind))
        elif spec.available:
            out.append(registry.service_class(spec).state(session, account))
        else:
            out.append(MethodState(spec.kind))
    return out


class Enrollments:
    """Turning methods off: the enrollment and its secret go in one transaction."""

    def __init__(self, db, clock, notices) -> None:
        self.db = db
        self.clock = clock
        #: ``core.notices.Notices``: turning a method off is told to the owner.
        self.notices = notices

    def disable(self, account_id: int, kind: str, *, source: str) -> bool:
        """Delete the method and its secret. Returns whether any second step is left."""
        spec = registry.get(kind)
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            rows = session.exec(select(MethodEnrollment).where(MethodEnrollment.account_id == account_id)).all()
            target = next((r for r in rows if r.kind == kind and r.status == ACTIVE), None)
            if target is None:
                raise ValidationError(f"{spec.label} is already off.")
            session.delete(target)
            forget = getattr(registry.service_class(spec), "forget", None) if spec.available else None
            if forget is not None:  # what the way keeps beside its enrollment (paired devices)
                forget(session, account_id)
            remaining = [r.kind for r in rows if r is not target and r.status == ACTIVE]
            self.notices.record(session, account, at=self.clock.now(), kind=audit.METHOD_DISABLED, source=source,
                                method=kind, remaining=remaining)
            return bool(remaining)

