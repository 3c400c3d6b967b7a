"""Payments: identity verification and the cards on file (brand and last four digits only)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from secconsole.core.views import AccountView
from secconsole.errors import SecConsoleError
from secconsole.core.methods import registry
from secconsole.core.payments import Card
from secconsole.tui.dialogs.confirm import ConfirmDialog
from secconsole.tui.screens.base import SectionsScreen
from secconsole.tui.text import template
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.topbar import TopBar


class PaymentsScreen(SectionsScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="payments.back"),
        Binding("a", "add_card", "Add card", id="payments.add_card"),
        Binding("d", "remove_card", "Remove card", id="payments.remove_card"),
        Binding("i", "verify_identity", "Verify identity", id="payments.verify_identity"),
    ]

    def __init__(self, account: AccountView) -> None:
        super().__init__(account)
        self.cards: list[Card] = []

    def compose(self) -> ComposeResult:
        yield TopBar("Payments", username=self.account.username, demo=self.app.config.demo)
        with VerticalScroll(id="payments-body"):
            yield Static("Identity", classes="section")
            yield Static(id="identity-detail")
            with Horizontal(classes="row-buttons flush", id="identity-buttons"):
                yield ActionButton("Verify identity", id="verify-identity")
            yield Static("Billing methods", classes="section")
            yield OptionList(id="cards")
            yield Static("No billing methods yet.", id="no-cards", classes="setting-detail")
            with Horizontal(classes="row-buttons flush"):
                yield ActionButton("Add a card", id="add-card", primary=True)
                yield ActionButton("Remove selected card", id="remove-card")
            yield Static("Text message verification", classes="section")
            yield Static(id="sms-note")
        yield Footer()

    async def reread(self) -> None:
        services = await self.app.services()
        self.cards = await self.app.run_core(services.payments.cards, self.account.id)
        await super().reread()

    def show_account(self, account: AccountView) -> None:
        verified = account.identity_verified
        self.query_one("#identity-detail", Static).update(
            Content.from_markup("[$success]Verified[/]") if verified
            else Content.from_markup("[$text-muted]Not verified[/]")
        )
        self.query_one("#identity-buttons").display = not verified
        cards = self.query_one("#cards", OptionList)
        highlighted = cards.highlighted
        cards.clear_options()
        cards.add_options(
            Option(template("$card  [$text-muted]$holder[/]", card=c.label, holder=c.holder_name), id=str(c.id))
            for c in self.cards
        )
        if self.cards:
            cards.highlighted = min(highlighted or 0, len(self.cards) - 1)
        cards.display = bool(self.cards)
        self.query_one("#no-cards").display = not self.cards
        self.query_one("#remove-card").display = bool(self.cards)
        missing = registry.get("sms").prerequisite_missing(account)
        self.query_one("#sms-note", Static).update(
            "Text messages need a verified identity or a billing method: add a card or verify your identity above."
            if missing
            else "Unlocked: your verified identity or a billing method lets you use text messages."
        )

    @on(ActionButton.Pressed, "#add-card")
    def action_add_card(self) -> None:
        from secconsole.tui.screens.add_card import AddCardScreen

        self.app.push_screen(AddCardScreen(self.account))

    @on(ActionButton.Pressed, "#verify-identity")
    def action_verify_identity(self) -> None:
        from secconsole.tui.screens.verify_identity import VerifyIdentityScreen

        if self.account.identity_verified:
            self.notify("Your identity is already verified.")
            return
        self.app.push_screen(VerifyIdentityScreen(self.account))

    @on(ActionButton.Pressed, "#remove-card")
    @work(group="confirm", exclusive=True)
    async def action_remove_card(self) -> None:
        cards = self.query_one("#cards", OptionList)
        if not self.cards or cards.highlighted is None:
            self.notify("There is no card to remove.")
            return
        card = self.cards[cards.highlighted]
        sure = await self.app.push_screen_wait(
            ConfirmDialog(f"Remove {card.brand} ending in {card.last4}?", card.label, confirm="Remove")
        )
        if not sure:
            return
        try:
            services = await self.app.services()
            await self.app.run_core(services.payments.remove_card, self.account.id, card.id, source=self.app.config.source)
        except SecConsoleError as exc:
            self.notify(str(exc), severity="error", markup=False)
        else:
            self.notify(f"{card.brand} ending in {card.last4} was removed.", markup=False)
        self.reload()
