"""Add a card: name, number (Luhn-checked) and expiry. Only brand and last four are kept."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Label, Static

from secconsole.core.views import AccountView
from secconsole.tui.screens.form import FormScreen
from secconsole.tui.widgets.action_button import ActionButton
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
                yield Label("Name on the card")
                yield TextField(id="holder", max_length=150, compact=True)
                yield Label("Card number")
                yield TextField(id="number", max_length=30, compact=True, restrict=r"[0-9 \-]*")
                yield Label("Expiry (MM/YY)")
                yield TextField(id="expiry", max_length=7, compact=True, restrict=r"[0-9/ ]*")
                yield Static("We keep the brand and the last four digits only.", classes="form-note", markup=False)
                yield ErrorLine(id="card-error")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Add card", id="submit", primary=True)
                    yield ActionButton("Cancel", id="cancel")
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
