"""Change password: the current one, then the new one twice, checked against the profile."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from secconsole.core.accounts import AccountView
from secconsole.core.errors import SecConsoleError, ValidationError
from secconsole.core.policy import get_profile
from secconsole.tui.widgets.checklist import PasswordChecklist
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.styles import stylesheet
from secconsole.tui.widgets.topbar import TopBar

_FIELDS = ("current", "new", "confirm")


class ChangePasswordScreen(Screen[None]):
    CSS_PATH = [stylesheet("forms")]
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="change_password.back")]

    def __init__(self, account: AccountView) -> None:
        super().__init__()
        self.account = account

    def compose(self) -> ComposeResult:
        profile = get_profile(self.app.config.policy)
        history = profile.password.history
        note = f"Not one of your last {history} passwords (checked when you save)" if history > 1 else ""
        yield TopBar("Change password", username=self.account.username, demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card"):
                yield Static("Change your password", classes="card-title")
                yield Label("Current password")
                yield TextField(id="current", password=True, max_length=256, compact=True)
                yield Label("New password")
                yield TextField(id="new", password=True, max_length=256, compact=True)
                yield Label("New password again")
                yield TextField(id="confirm", password=True, max_length=256, compact=True)
                yield ErrorLine(id="change-error")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Save", id="save", primary=True)
                    yield ActionButton("Cancel", id="cancel")
            yield PasswordChecklist(profile, extra_note=note, id="checklist")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#current").focus()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    @on(Input.Changed, "#new, #confirm")
    def _recheck(self) -> None:
        self.query_one(PasswordChecklist).update_for(
            self._value("new"), confirm=self._value("confirm"), username=self.account.username,
            email=self.account.email, has_second_step=self.account.has_second_step,
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

    @on(ActionButton.Pressed, "#save")
    async def submit(self) -> None:
        if not self._value("current"):
            self._error("Enter your current password.", "current")
            return
        if self._value("new") != self._value("confirm"):
            self._error("The two new passwords do not match.", "confirm")
            return
        try:
            services = await self.app.services()
            account = await self.app.run_core(
                services.accounts.change_password, self.account.id, self._value("current"), self._value("new"),
                source=self.app.config.source,
            )
        except ValidationError as exc:
            self._error(str(exc), {"current": "current", "new": "new"}.get(exc.field or "", "new"))
            return
        except SecConsoleError as exc:
            self._error(str(exc), "current")
            return
        self.app.account = account
        self.dismiss()
        self.app.notify("Your password was changed.")

    def _error(self, message: str, field: str) -> None:
        self.query_one("#change-error", ErrorLine).show(message)
        self.query_one(f"#{field}").focus()
