"""Add a card: name, number (Luhn-checked) and expiry. Only brand and last four are kept."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from secconsole.core.views import AccountView
from secconsole.tui.screens.form import FormScreen, field, form_buttons
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.topbar import TopBar


class AddCardScreen(FormScreen):
    FIELDS = ("holder", "number", "expiry")

    def __init__(self, account: AccountView) -> None:
        super().__init__()
        self.account = account

    def compose(self) -> ComposeResult:
        yield TopBar("Add a card", username=self.account.username, demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card wide"):
                yield Static("Add a card", classes="card-title")
                yield from field("Name on the card", "holder", max_length=150)
                yield from field("Card number", "number", max_length=30, restrict=r"[0-9 \-]*")
                yield from field("Expiry (MM/YY)", "expiry", max_length=7, restrict=r"[0-9/ ]*")
                yield Static("We keep the brand and the last four digits only.", classes="form-note", markup=False)
                yield ErrorLine(id="card-error")
                yield form_buttons("Add card")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#holder").focus()

    async def submit(self) -> None:
        card = await self.attempt(
            lambda s: s.payments.add_card, self.account.id, self.value("holder"), self.value("number"),
            self.value("expiry"), fallback="number",
        )
        if card is None:
            return
        self.query_one("#number", TextField).value = ""
        self.dismiss()
        self.app.notify(f"{card.brand} ending in {card.last4} was added.", markup=False)
