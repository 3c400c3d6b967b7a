"""Create an account: username, email, password twice, with the live checklist beside them."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Label, Static

from secconsole.core.policy import get_profile
from secconsole.tui.screens.form import FormScreen
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.checklist import PasswordChecklist
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.topbar import TopBar


class CreateAccountScreen(FormScreen):
    FIELDS = ("username", "email", "password", "confirm")

    def compose(self) -> ComposeResult:
        yield TopBar("Create account", demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card"):
                yield Static("Create your account", classes="card-title")
                yield Label("Username")
                yield TextField(id="username", max_length=64, compact=True)
                yield Label("Email")
                yield TextField(id="email", max_length=254, compact=True)
                yield Label("Password")
                yield TextField(id="password", password=True, max_length=256, compact=True)
                yield Label("Password again")
                yield TextField(id="confirm", password=True, max_length=256, compact=True)
                yield ErrorLine(id="create-error")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Create account", id="submit", primary=True)
                    yield ActionButton("Cancel", id="cancel")
            yield PasswordChecklist(get_profile(self.app.config.policy), id="checklist")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#username").focus()

    @on(Input.Changed)
    def _recheck(self) -> None:
        self.query_one(PasswordChecklist).update_for(
            self.value("password"), confirm=self.value("confirm"),
            username=self.value("username"), email=self.value("email"),
        )

    async def submit(self) -> None:
        if self.value("password") != self.value("confirm"):
            self.show_error("The two passwords do not match.", "confirm")
            return
        account = await self.attempt(
            lambda s: s.accounts.create, self.value("username"), self.value("email"), self.value("password"),
            fallback="username",
        )
        if account is None:
            return
        self.app.pop_screen()
        self.app.notify(f"Welcome, {account.username}. Your account is ready.", markup=False)
        self.app.signed_in(account)
