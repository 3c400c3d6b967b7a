"""The count-first pattern as a way uses it (``throttle.claim_attempt``): its counter, and a wrong
answer's bookkeeping (audited, and on the failure that locks the way, the lock audited and the
owner told once it is committed)."""

from __future__ import annotations

from secconsole.core import throttle
from secconsole.core.methods.base import MethodContext, WaySpec


def claim(ctx: MethodContext, spec: WaySpec, session, account_id: int, now) -> throttle.Attempt:
    """Count an answer of ``account_id`` on the way's counter before it is checked (in the
    caller's transaction, which must commit before the check)."""
    counter = throttle.Counter(throttle.way_key(spec.throttle_name, account_id), ctx.profile.lockout)
    return throttle.claim_attempt(session, now, counter)


def claim_own(ctx: MethodContext, spec: WaySpec, account_id: int, now) -> throttle.Attempt:
    """``claim`` in a transaction of its own (the account must exist), committed on return."""
    from secconsole.core.lookup import require_account

    with ctx.db.transaction() as session:
        require_account(session, account_id)
        return claim(ctx, spec, session, account_id, now)


def wrong(ctx: MethodContext, spec: WaySpec, session, attempt: throttle.Attempt, now, account, *, source: str,
          kind: str, **detail: object) -> throttle.Gate:
    """A wrong answer, counted already: audit it (and a lock it reached). Returns the way's gate."""
    gate, _ = throttle.note_failure(session, attempt, now, account_id=account.id, username=account.username,
                                    source=source, kind=kind, what=spec.failures, notice=ctx.lock_notice, **detail)
    return gate


def tries_left(ctx: MethodContext, spec: WaySpec, account_id: int) -> int:
    """Wrong answers the way's counter allows before it locks, as it stands now (for showing)."""
    with ctx.db.transaction(readonly=True) as session:
        gate = throttle.check(session, throttle.way_key(spec.throttle_name, account_id), ctx.clock.now(),
                              ctx.profile.lockout)
    return 0 if gate.locked else gate.tries_left
