"""Accounts: create, read, list, the email fallback switch, unlock; and the view of an account
that every service hands the UI. Each call is one transaction (argon2 work happens outside it,
so a slow hash never holds the database lock)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from secconsole.core import audit, throttle
from secconsole.core.clock import Clock
from secconsole.core.lookup import require_account
from secconsole.core.methods import enrollment, registry
from secconsole.core.notices import Notices
from secconsole.core.passwords import PasswordHasher, check_password
from secconsole.core.policy import PolicyProfile
from secconsole.core.validation import username_key, validate_email, validate_username
from secconsole.core.views import AccountSummary, AccountView, BillingView
from secconsole.errors import NotFoundError, ValidationError
from secconsole.store.engine import Database
from secconsole.store.models import Account, AuditEvent, BillingMethod, Throttle


def find_account(session: Session, username: str) -> Account | None:
    return session.exec(select(Account).where(Account.username_key == username_key(username))).first()


def require_named(session: Session, username: str) -> Account:
    account = find_account(session, username)
    if account is None:
        raise NotFoundError(f"There is no account named {username.strip()!r}.")
    return account


def view_of(session: Session, account: Account, clock: Clock, profile: PolicyProfile) -> AccountView:
    """Everything the UI may show about ``account``, read inside the caller's transaction."""
    now = clock.now()
    gate = throttle.check(session, throttle.signin_key(account.username_key), now, profile.signin_lockout)
    cards = session.exec(
        select(BillingMethod).where(BillingMethod.account_id == account.id).order_by(BillingMethod.id)
    ).all()
    states = enrollment.states(session, account)
    age = max((now - account.password_changed_at).days, 0)
    reminder_days = profile.password.reminder_days
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
        methods=states,
        locked=gate.locked,
        failures=gate.failures,
        lock_retry_after=gate.retry_after if gate.locked else 0,
        password_reminder=reminder_days is not None and age >= reminder_days,
        password_age_days=age,
        preferred_method=account.preferred_method,
        recovery_codes_left=next((s.detail.get("left", 0) for s in states if s.kind == "recovery"), 0),
        locked_ways=_locked_ways(session, account.id, now, profile),
        email_verified=account.email_verified,
        password_change_required=account.password_change_required,
    )


def _locked_ways(session: Session, account_id: int, now, profile: PolicyProfile) -> list[str]:
    """The account's way counters (and identity details) that are locked now."""
    keys = {throttle.way_key(name, account_id): name for name in registry.throttled()}
    rows = session.exec(select(Throttle).where(Throttle.key.in_(list(keys)), Throttle.locked_at.is_not(None))).all()
    return sorted(keys[r.key] for r in rows if throttle.check(session, r.key, now, profile.lockout).locked)


class AccountJob:
    """What a service over accounts works with, and how it shows one (``view``)."""

    def __init__(self, db: Database, clock: Clock, profile: PolicyProfile, hasher: PasswordHasher,
                 notices: Notices) -> None:
        self.db = db
        self.clock = clock
        self.profile = profile
        self.hasher = hasher
        self.notices = notices

    def view(self, session: Session, account: Account) -> AccountView:
        return view_of(session, account, self.clock, self.profile)


class AccountService(AccountJob):

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
        email_verified: bool = True,
    ) -> AccountView:
        """An account as an operator (``user add``) or the demo makes it: its email address counts
        as verified. Sign-up goes through ``core.signup.SignUp.create``, which passes False."""
        name = validate_username(username)
        address = validate_email(email)
        verdict = check_password(password, self.profile, username=name, email=address)
        if not verdict.ok:
            raise ValidationError(verdict.problems_sentence(), field="password")
        hashed = self.hasher.hash(password)
        now = self.clock.now()
        try:
            with self.db.transaction() as session:
                if find_account(session, name) is not None:
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
                    email_verified=email_verified,
                )
                session.add(account)
                session.flush()
                audit.record(
                    session, at=now, kind=audit.ACCOUNT_CREATED, source=source,
                    account_id=account.id, username=name, **({} if email_verified else {"by": "sign-up"}),
                )
                return self.view(session, account)
        except sa.exc.IntegrityError:
            raise ValidationError("That username is taken: choose another.", field="username") from None

    def get(self, username: str) -> AccountView:
        with self.db.transaction(readonly=True) as session:
            return self.view(session, require_named(session, username))

    def get_by_id(self, account_id: int) -> AccountView:
        with self.db.transaction(readonly=True) as session:
            return self.view(session, require_account(session, account_id))

    def list(self) -> list[AccountSummary]:
        methods = [s.kind for s in registry.methods()]
        with self.db.transaction(readonly=True) as session:
            out = []
            for a in session.exec(select(Account).order_by(Account.username_key)).all():
                view = self.view(session, a)
                out.append(AccountSummary(
                    username=a.username, email=a.email, created_at=a.created_at,
                    methods_on=[m.kind for m in view.methods if m.enabled and m.kind in methods],
                    locked=view.locked,
                ))
            return out

    def recent_events(self, username: str, limit: int = 20) -> list[audit.AuditRecord]:
        with self.db.transaction(readonly=True) as session:
            account_id = require_named(session, username).id
        return self.recent_events_by_id(account_id, limit)

    def recent_events_by_id(self, account_id: int, limit: int = 20) -> list[audit.AuditRecord]:
        with self.db.transaction(readonly=True) as session:
            rows = session.exec(
                select(AuditEvent)
                .where(AuditEvent.account_id == account_id)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .limit(limit)
            ).all()
            return [audit.to_record(r) for r in rows]

    # -- settings -------------------------------------------------------------------------

    def set_email_fallback(self, account_id: int, enabled: bool, *, source: str) -> AccountView:
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            if account.email_fallback_enabled != enabled:
                account.email_fallback_enabled = enabled
                session.add(account)
                self.notices.record(session, account, at=self.clock.now(), kind=audit.EMAIL_FALLBACK_CHANGED,
                                    source=source, enabled=enabled)
            return self.view(session, account)

    # -- support --------------------------------------------------------------------------

    def unlock(self, username: str, *, source: str) -> list[str]:
        """Clear failed attempts and any lock. Returns the counters that had any ("signin", a way's
        kind, ...): the owner is told exactly those, and nothing when the list is empty."""
        with self.db.transaction() as session:
            account = require_named(session, username)
            cleared = clear_counters(session, account)
            self.notices.record(session, account, at=self.clock.now(), kind=audit.ACCOUNT_UNLOCKED, source=source,
                                cleared=cleared)
            return cleared


def clear_counters(session: Session, account: Account) -> list[str]:
    """Forget every failure counter of ``account``; the names of those that had any."""
    return [key.partition(":")[0] for key in throttle.account_keys(account.id, account.username_key)
            if throttle.clear(session, key)]

