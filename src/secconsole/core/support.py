"""What support does for a locked-out person: unlock, or reset every second step. Both are
audited and the account's owner is told by email."""

from __future__ import annotations

import sqlalchemy as sa

from secconsole.core import audit, throttle
from secconsole.core.accounts import AccountService, require_named
from secconsole.core.clock import Clock
from secconsole.core.notices import Notices
from secconsole.store.engine import Database
from secconsole.store.models import MethodEnrollment

_CLOSING = "If you did not ask support for this, contact them now."


class Support:
    def __init__(self, db: Database, clock: Clock, accounts: AccountService, notices: Notices) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.notices = notices

    def unlock(self, username: str, *, source: str) -> bool:
        had = self.accounts.unlock(username, source=source)
        account = self.accounts.get(username)
        self.notices.tell(account.id, "Your SecConsole account was unlocked",
                          "Support cleared the failed attempts on your account, so you can sign in again.",
                          closing=_CLOSING)
        return had

    def unlock_source(self, source: str, *, by: str) -> bool:
        """Clear the failures counted against a connection (e.g. "ssh 198.51.100.7")."""
        with self.db.transaction() as session:
            cleared = throttle.clear(session, throttle.source_key(source))
            audit.record(session, at=self.clock.now(), kind=audit.SOURCE_UNLOCKED, source=by, unlocked=source,
                         had_failures=cleared)
        return cleared

    def reset_second_steps(self, username: str, *, source: str) -> list[str]:
        """Delete every method (and its secret) and clear the counters. Returns the kinds removed."""
        now = self.clock.now()
        with self.db.transaction() as session:
            account = require_named(session, username)
            rows = session.exec(sa.select(MethodEnrollment).where(MethodEnrollment.account_id == account.id)).scalars().all()
            removed = sorted(r.kind for r in rows)
            for row in rows:
                session.delete(row)
            account.preferred_method = None
            session.add(account)
            for key in throttle.account_keys(account.id, account.username_key):
                throttle.clear(session, key)
            audit.record(session, at=now, kind=audit.TWO_STEP_RESET, source=source, account_id=account.id,
                         username=account.username, removed=removed)
            account_id = account.id
        self.notices.tell(account_id, "Your SecConsole two-step verification was reset",
                          "Support removed every two-step method from your account. Sign in with your password "
                          "and turn two-step verification on again in Settings › Password and Security.",
                          closing=_CLOSING)
        return removed
