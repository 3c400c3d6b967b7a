"""Accounts: create, sign in, change password, look up, unlock. Each call is one transaction
(argon2 work happens outside it, so a slow hash never holds the database lock)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from secconsole.core import audit, throttle
from secconsole.core.clock import Clock
from secconsole.errors import NotFoundError, ValidationError
from secconsole.core.lookup import require_account
from secconsole.core.methods import DISPLAY_ORDER, MethodKind, MethodState
from secconsole.core.passwords import PasswordHasher, check_password
from secconsole.core.policy import PolicyProfile
from secconsole.core.validation import username_key, validate_email, validate_username
from secconsole.store.engine import Database
from secconsole.store.models import (
    Account,
    AuditEvent,
    BillingMethod,
    MethodEnrollment,
    PasswordHistory,
    RecoveryCode,
)


@dataclass(frozen=True)
class BillingView:
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class AccountView:
    """Everything the UI may show about an account; no hashes, no secrets."""

    id: int
    username: str
    email: str
    created_at: datetime
    password_changed_at: datetime
    last_sign_in_at: datetime | None
    identity_verified: bool
    email_fallback_enabled: bool
    security_question: str | None
    billing_methods: list[BillingView]
    methods: list[MethodState]
    locked: bool = False
    failures: int = 0
    #: Set in ``classic`` once the password is older than the reminder period.
    password_reminder: bool = False
    password_age_days: int = 0
    #: The way that last passed a challenge; the next challenge starts there.
    preferred_method: str | None = None
    recovery_codes_left: int = 0

    @property
    def has_second_step(self) -> bool:
        return any(m.enabled for m in self.methods)

    def method(self, kind: MethodKind) -> MethodState:
        return next(m for m in self.methods if m.kind == kind)


class SignInOutcome(enum.Enum):
    OK = "ok"
    #: The password was right; the account's second step comes next.
    SECOND_STEP = "second_step"
    INVALID = "invalid"
    WAIT = "wait"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    account: AccountView | None = None
    retry_after: int = 0
    ref: str = ""
    #: What a wrong secret is called: sign-in never says which half was wrong.
    wrong: str = "That username and password do not match."
    #: The refusal is about the connection (too many failures from it), not the account.
    from_source: bool = False

    @property
    def ok(self) -> bool:
        """The secret was right (the sign-in may still need its second step)."""
        return self.outcome in (SignInOutcome.OK, SignInOutcome.SECOND_STEP)

    @property
    def message(self) -> str:
        """What to tell the person. Never says whether the username exists."""
        if self.outcome is SignInOutcome.OK:
            return "Signed in."
        if self.outcome is SignInOutcome.SECOND_STEP:
            return "Now confirm it's you."
        if self.from_source:
            if self.outcome is SignInOutcome.LOCKED:
                return f"Too many failed sign-ins from this connection. Contact support and quote {self.ref}."
            return f"Too many failed sign-ins from this connection. Try again in {_seconds(self.retry_after)}."
        if self.outcome is SignInOutcome.LOCKED:
            return _blocked_message(throttle.Gate(locked=True)) + f" Quote reference {self.ref}."
        if self.outcome is SignInOutcome.WAIT:
            return _blocked_message(throttle.Gate(retry_after=self.retry_after))
        suffix = f" You can try again in {_seconds(self.retry_after)}." if self.retry_after else ""
        return self.wrong + suffix


@dataclass(frozen=True)
class AccountSummary:
    username: str
    email: str
    created_at: datetime
    methods_on: list[str] = field(default_factory=list)
    locked: bool = False


class AccountService:
    def __init__(
        self, db: Database, clock: Clock, profile: PolicyProfile, hasher: PasswordHasher, sender=None
    ) -> None:
        self.db = db
        self.clock = clock
        self.profile = profile
        self.hasher = hasher
        #: Where lock notices go (a ``core.delivery.Sender``); None sends nothing.
        self.sender = sender

    # -- creating and reading -------------------------------------------------------------

    def create(
        self,
        username: str,
        email: str,
        password: str,
        *,
        source: str,
        identity_verified: bool = False,
        email_fallback_enabled: bool = True,
    ) -> AccountView:
        name = validate_username(username)
        address = validate_email(email)
        verdict = check_password(password, self.profile, username=name, email=address)
        if not verdict.ok:
            raise ValidationError(verdict.first_problem(), field="password")
        hashed = self.hasher.hash(password)
        now = self.clock.now()
        try:
            with self.db.transaction() as session:
                if self._find(session, name) is not None:
                    raise ValidationError("That username is taken: choose another.", field="username")
                account = Account(
                    username=name,
                    username_key=username_key(name),
                    email=address,
                    password_hash=hashed,
                    password_changed_at=now,
                    created_at=now,
                    identity_verified=identity_verified,
                    email_fallback_enabled=email_fallback_enabled,
                )
                session.add(account)
                session.flush()
                audit.record(
                    session, at=now, kind=audit.ACCOUNT_CREATED, source=source,
                    account_id=account.id, username=name,
                )
                return self._view(session, account)
        except sa.exc.IntegrityError:
            raise ValidationError("That username is taken: choose another.", field="username") from None

    def get(self, username: str) -> AccountView:
        with self.db.transaction(readonly=True) as session:
            return self._view(session, self._require(session, username))

    def get_by_id(self, account_id: int) -> AccountView:
        with self.db.transaction(readonly=True) as session:
            return self._view(session, require_account(session, account_id))

    def list(self) -> list[AccountSummary]:
        with self.db.transaction(readonly=True) as session:
            accounts = session.exec(select(Account).order_by(Account.username_key)).all()
            return [
                AccountSummary(
                    username=a.username,
                    email=a.email,
                    created_at=a.created_at,
                    methods_on=[m.kind.value for m in self._methods(session, a.id) if m.enabled],
                    locked=self._gate(session, a.username_key).locked,
                )
                for a in accounts
            ]

    def recent_events(self, username: str, limit: int = 20) -> list[audit.AuditRecord]:
        with self.db.transaction(readonly=True) as session:
            account_id = self._require(session, username).id
        return self.recent_events_by_id(account_id, limit)

    # -- signing in and out ---------------------------------------------------------------

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
            account = self._find(session, username)
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
            if result.outcome is SignInOutcome.LOCKED and stored is not None:
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
            view = self._view(session, account)
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
            return SignInResult(SignInOutcome.OK, account=self._view(session, account), ref=ref)

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
            return self._view(session, account)

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
            return SignInResult(SignInOutcome.OK, account=self._view(session, require_account(session, account_id)), ref=ref)

    def set_email_fallback(self, account_id: int, enabled: bool, *, source: str) -> AccountView:
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            if account.email_fallback_enabled != enabled:
                account.email_fallback_enabled = enabled
                session.add(account)
                audit.record(
                    session, at=self.clock.now(), kind=audit.EMAIL_FALLBACK_CHANGED, source=source,
                    account_id=account_id, username=account.username, enabled=enabled,
                )
            return self._view(session, account)

    def recent_events_by_id(self, account_id: int, limit: int = 20) -> list[audit.AuditRecord]:
        with self.db.transaction(readonly=True) as session:
            rows = session.exec(
                select(AuditEvent)
                .where(AuditEvent.account_id == account_id)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .limit(limit)
            ).all()
            return [audit.to_record(r) for r in rows]

    def sign_out(self, account_id: int, *, source: str) -> None:
        with self.db.transaction() as session:
            account = session.get(Account, account_id)
            audit.record(
                session, at=self.clock.now(), kind=audit.SIGNED_OUT, source=source,
                account_id=account_id, username=account.username if account else "",
            )

    def lock_notice(self, account_id: int, ref: str, what: str = "sign-in attempts") -> None:
        """Tell the owner by email that something locked (after the lock was committed)."""
        if self.sender is None:
            return
        from secconsole.core.delivery import Message

        account = self.get_by_id(account_id)
        self.sender.send(Message(
            "email", account.email, "Your SecConsole account was locked",
            f"Hello {account.username},\n\nAfter too many failed {what} your account is locked. "
            f"If that was you, contact support and quote {ref}; if not, someone may know your password: "
            "change it once support has unlocked the account.\n",
            account_id,
        ))

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

    # -- passwords ------------------------------------------------------------------------

    def check_new_password(self, password: str, account: AccountView, confirm: str | None = None):
        """The live checklist for a signed-in account's next password."""
        return check_password(
            password, self.profile, username=account.username, email=account.email,
            has_second_step=account.has_second_step, confirm=confirm,
        )

    def change_password(self, account_id: int, current: str, new: str, *, source: str) -> AccountView:
        now = self.clock.now()
        history_size = self.profile.password.history
        with self.db.transaction(readonly=True) as session:
            account = require_account(session, account_id)
            view = self._view(session, account)
            key = throttle.signin_key(account.username_key)
            gate = throttle.check(session, key, now)
            old_hashes = [account.password_hash] + [
                h.password_hash for h in self._history(session, account_id)[: max(history_size - 1, 0)]
            ]
        if not gate.open:
            raise ValidationError(_blocked_message(gate), field="current")
        if not self.hasher.verify(old_hashes[0], current):
            with self.db.transaction() as session:
                throttle.record_failure(session, key, now, self.profile.lockout)
                audit.record(
                    session, at=now, kind=audit.PASSWORD_CHANGE_FAILED, source=source,
                    account_id=account_id, username=view.username,
                )
            raise ValidationError("Your current password is not correct.", field="current")
        verdict = self.check_new_password(new, view)
        if not verdict.ok:
            raise ValidationError(verdict.first_problem(), field="new")
        if any(self.hasher.verify(h, new) for h in old_hashes):
            if history_size > 1:
                raise ValidationError(
                    f"You have used this password recently: choose one that is not one of your "
                    f"last {history_size} passwords.", field="new",
                )
            raise ValidationError("The new password must differ from the current one.", field="new")
        hashed = self.hasher.hash(new)
        with self.db.transaction() as session:
            account = session.get(Account, account_id)
            if history_size > 1:
                session.add(PasswordHistory(account_id=account_id, password_hash=account.password_hash, retired_at=now))
                session.flush()
                keep = [h.id for h in self._history(session, account_id)[: history_size - 1]]
                session.execute(
                    sa.delete(PasswordHistory).where(
                        PasswordHistory.account_id == account_id, PasswordHistory.id.not_in(keep)
                    )
                )
            account.password_hash = hashed
            account.password_changed_at = now
            session.add(account)
            audit.record(
                session, at=now, kind=audit.PASSWORD_CHANGED, source=source,
                account_id=account_id, username=account.username,
            )
            return self._view(session, account)

    # -- support --------------------------------------------------------------------------

    def unlock(self, username: str, *, source: str) -> bool:
        """Clear failed attempts and any lock. Returns whether there was one."""
        with self.db.transaction() as session:
            account = self._require(session, username)
            cleared = False
            for key in throttle.account_keys(account.id, account.username_key):
                cleared = throttle.clear(session, key) or cleared
            audit.record(
                session, at=self.clock.now(), kind=audit.ACCOUNT_UNLOCKED, source=source,
                account_id=account.id, username=account.username, had_failures=cleared,
            )
            return cleared

    # -- helpers --------------------------------------------------------------------------

    def _find(self, session: Session, username: str) -> Account | None:
        key = username_key(username)
        return session.exec(select(Account).where(Account.username_key == key)).first()

    def _require(self, session: Session, username: str) -> Account:
        account = self._find(session, username)
        if account is None:
            raise NotFoundError(f"There is no account named {username.strip()!r}.")
        return account

    def _gate(self, session: Session, key: str) -> throttle.Gate:
        return throttle.check(session, throttle.signin_key(key), self.clock.now())

    def _history(self, session: Session, account_id: int) -> list[PasswordHistory]:
        return list(
            session.exec(
                select(PasswordHistory)
                .where(PasswordHistory.account_id == account_id)
                .order_by(PasswordHistory.retired_at.desc(), PasswordHistory.id.desc())
            ).all()
        )

    def _methods(self, session: Session, account_id: int) -> list[MethodState]:
        rows = {
            r.kind: r
            for r in session.exec(select(MethodEnrollment).where(MethodEnrollment.account_id == account_id)).all()
        }
        out = []
        for kind in DISPLAY_ORDER:
            row = rows.get(kind.value)
            if row is not None and row.status == "active":
                out.append(MethodState(kind, True, row.enabled_at, json.loads(row.detail or "{}")))
            else:
                out.append(MethodState(kind))
        return out

    def _view(self, session: Session, account: Account) -> AccountView:
        now = self.clock.now()
        gate = self._gate(session, account.username_key)
        cards = session.exec(
            select(BillingMethod).where(BillingMethod.account_id == account.id).order_by(BillingMethod.id)
        ).all()
        age = max((now - account.password_changed_at).days, 0)
        reminder_days = self.profile.password.reminder_days
        return AccountView(
            id=account.id,
            username=account.username,
            email=account.email,
            created_at=account.created_at,
            password_changed_at=account.password_changed_at,
            last_sign_in_at=account.last_sign_in_at,
            identity_verified=account.identity_verified,
            email_fallback_enabled=account.email_fallback_enabled,
            security_question=account.security_question,
            billing_methods=[BillingView(c.brand, c.last4, c.exp_month, c.exp_year) for c in cards],
            methods=self._methods(session, account.id),
            locked=gate.locked,
            failures=gate.failures,
            password_reminder=reminder_days is not None and age >= reminder_days,
            password_age_days=age,
            preferred_method=account.preferred_method,
            recovery_codes_left=len(session.exec(
                select(RecoveryCode.id).where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
            ).all()),
        )


def _blocked_message(gate: throttle.Gate) -> str:
    if gate.locked:
        return "Sign-in is locked after too many failed attempts. Contact support to unlock it."
    return f"Too many failed attempts. Try again in {_seconds(gate.retry_after)}."


def _seconds(n: int) -> str:
    if n < 60:
        return f"{n} second{'s' if n != 1 else ''}"
    minutes = (n + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
