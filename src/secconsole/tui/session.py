"""The signed-in account, one copy for the whole app: screens read it here, writes go through
``update`` and every screen that subscribed to ``changed`` re-renders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual.signal import Signal

if TYPE_CHECKING:
    from textual.app import App

    from secconsole.core.views import AccountView


class Session:
    def __init__(self, app: App) -> None:
        self.account: AccountView | None = None
        #: When this session last proved it is the account holder (sign-in or step-up).
        self.verified_at: datetime | None = None
        #: Published with the new ``AccountView`` whenever it changes.
        self.changed: Signal[AccountView] = Signal(app, "account-changed")
        #: Bumped by every read started and every update: a read that started before a newer read
        #: or write (say, on coming back from a confirm dialog) must not show its older copy.
        self._ticket = 0

    def signed_in(self, account: AccountView, now: datetime) -> None:
        self.verified_at = now
        self.update(account)

    def verified(self, now: datetime) -> None:
        self.verified_at = now

    def check_due(self) -> None:
        """The next protected screen asks to confirm it's you again (demo deep link ``step-up``)."""
        self.verified_at = None

    def start_read(self) -> int:
        """A ticket for a read of the account about to start; pass it to ``update``."""
        self._ticket += 1
        return self._ticket

    def update(self, account: AccountView, *, read: int | None = None) -> bool:
        """Take a newer copy of the account and tell every subscriber. A read's copy (``read``:
        its ticket) is dropped when a newer read or write was started since. Returns whether it
        was taken."""
        if read is not None and read != self._ticket:
            return False
        self._ticket += 1
        self.account = account
        self.changed.publish(account)
        return True

    def signed_out(self) -> AccountView | None:
        self._ticket += 1  # a read still on its way must not sign the account back in
        account, self.account, self.verified_at = self.account, None, None
        return account

    def step_up_due(self, now: datetime, minutes: float) -> bool:
        return self.verified_at is None or now - self.verified_at > timedelta(minutes=minutes)
