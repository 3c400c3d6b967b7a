"""Changing a password: the current one first (throttled like sign-in), then the profile's
rules and the history of recent passwords."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from secconsole.core import audit, throttle
from secconsole.core.accounts import view_of
from secconsole.core.clock import Clock
from secconsole.core.lookup import require_account
from secconsole.core.notices import Notices
from secconsole.core.passwords import PasswordHasher, check_password
from secconsole.core.policy import PolicyProfile
from secconsole.core.views import AccountView, blocked_message
from secconsole.errors import ValidationError
from secconsole.store.engine import Database
from secconsole.store.models import Account, PasswordHistory


class PasswordChanges:
    def __init__(self, db: Database, clock: Clock, profile: PolicyProfile, hasher: PasswordHasher,
                 notices: Notices) -> None:
        self.db = db
        self.clock = clock
        self.profile = profile
        self.hasher = hasher
        self.notices = notices

    def view(self, session: Session, account: Account) -> AccountView:
        return view_of(session, account, self.clock, self.profile)

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
            view = self.view(session, account)
            key = throttle.signin_key(account.username_key)
            gate = throttle.check(session, key, now)
            old_hashes = [account.password_hash] + [
                h.password_hash for h in self._history(session, account_id)[: max(history_size - 1, 0)]
            ]
        if not gate.open:
            raise ValidationError(blocked_message(gate.locked, gate.retry_after), field="current")
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
            self.notices.record(session, account, at=now, kind=audit.PASSWORD_CHANGED, source=source)
            return self.view(session, account)

    def _history(self, session: Session, account_id: int) -> list[PasswordHistory]:
        return list(
            session.exec(
                select(PasswordHistory)
                .where(PasswordHistory.account_id == account_id)
                .order_by(PasswordHistory.retired_at.desc(), PasswordHistory.id.desc())
            ).all()
        )
