"""Consecutive-failure counting with exponential back-off and a hard lock.

Keys are strings such as ``signin:alice``. They exist whether or not an account does, so the
answers never tell an attacker which usernames are real.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import select

from secconsole.core.policy import LockoutRules
from secconsole.store.models import Throttle

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class Gate:
    failures: int = 0
    locked: bool = False
    #: Seconds until the next attempt is allowed (0: now).
    retry_after: int = 0

    @property
    def open(self) -> bool:
        return not self.locked and self.retry_after == 0


def signin_key(username_key: str) -> str:
    return f"signin:{username_key}"


def source_key(source: str) -> str:
    return f"source:{source}"[:160]


def way_key(way: str, account_id: int) -> str:
    """The counter of one of an account's ways. Only names the registry lists are accepted, so
    ``account_keys`` (what ``user unlock`` clears) cannot miss a new one."""
    from secconsole.core.methods import registry

    if way not in registry.throttled():
        raise ValueError(f"unknown throttled way {way!r}")
    return f"{way}:{account_id}"


def account_keys(account_id: int, username_key: str) -> list[str]:
    """Every counter that belongs to one account: what ``user unlock`` clears."""
    from secconsole.core.methods import registry

    return [signin_key(username_key)] + [way_key(way, account_id) for way in registry.throttled()]


def check(session: Session, key: str, now: datetime) -> Gate:
    row = session.get(Throttle, key)
    return _gate(row, now)


def record_failure(session: Session, key: str, now: datetime, rules: LockoutRules) -> tuple[Gate, bool]:
    """Count one failure atomically. Returns the new gate and whether this failure locked it."""
    row = _locked_row(session, key)
    row.failures += 1
    row.last_failure_at = now
    delay = rules.delay_after(row.failures)
    row.next_allowed_at = now + timedelta(seconds=delay) if delay else None
    newly_locked = row.locked_at is None and row.failures >= rules.lock_after
    if newly_locked:
        row.locked_at = now
    session.add(row)
    session.flush()
    return _gate(row, now), newly_locked


def count_failure(
    session: Session, key: str, now: datetime, rules: LockoutRules, *, account, source: str, kind: str,
    what: str, notice=None, **detail: object,
) -> Gate:
    """A wrong answer for one of an account's ways: counted, audited, and on the failure that
    locks it, the lock is audited and ``notice(account_id, ref, what)`` runs once committed."""
    from sqlalchemy import event

    from secconsole.core import audit

    account_id, username = account.id, account.username
    gate, newly_locked = record_failure(session, key, now, rules)
    audit.record(session, at=now, kind=kind, source=source, account_id=account_id, username=username,
                 failures=gate.failures, **detail)
    if newly_locked:
        ref = audit.record(session, at=now, kind=audit.ACCOUNT_LOCKED, source=source, account_id=account_id,
                           username=username, what=what)
        if notice is not None:
            event.listen(session, "after_commit", lambda _s: notice(account_id, ref, what), once=True)
    return gate


def clear(session: Session, key: str) -> bool:
    """Forget the failures of ``key``. Returns whether there was anything to forget."""
    result = session.execute(sa.delete(Throttle).where(Throttle.key == key))
    return bool(result.rowcount)


def _locked_row(session: Session, key: str) -> Throttle:
    """The row for ``key``, created if missing, locked for this transaction (PostgreSQL
    ``FOR UPDATE``; SQLite transactions already hold the write lock)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(Throttle).values(key=key, failures=0).on_conflict_do_nothing(index_elements=["key"]))
    return session.exec(select(Throttle).where(Throttle.key == key).with_for_update()).one()


def _gate(row: Throttle | None, now: datetime) -> Gate:
    if row is None:
        return Gate()
    if row.locked_at is not None:
        return Gate(failures=row.failures, locked=True)
    wait = 0
    if row.next_allowed_at is not None and row.next_allowed_at > now:
        wait = math.ceil((row.next_allowed_at - now).total_seconds())
    return Gate(failures=row.failures, retry_after=wait)
