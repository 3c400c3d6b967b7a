"""Change password: the current one, then the new one twice, checked against the profile.

``ForcedPasswordChangeScreen`` is the same form when the account must change its password (a
mobile app prompt was reported as not you): it says why, and it leaves only by a change (dismissed
with True) or by signing out."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Static

from secconsole.core.views import PASSWORD_CHANGE_REASON, AccountView
from secconsole.core.policy import get_profile
from secconsole.tui.screens.form import FormScreen, field, form_buttons
from secconsole.tui.widgets.checklist import PasswordChecklist
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.topbar import TopBar


class ChangePasswordScreen(FormScreen):
    FIELDS = ("current", "new", "confirm")
    #: Why the change is asked for (shown above the fields), and what the second button does.
    REASON: str | None = None
    LEAVE = "Cancel"

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
                if self.REASON:
                    yield Static(self.REASON, id="change-reason", classes="form-note", markup=False)
                yield from field("Current password", "current", password=True, max_length=256)
                yield from field("New password", "new", password=True, max_length=256)
                yield from field("New password again", "confirm", password=True, max_length=256)
                yield ErrorLine(id="change-error")
                yield form_buttons("Save", self.LEAVE)
            yield PasswordChecklist(profile, extra_note=note, id="checklist")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#current").focus()

    @on(Input.Changed, "#new, #confirm")
    def _recheck(self) -> None:
        self.query_one(PasswordChecklist).update_for(
            self.value("new"), confirm=self.value("confirm"), username=self.account.username,
            email=self.account.email, has_second_step=self.account.has_second_step,
        )

    async def submit(self) -> None:
        if not self.value("current"):
            self.show_error("Enter your current password.", "current")
            return
        if self.value("new") != self.value("confirm"):
            self.show_error("The two new passwords do not match.", "confirm")
            return
        account = await self.attempt(
            lambda s: s.passwords.change_password, self.account.id, self.value("current"), self.value("new"),
            fallback="new",
        )
        if account is None:
            return
        self.app.session.update(account)
        self.dismiss(True)
        self.app.notify("Your password was changed.")


class ForcedPasswordChangeScreen(ChangePasswordScreen):
    """What a session whose account must change its password sees instead of Home: Escape does
    not leave (it says how to), the second button signs out."""

    BINDINGS = [Binding("escape", "back", "Back", id="form.back", show=False)]
    REASON = PASSWORD_CHANGE_REASON
    LEAVE = "Sign out"

    def action_back(self) -> None:
        self.query_one(ErrorLine).show("Choose a new password to continue, or press Sign out.")

    def _cancel(self) -> None:
        self.app.run_worker(self.app.sign_out(), group="sign-out", exclusive=True)
