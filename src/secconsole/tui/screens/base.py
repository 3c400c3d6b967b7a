"""Screens that share a look, and so a stylesheet nested under their type.

Textual reads a screen's CSS_PATH into the app's one stylesheet the first time the screen is
shown, and it stays there: a rule not nested under a type would style every screen after it. Each
file in styles/ nests its rules under the screen (or these bases) it belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from secconsole.tui.styles import stylesheet

if TYPE_CHECKING:
    from secconsole.core.views import AccountView


class AccountScreen(Screen[None]):
    """A page about the signed-in account: Home, Settings, Payments.

    ``account`` is the session's copy (``tui/session.py``): the page shows every newer copy the
    session publishes (``show_account``), and re-reads the account each time it comes into view,
    since a form, a wizard or another console may have changed it. Writes hand what they return to
    ``app.session.update``, which shows it on every page at once."""

    def __init__(self, account: AccountView) -> None:
        super().__init__()
        self.account = account

    def on_mount(self) -> None:
        self.app.session.changed.subscribe(self, self._account_changed)
        self.show_account(self.account)

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.run_worker(self.reread(), group="reread", exclusive=True)

    async def reread(self) -> None:
        """Read the account again and publish it (unless a newer read or write got there first)."""
        ticket = self.app.session.start_read()
        services = await self.app.services()
        account = await self.app.run_core(services.accounts.get_by_id, self.account.id)
        self.app.session.update(account, read=ticket)

    def _account_changed(self, account: AccountView) -> None:
        if account.id == self.account.id:
            self.account = account
            self.show_account(account)

    def show_account(self, account: AccountView) -> None:
        """Render ``account`` (called on mount and for every newer copy)."""


class CardScreen(Screen[None]):
    """One card in the middle of the screen (``.form-body`` > ``.form-card``): every form, and
    Contact support. styles/forms.tcss is nested under this type."""

    CSS_PATH = [stylesheet("forms")]


class SectionsScreen(AccountScreen):
    """A page of titled sections and one-line rows: Settings and Payments. styles/settings.tcss is
    nested under this type."""

    CSS_PATH = [stylesheet("settings")]
