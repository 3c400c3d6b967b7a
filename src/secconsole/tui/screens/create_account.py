"""Create an account (sign-up, when ``--signup open``): username, email, password twice, with the
live checklist beside them; then "Verify your email"."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Static

from secconsole.core.policy import get_profile
from secconsole.tui.screens.form import FormScreen, field, form_buttons
from secconsole.tui.widgets.checklist import PasswordChecklist
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.topbar import TopBar


class CreateAccountScreen(FormScreen):
    FIELDS = ("username", "email", "password", "confirm")

    def compose(self) -> ComposeResult:
        yield TopBar("Create account", demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card"):
                yield Static("Create your account", classes="card-title")
                yield from field("Username", "username", max_length=64)
                yield from field("Email", "email", max_length=254)
                yield from field("Password", "password", password=True, max_length=256)
                yield from field("Password again", "confirm", password=True, max_length=256)
                yield ErrorLine(id="create-error")
                yield form_buttons("Create account")
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
            lambda s: s.signup.create, self.value("username"), self.value("email"), self.value("password"),
            fallback="username",
        )
        if account is None:
            return
        from secconsole.tui.screens.verify_email import VerifyEmailScreen

        self.app.pop_screen()
        self.app.notify(f"Welcome, {account.username}. Your account is ready.", markup=False)
        self.app.signed_in(account)
        self.app.push_screen(VerifyEmailScreen(account))
