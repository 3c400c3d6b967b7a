"""Consecutive-failure counting with exponential back-off and a lock.

Keys are strings such as ``signin:alice``. They exist whether or not an account does, so the
answers never tell an attacker which usernames are real.

A guess is counted before it is checked: ``claim_attempt`` reads the gate and counts the attempt
on every counter the guess is gated on in one transaction, so guesses sent at once cannot all be
checked (at the threshold only the first is, during a back-off none is). The hash or code is
checked after that commit; a success takes the attempt back (``refund``) together with its
effects; a wrong guess is audited by ``note_failure``. A crash in between leaves it counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

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
    #: Seconds until the next attempt is allowed (0: now; for a lock, 0: until support unlocks it).
    retry_after: int = 0
    #: Wrong answers still allowed before the counter locks (0 once locked; None: not known).
    tries_left: int | None = None

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


@dataclass(frozen=True)
class Counter:
    """One counter a guess is gated on."""

    key: str
    rules: LockoutRules
    #: Shared by many accounts (a source): a success takes back only its own attempt (one good
    #: account must not reset a spray), and its lock has no owner to tell.
    shared: bool = False


@dataclass(frozen=True)
class Attempt:
    """What ``claim_attempt`` answered: refused (``blocked_by``, nothing counted) or counted."""

    counters: tuple[Counter, ...]
    #: Each counter's gate: as found when refused, after counting when counted.
    gates: dict[str, Gate]
    blocked_by: str | None = None
    #: The counters this attempt locked (audited and told only if the guess turns out wrong).
    newly_locked: frozenset[str] = frozenset()

    @property
    def allowed(self) -> bool:
        return self.blocked_by is None

    @property
    def gate(self) -> Gate:
        """The refusing counter's gate, or the first counter's after counting."""
        return self.gates[self.blocked_by or self.counters[0].key]


def check(session: Session, key: str, now: datetime, rules: LockoutRules) -> Gate:
    """Where ``key`` stands (for showing; a guess goes through ``claim_attempt``)."""
    return _gate(session.get(Throttle, key), now, rules)


def claim_attempt(session: Session, now: datetime, *counters: Counter) -> Attempt:
    """Read the gates and, if every one is open, count the attempt on each (in the caller's write
    transaction, which must commit before the guess is checked). Rows are taken in key order, so
    two claims on PostgreSQL cannot deadlock; SQLite writers are serialised by BEGIN IMMEDIATE."""
    rows = {c.key: _locked_row(session, c.key) for c in sorted(counters, key=lambda c: c.key)}
    found = {c.key: _gate(rows[c.key], now, c.rules) for c in counters}
    closed = next((c.key for c in counters if not found[c.key].open), None)
    if closed is not None:
        for row in rows.values():
            if row.failures == 0 and row.locked_at is None:
                session.delete(row)  # made by this claim: nothing was counted
        return Attempt(counters, found, blocked_by=closed)
    locked = set()
    for c in counters:
        row = rows[c.key]
        row.failures += 1
        row.last_failure_at = now
        delay = c.rules.delay_after(row.failures)
        row.next_allowed_at = now + timedelta(seconds=delay) if delay else None
        if row.failures >= c.rules.lock_after:  # the gate was open: this is a new lock
            row.locked_at = now
            locked.add(c.key)
        session.add(row)
    session.flush()
    gates = {c.key: _gate(rows[c.key], now, c.rules) for c in counters}
    return Attempt(counters, gates, newly_locked=frozenset(locked))


def refund(session: Session, attempt: Attempt) -> None:
    """The guess was right: forget the failures of its counters (a shared one only loses this
    attempt). In the transaction that records the success."""
    for c in sorted(attempt.counters, key=lambda c: c.key):
        if not c.shared:
            clear(session, c.key)
            continue
        row = session.exec(select(Throttle).where(Throttle.key == c.key).with_for_update()).first()
        if row is None:
            continue  # support cleared it meanwhile
        row.failures -= 1
        if row.failures <= 0:
            session.delete(row)
            continue
        if row.failures < c.rules.lock_after:
            row.locked_at = None
        delay = c.rules.delay_after(row.failures)
        row.next_allowed_at = row.last_failure_at + timedelta(seconds=delay) if delay and row.last_failure_at else None
        session.add(row)


def forget_quiet(session: Session, key: str, now: datetime, seconds: int) -> None:
    """Forget ``key``'s count once no attempt was counted on it for ``seconds``: a rate limit (N
    tries, then a wait, then N again) rather than a lockout. In the claiming transaction, before
    ``claim_attempt``; a locked row stays."""
    session.execute(sa.delete(Throttle).where(Throttle.key == key, Throttle.locked_at.is_(None),
                                              Throttle.last_failure_at <= now - timedelta(seconds=seconds)))


def tally(session: Session, key: str, now: datetime, seconds: int) -> tuple[int, int]:
    """Count one event on ``key`` in fixed windows of ``seconds`` (``failures``: the events of the
    window that started at ``last_failure_at``), under the row lock. Returns this event's number in
    its window and, when it opened a new window, how many the previous one had (else 0)."""
    row = _locked_row(session, key)
    before = 0
    if row.last_failure_at is None or row.last_failure_at <= now - timedelta(seconds=seconds):
        before, row.failures, row.last_failure_at = row.failures, 0, now
    row.failures += 1
    session.add(row)
    return row.failures, before


LockNotice = Callable[..., None]


def note_failure(
    session: Session, attempt: Attempt, now: datetime, *, account_id: int | None, username: str, source: str,
    kind: str, what: str, notice: LockNotice | None = None, **detail: object,
) -> tuple[Gate, str]:
    """The guess was wrong (it is counted already): audit it, and each lock it reached; the
    owner is told of an account's lock by ``notice(account_id, ref, what, retry_after=...)``
    once this transaction commits. Returns the first counter's gate and the reference to quote
    (the lock's when it locked)."""
    from secconsole.core import audit

    gate = attempt.gate
    ref = audit.record(session, at=now, kind=kind, source=source, account_id=account_id, username=username,
                       failures=gate.failures, **detail)
    for c in attempt.counters:
        if c.key not in attempt.newly_locked:
            continue
        reached = attempt.gates[c.key]
        if c.shared:
            audit.record(session, at=now, kind=audit.SOURCE_LOCKED, source=source, locked=c.key,
                         failures=reached.failures)
            continue
        ref = audit.record(session, at=now, kind=audit.ACCOUNT_LOCKED, source=source, account_id=account_id,
                           username=username, what=what, failures=reached.failures, retry_after=reached.retry_after)
        if notice is not None and account_id is not None:
            _after_commit(session, notice, account_id, ref, what, reached.retry_after)
    return gate, ref


def _after_commit(session: Session, notice: LockNotice, account_id: int, ref: str, what: str, retry_after: int) -> None:
    from sqlalchemy import event

    event.listen(session, "after_commit", lambda _s: notice(account_id, ref, what, retry_after=retry_after),
                 once=True)


def clear(session: Session, key: str) -> bool:
    """Forget the failures of ``key``. Returns whether there was anything to forget."""
    result = session.execute(sa.delete(Throttle).where(Throttle.key == key))
    return bool(result.rowcount)


def _locked_row(session: Session, key: str) -> Throttle:
    """The row for ``key``, created if missing, locked for this transaction. The upsert takes the
    row lock itself (PostgreSQL): with DO NOTHING, a row deleted by a success committing just then
    would be gone before a later ``FOR UPDATE`` could lock it. SQLite transactions already hold
    the write lock."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(Throttle).values(key=key, failures=0)
                    .on_conflict_do_update(index_elements=["key"], set_={"key": key}))
    return session.exec(select(Throttle).where(Throttle.key == key).with_for_update()).one()


def _gate(row: Throttle | None, now: datetime, rules: LockoutRules) -> Gate:
    if row is None:
        return Gate(tries_left=rules.lock_after)
    if row.locked_at is not None:
        seconds = rules.lock_seconds(max(row.failures, rules.lock_after))
        if seconds is None:
            return Gate(failures=row.failures, locked=True, tries_left=0)
        until = row.locked_at + timedelta(seconds=seconds)
        if until > now:
            return Gate(failures=row.failures, locked=True, retry_after=math.ceil((until - now).total_seconds()),
                        tries_left=0)
    wait = 0
    if row.next_allowed_at is not None and row.next_allowed_at > now:
        wait = math.ceil((row.next_allowed_at - now).total_seconds())
    # After an expired lock the next wrong answer locks again (the count goes on).
    left = max(rules.lock_after - row.failures, 1 if row.locked_at is not None else 0)
    return Gate(failures=row.failures, retry_after=wait, tries_left=left)
