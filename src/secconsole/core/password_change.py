"""Changing a password: the current one first (throttled like sign-in), then the profile's
rules and the history of recent passwords."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from secconsole.core import audit, throttle
from secconsole.core.accounts import AccountJob
from secconsole.core.lookup import require_account
from secconsole.core.passwords import check_password
from secconsole.core.views import AccountView, blocked_message
from secconsole.errors import ValidationError
from secconsole.store.models import Account, PasswordHistory


class PasswordChanges(AccountJob):

    def check_new_password(self, password: str, account: AccountView, confirm: str | None = None):
        """The live checklist for a signed-in account's next password."""
        return check_password(
            password, self.profile, username=account.username, email=account.email,
            has_second_step=account.has_second_step, confirm=confirm,
        )

    def change_password(self, account_id: int, current: str, new: str, *, source: str) -> AccountView:
        """The current password is a guess like a sign-in: counted on the sign-in counter before it
        is checked, taken back once it proves right (whether or not the new one is accepted)."""
        now = self.clock.now()
        history_size = self.profile.password.history
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            view = self.view(session, account)
            counter = throttle.Counter(throttle.signin_key(account.username_key), self.profile.signin_lockout)
            attempt = throttle.claim_attempt(session, now, counter)
            old_hashes = [account.password_hash] + [
                h.password_hash for h in self._history(session, account_id)[: max(history_size - 1, 0)]
            ]
        if not attempt.allowed:
            raise ValidationError(blocked_message(attempt.gate.locked, attempt.gate.retry_after), field="current")
        if not self.hasher.verify(old_hashes[0], current):
            with self.db.transaction() as session:
                gate, _ = throttle.note_failure(
                    session, attempt, now, account_id=account_id, username=view.username, source=source,
                    kind=audit.PASSWORD_CHANGE_FAILED, what="attempts at your current password",
                    notice=self.notices.lock,
                )
            if gate.locked:
                raise ValidationError(f"Your current password is not correct. {blocked_message(True, gate.retry_after)}",
                                      field="current")
            raise ValidationError("Your current password is not correct.", field="current")
        problem = self._new_password_problem(new, view, old_hashes)
        hashed = None if problem else self.hasher.hash(new)
        with self.db.transaction() as session:
            throttle.refund(session, attempt)
            if problem is None:
                result = self._replace(session, account_id, hashed, now, source)
        if problem is not None:
            raise problem
        return result

    def _new_password_problem(self, new: str, view: AccountView, old_hashes: list[str]) -> ValidationError | None:
        history_size = self.profile.password.history
        verdict = self.check_new_password(new, view)
        if not verdict.ok:
            return ValidationError(verdict.problems_sentence(), field="new")
        if any(self.hasher.verify(h, new) for h in old_hashes):
            if history_size > 1:
                return ValidationError(
                    f"You have used this password recently: choose one that is not one of your "
                    f"last {history_size} passwords.", field="new",
                )
            return ValidationError("The new password must differ from the current one.", field="new")
        return None

    def _replace(self, session: Session, account_id: int, hashed: str, now, source: str) -> AccountView:
        history_size = self.profile.password.history
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
        required = account.password_change_required
        account.password_change_required = False  # a reported prompt's requirement is met
        session.add(account)
        self.notices.record(session, account, at=now, kind=audit.PASSWORD_CHANGED, source=source,
                            **({"was_required": True} if required else {}))
        return self.view(session, account)

    def _history(self, session: Session, account_id: int) -> list[PasswordHistory]:
        return list(
            session.exec(
                select(PasswordHistory)
                .where(PasswordHistory.account_id == account_id)
                .order_by(PasswordHistory.retired_at.desc(), PasswordHistory.id.desc())
            ).all()
        )
