"""Verify identity: legal name and date of birth, checked against the record on file."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from secconsole.core.views import AccountView
from secconsole.tui.screens.form import FormScreen, field, form_buttons
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.topbar import TopBar


class VerifyIdentityScreen(FormScreen):
    FIELDS = ("legal_name", "birth_date")

    def __init__(self, account: AccountView) -> None:
        super().__init__()
        self.account = account

    def compose(self) -> ComposeResult:
        demo = self.app.config.demo
        note = (
            "Demo mode: any plausible details are accepted." if demo
            else "We check these against the identity record on file; we keep only a keyed hash."
        )
        yield TopBar("Verify identity", username=self.account.username, demo=demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card wide"):
                yield Static("Verify your identity", classes="card-title")
                yield from field("Legal name", "legal_name", max_length=150)
                yield from field("Date of birth (YYYY-MM-DD)", "birth_date", max_length=10, restrict=r"[0-9\-]*")
                yield Static(note, classes="form-note", markup=False)
                yield ErrorLine(id="identity-error")
                yield form_buttons("Verify")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#legal_name").focus()

    async def submit(self) -> None:
        verified = await self.attempt(
            lambda s: s.identity.verify, self.account.id, self.value("legal_name"), self.value("birth_date"),
            demo=self.app.config.demo, fallback="legal_name",
        )
        if verified is None:
            return
        self.dismiss()
        self.app.notify("Your identity is verified.")
