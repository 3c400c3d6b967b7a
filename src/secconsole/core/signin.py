"""Signing in and out, the second step's bookkeeping, and step-up by password. Failures count
per account name and per source, each with its own back-off and lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from secconsole.core import audit, throttle
from secconsole.core.accounts import find_account, view_of
from secconsole.core.clock import Clock
from secconsole.core.lookup import require_account
from secconsole.core.passwords import PasswordHasher
from secconsole.core.policy import PolicyProfile
from secconsole.core.validation import username_key
from secconsole.core.views import SignInOutcome, SignInResult
from secconsole.store.engine import Database
from secconsole.store.models import Account


class SignInService:
    def __init__(self, db: Database, clock: Clock, profile: PolicyProfile, hasher: PasswordHasher,
                 lock_notice=None) -> None:
        self.db = db
        self.clock = clock
        self.profile = profile
        self.hasher = hasher
        #: ``Notices.lock``: tells the owner when sign-in locks.
        self.lock_notice = lock_notice

    def view(self, session: Session, account: Account):
        return view_of(session, account, self.clock, self.profile)

    def sign_in(self, username: str, password: str, *, source: str) -> SignInResult:
        """Check the password. Failures count per account name and per source (one address
        trying many names), each with its own back-off and lock; the attempt is counted on both
        before the password is checked (``throttle.claim_attempt``)."""
        key = throttle.signin_key(username_key(username)[:150])
        source_key = throttle.source_key(source)
        typed = username.strip()[:64]
        now = self.clock.now()
        counters = (throttle.Counter(key, self.profile.signin_lockout),
                    throttle.Counter(source_key, self.profile.source_lockout, shared=True))
        with self.db.transaction() as session:
            attempt = throttle.claim_attempt(session, now, *counters)
            account = find_account(session, username)
            stored = (account.id, account.password_hash) if account else None
            if not attempt.allowed:
                gate, by_source = attempt.gate, attempt.blocked_by == source_key
                ref = audit.record(
                    session, at=now, kind=audit.SIGNIN_BLOCKED, source=source,
                    account_id=stored[0] if stored else None, username=typed, locked=gate.locked,
                    retry_after=gate.retry_after, **({"by": "source"} if by_source else {}),
                )
        if not attempt.allowed:
            outcome = SignInOutcome.LOCKED if gate.locked else SignInOutcome.WAIT
            return SignInResult(outcome, retry_after=gate.retry_after, ref=ref, from_source=by_source)

        if stored is None:
            self.hasher.burn(password)
            matched = False
        else:
            matched = self.hasher.verify(stored[1], password)

        with self.db.transaction() as session:
            if not matched:
                return self._failed(session, attempt, now, source, stored[0] if stored else None, typed,
                                    what="sign-in attempts")
            throttle.refund(session, attempt)
            account = session.get(Account, stored[0])
            if self.hasher.needs_rehash(account.password_hash):
                account.password_hash = self.hasher.hash(password)
                audit.record(
                    session, at=now, kind=audit.PASSWORD_REHASHED, source=source,
                    account_id=account.id, username=account.username,
                )
            view = self.view(session, account)
            if view.has_second_step:
                session.add(account)
                ref = audit.record(
                    session, at=now, kind=audit.SIGNIN_PASSWORD_OK, source=source,
                    account_id=account.id, username=account.username,
                )
                return SignInResult(SignInOutcome.SECOND_STEP, account=view, ref=ref)
            account.last_sign_in_at = now
            session.add(account)
            ref = audit.record(
                session, at=now, kind=audit.SIGNIN_SUCCEEDED, source=source,
                account_id=account.id, username=account.username, step="password",
            )
            return SignInResult(SignInOutcome.OK, account=self.view(session, account), ref=ref)

    def complete_sign_in(self, account_id: int, method: str, *, source: str) -> AccountView:
        """After the second step passed: the sign-in counts (and the method becomes preferred)."""
        now = self.clock.now()
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            account.last_sign_in_at = now
            account.preferred_method = method
            session.add(account)
            audit.record(
                session, at=now, kind=audit.SIGNIN_SUCCEEDED, source=source,
                account_id=account_id, username=account.username, step=method,
            )
            return self.view(session, account)

    def note_out_of_ways(self, account_id: int, *, source: str) -> str:
        """Every way of a challenge was used up: the reference support will ask for."""
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            return audit.record(
                session, at=self.clock.now(), kind=audit.CHALLENGE_EXHAUSTED, source=source,
                account_id=account_id, username=account.username,
            )

    def note_step_up(self, account_id: int, method: str, *, source: str) -> None:
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            audit.record(
                session, at=self.clock.now(), kind=audit.STEPUP_SUCCEEDED, source=source,
                account_id=account_id, username=account.username, step=method,
            )

    def reauthenticate(self, account_id: int, password: str, *, source: str) -> SignInResult:
        """Step-up by password: the same counter, back-off and lock as signing in."""
        now = self.clock.now()
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            counter = throttle.Counter(throttle.signin_key(account.username_key), self.profile.signin_lockout)
            attempt = throttle.claim_attempt(session, now, counter)
            stored, name = account.password_hash, account.username
        if not attempt.allowed:
            gate = attempt.gate
            outcome = SignInOutcome.LOCKED if gate.locked else SignInOutcome.WAIT
            return SignInResult(outcome, retry_after=gate.retry_after)
        matched = self.hasher.verify(stored, password)
        with self.db.transaction() as session:
            if not matched:
                failed = self._failed(session, attempt, now, source, account_id, name, kind=audit.STEPUP_FAILED,
                                      what="password confirmations")
                return replace(failed, wrong="That password is not correct.")
            throttle.refund(session, attempt)
            ref = audit.record(
                session, at=now, kind=audit.STEPUP_SUCCEEDED, source=source,
                account_id=account_id, username=name, step="password",
            )
            return SignInResult(SignInOutcome.OK, account=self.view(session, require_account(session, account_id)), ref=ref)

    def sign_out(self, account_id: int, *, source: str) -> None:
        with self.db.transaction() as session:
            account = session.get(Account, account_id)
            audit.record(
                session, at=self.clock.now(), kind=audit.SIGNED_OUT, source=source,
                account_id=account_id, username=account.username if account else "",
            )

    def _failed(
        self, session: Session, attempt: throttle.Attempt, now: datetime, source: str, account_id: int | None,
        typed: str, *, what: str, kind: str = audit.SIGNIN_FAILED,
    ) -> SignInResult:
        """A wrong password, already counted: audited, and the owner told if it locked sign-in."""
        gate, ref = throttle.note_failure(session, attempt, now, account_id=account_id, username=typed, source=source,
                                          kind=kind, what=what, notice=self.lock_notice)
        if gate.locked:
            return SignInResult(SignInOutcome.LOCKED, retry_after=gate.retry_after, ref=ref)
        return SignInResult(SignInOutcome.INVALID, retry_after=gate.retry_after, ref=ref)
