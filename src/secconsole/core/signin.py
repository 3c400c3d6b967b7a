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
        trying many names), each with its own back-off and lock."""
        key = throttle.signin_key(username_key(username)[:150])
        source_key = throttle.source_key(source)
        typed = username.strip()[:64]
        now = self.clock.now()
        with self.db.transaction(readonly=True) as session:
            gate = throttle.check(session, key, now)
            source_gate = throttle.check(session, source_key, now)
            account = find_account(session, username)
            stored = (account.id, account.password_hash) if account else None
        if not source_gate.open:
            with self.db.transaction() as session:
                ref = audit.record(
                    session, at=now, kind=audit.SIGNIN_BLOCKED, source=source,
                    account_id=stored[0] if stored else None, username=typed, by="source",
                    locked=source_gate.locked, retry_after=source_gate.retry_after,
                )
            outcome = SignInOutcome.LOCKED if source_gate.locked else SignInOutcome.WAIT
            return SignInResult(outcome, retry_after=source_gate.retry_after, ref=ref, from_source=True)
        if not gate.open:
            with self.db.transaction() as session:
                ref = audit.record(
                    session, at=now, kind=audit.SIGNIN_BLOCKED, source=source,
                    account_id=stored[0] if stored else None, username=typed,
                    locked=gate.locked, retry_after=gate.retry_after,
                )
            outcome = SignInOutcome.LOCKED if gate.locked else SignInOutcome.WAIT
            return SignInResult(outcome, retry_after=gate.retry_after, ref=ref)

        if stored is None:
            self.hasher.burn(password)
            matched = False
        else:
            matched = self.hasher.verify(stored[1], password)

        if not matched:
            with self.db.transaction() as session:
                # A success never clears the source's count: one good account must not reset a spray.
                throttle.record_failure(session, source_key, now, self.profile.source_lockout)
                result = self._failed(session, key, now, source, stored[0] if stored else None, typed)
            if result.outcome is SignInOutcome.LOCKED and stored is not None and self.lock_notice is not None:
                self.lock_notice(stored[0], result.ref)
            return result
        with self.db.transaction() as session:
            account = session.get(Account, stored[0])
            throttle.clear(session, key)
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
        """Step-up by password: the same throttle and lock as signing in."""
        now = self.clock.now()
        with self.db.transaction(readonly=True) as session:
            account = require_account(session, account_id)
            key = throttle.signin_key(account.username_key)
            gate = throttle.check(session, key, now)
            stored, name = account.password_hash, account.username
        if not gate.open:
            outcome = SignInOutcome.LOCKED if gate.locked else SignInOutcome.WAIT
            return SignInResult(outcome, retry_after=gate.retry_after)
        matched = self.hasher.verify(stored, password)
        with self.db.transaction() as session:
            if not matched:
                failed = self._failed(session, key, now, source, account_id, name, kind=audit.STEPUP_FAILED)
                return replace(failed, wrong="That password is not correct.")
            throttle.clear(session, key)
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
        self, session: Session, key: str, now: datetime, source: str, account_id: int | None, typed: str,
        *, kind: str = audit.SIGNIN_FAILED,
    ) -> SignInResult:
        gate, newly_locked = throttle.record_failure(session, key, now, self.profile.lockout)
        ref = audit.record(
            session, at=now, kind=kind, source=source,
            account_id=account_id, username=typed, failures=gate.failures,
        )
        if newly_locked:
            ref = audit.record(
                session, at=now, kind=audit.ACCOUNT_LOCKED, source=source,
                account_id=account_id, username=typed, failures=gate.failures,
            )
            return SignInResult(SignInOutcome.LOCKED, ref=ref)
        return SignInResult(SignInOutcome.INVALID, retry_after=gate.retry_after, ref=ref)

