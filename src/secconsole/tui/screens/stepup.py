"""Confirm it's you: Settings and Payments ask for a fresh check (dismisses with True on success).

Until the sign-in challenge lands, the check is the password, for every account."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from secconsole.core.views import AccountView
from secconsole.tui.screens.form import FormScreen, field, form_buttons
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.topbar import TopBar


class StepUpScreen(FormScreen):
    FIELDS = ("password",)

    def __init__(self, account: AccountView, purpose: str) -> None:
        super().__init__()
        self.account = account
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        yield TopBar("Confirm it's you", username=self.account.username, demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card", id="stepup-card"):
                yield Static("Confirm it's you", classes="card-title")
                yield Static(
                    f"{self.purpose} asks for a fresh check. Enter your password to continue.",
                    markup=False, classes="form-note",
                )
                yield from field("Password", "password", password=True, max_length=256)
                yield ErrorLine(id="stepup-error")
                yield form_buttons("Continue")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#password").focus()

    async def submit(self) -> None:
        password = self.value("password")
        if not password:
            self.show_error("Enter your password.", "password")
            return
        result = await self.attempt(lambda s: s.signin.reauthenticate, self.account.id, password,
                                    fallback="password")
        if result is None:
            return
        self.query_one("#password", TextField).value = ""
        if not result.ok:
            self.show_error(result.message, "password")
            return
        self.dismiss(True)
