"""What support does for a locked-out person: unlock, or reset every second step. Both are
audited, and the account's owner is told by email exactly what changed (nothing, if nothing did)."""

from __future__ import annotations

import sqlalchemy as sa

from secconsole.core import audit, throttle
from secconsole.core.accounts import AccountService, clear_counters, require_named
from secconsole.core.clock import Clock
from secconsole.core.notices import Notices
from secconsole.store.engine import Database
from secconsole.store.models import MethodEnrollment

class Support:
    def __init__(self, db: Database, clock: Clock, accounts: AccountService, notices: Notices) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.notices = notices

    def unlock(self, username: str, *, source: str) -> list[str]:
        """The counters cleared (``AccountService.unlock``); empty when there was nothing to do."""
        return self.accounts.unlock(username, source=source)

    def unlock_source(self, source: str, *, by: str) -> bool:
        """Clear the failures counted against a connection (e.g. "ssh 198.51.100.7")."""
        with self.db.transaction() as session:
            cleared = throttle.clear(session, throttle.source_key(source))
            audit.record(session, at=self.clock.now(), kind=audit.SOURCE_UNLOCKED, source=by, unlocked=source,
                         had_failures=cleared)
        return cleared

    def reset_second_steps(self, username: str, *, source: str) -> tuple[list[str], list[str]]:
        """Delete every method (and its secret) and clear the counters. Returns the kinds removed
        and the counters cleared; both empty: nothing changed, and the owner is not told."""
        now = self.clock.now()
        with self.db.transaction() as session:
            account = require_named(session, username)
            rows = session.exec(sa.select(MethodEnrollment).where(MethodEnrollment.account_id == account.id)).scalars().all()
            removed = sorted(r.kind for r in rows)
            for row in rows:
                session.delete(row)
            account.preferred_method = None
            session.add(account)
            cleared = clear_counters(session, account)
            self.notices.record(session, account, at=now, kind=audit.TWO_STEP_RESET, source=source,
                                removed=removed, cleared=cleared)
        return removed, cleared
