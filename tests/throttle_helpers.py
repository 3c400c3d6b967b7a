"""Putting a throttle counter where a test needs it (say one failure short of the lock, with no
back-off running) and counting what the audit trail says happened."""

from __future__ import annotations

from datetime import timedelta


def set_failures(services, key: str, failures: int) -> None:
    """``failures`` consecutive failures on ``key``, the last one a day ago: no back-off running,
    no lock (the next failure decides)."""
    from secconsole.store.models import Throttle

    long_ago = services.clock.now() - timedelta(days=1)
    with services.db.transaction() as session:
        row = session.get(Throttle, key) or Throttle(key=key)
        row.failures, row.last_failure_at, row.next_allowed_at, row.locked_at = failures, long_ago, None, None
        session.add(row)


def failures_of(services, key: str) -> int:
    from secconsole.store.models import Throttle

    with services.db.transaction(readonly=True) as session:
        row = session.get(Throttle, key)
        return row.failures if row else 0


def events(services, account_id: int | None, *kinds: str) -> list:
    """The audit rows of these kinds (of one account, or of none), oldest first."""
    from sqlmodel import select

    from secconsole.core import audit
    from secconsole.store.models import AuditEvent

    with services.db.transaction(readonly=True) as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.account_id == account_id, AuditEvent.kind.in_(kinds))
            .order_by(AuditEvent.id)
        ).all()
        return [audit.to_record(r) for r in rows]


def lock_notices(services, account_id: int) -> list:
    from secconsole.core.delivery import recent_outbox

    return [m for m in recent_outbox(services.db, services.box, account_id=account_id, limit=100)
            if m.subject == "Your SecConsole account was locked"]
