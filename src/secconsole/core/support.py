"""What support does for a locked-out person: unlock, or reset every second step. Both are
audited and the account's owner is told by email."""

from __future__ import annotations

import sqlalchemy as sa

from secconsole.core import audit, throttle
from secconsole.core.accounts import AccountService
from secconsole.core.clock import Clock
from secconsole.core.delivery import Message, Sender
from secconsole.errors import NotFoundError
from secconsole.core.validation import username_key
from secconsole.store.engine import Database
from secconsole.store.models import Account, MethodEnrollment

TWO_STEP_RESET = "two_step.reset"
SOURCE_UNLOCKED = "source.unlocked"
audit.DESCRIPTIONS[TWO_STEP_RESET] = "Two-step verification reset by support"
audit.DESCRIPTIONS[SOURCE_UNLOCKED] = "Failed sign-ins from a connection cleared by support"


class Support:
    def __init__(self, db: Database, clock: Clock, accounts: AccountService, sender: Sender) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.sender = sender

    def unlock(self, username: str, *, source: str) -> bool:
        had = self.accounts.unlock(username, source=source)
        account = self.accounts.get(username)
        self._tell(account.id, account.email, account.username, "Your SecConsole account was unlocked",
                   "Support cleared the failed attempts on your account, so you can sign in again.")
        return had

    def unlock_source(self, source: str, *, by: str) -> bool:
        """Clear the failures counted against a connection (e.g. "ssh 198.51.100.7")."""
        with self.db.transaction() as session:
            cleared = throttle.clear(session, throttle.source_key(source))
            audit.record(session, at=self.clock.now(), kind=SOURCE_UNLOCKED, source=by, unlocked=source,
                         had_failures=cleared)
        return cleared

    def reset_second_steps(self, username: str, *, source: str) -> list[str]:
        """Delete every method (and its secret) and clear the counters. Returns the kinds removed."""
        now = self.clock.now()
        with self.db.transaction() as session:
            account = session.exec(sa.select(Account).where(Account.username_key == username_key(username))).scalar()
            if account is None:
                raise NotFoundError(f"There is no account named {username.strip()!r}.")
            rows = session.exec(sa.select(MethodEnrollment).where(MethodEnrollment.account_id == account.id)).scalars().all()
            removed = sorted(r.kind for r in rows)
            for row in rows:
                session.delete(row)
            account.preferred_method = None
            session.add(account)
            for key in throttle.account_keys(account.id, account.username_key):
                throttle.clear(session, key)
            audit.record(session, at=now, kind=TWO_STEP_RESET, source=source, account_id=account.id,
                         username=account.username, removed=removed)
            target = (account.id, account.email, account.username)
        self._tell(*target, "Your SecConsole two-step verification was reset",
                   "Support removed every two-step method from your account. Sign in with your password "
                   "and turn two-step verification on again in Settings › Password and Security.")
        return removed

    def _tell(self, account_id: int, email: str, name: str, subject: str, text: str) -> None:
        body = f"Hello {name},\n\n{text}\n\nIf you did not ask support for this, contact them now.\n"
        self.sender.send(Message("email", email, subject, body, account_id))
