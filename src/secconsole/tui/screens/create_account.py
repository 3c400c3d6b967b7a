"""Create an account: username, email, password twice, with the live checklist beside them."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from secconsole.core.errors import SecConsoleError, ValidationError
from secconsole.core.policy import get_profile
from secconsole.tui.widgets.checklist import PasswordChecklist
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.styles import stylesheet
from secconsole.tui.widgets.topbar import TopBar

_FIELDS = ("username", "email", "password", "confirm")


class CreateAccountScreen(Screen[None]):
    CSS_PATH = [stylesheet("forms")]
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="create.back")]

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
                    yield ActionButton("Create account", id="create", primary=True)
                    yield ActionButton("Cancel", id="cancel")
            yield PasswordChecklist(get_profile(self.app.config.policy), id="checklist")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#username").focus()

    def _values(self) -> dict[str, str]:
        return {name: self.query_one(f"#{name}", Input).value for name in _FIELDS}

    @on(Input.Changed)
    def _recheck(self) -> None:
        v = self._values()
        self.query_one(PasswordChecklist).update_for(
            v["password"], confirm=v["confirm"], username=v["username"], email=v["email"]
        )

    @on(Input.Submitted)
    async def _next(self, event: Input.Submitted) -> None:
        index = _FIELDS.index(event.input.id)
        if index + 1 < len(_FIELDS):
            self.query_one(f"#{_FIELDS[index + 1]}").focus()
        else:
            await self.submit()

    @on(ActionButton.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.app.pop_screen()

    @on(ActionButton.Pressed, "#create")
    async def submit(self) -> None:
        v = self._values()
        if v["password"] != v["confirm"]:
            self._error("The two passwords do not match.", "confirm")
            return
        try:
            services = await self.app.services()
            account = await self.app.run_core(
                services.accounts.create, v["username"], v["email"], v["password"], source=self.app.config.source
            )
        except ValidationError as exc:
            self._error(str(exc), exc.field or "username")
            return
        except SecConsoleError as exc:
            self._error(str(exc), "username")
            return
        self.app.pop_screen()
        self.app.notify(f"Welcome, {account.username}. Your account is ready.", markup=False)
        self.app.signed_in(account)

    def _error(self, message: str, field: str) -> None:
        self.query_one("#create-error", ErrorLine).show(message)
        self.query_one(f"#{field}").focus()
