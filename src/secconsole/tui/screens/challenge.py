"""Confirm it's you with a second step: after the password at sign-in, and before Settings or
Payments (step-up). Dismisses with the fresh AccountView, or None when cancelled."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Static

from secconsole.core.accounts import AccountView
from secconsole.core.errors import SecConsoleError
from secconsole.core.methods import MethodKind
from secconsole.tui.screens.form import FormScreen
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.topbar import TopBar

SIGN_IN = "sign-in"
STEP_UP = "step-up"


class ChallengeScreen(FormScreen):
    FIELDS = ("code",)

    def __init__(self, account: AccountView, *, purpose: str = SIGN_IN, reason: str = "") -> None:
        super().__init__()
        self.account = account
        self.purpose = purpose
        self.reason = reason

    @property
    def digits(self) -> int:
        return int(self.account.method(MethodKind.TOTP).detail.get("digits", 6))

    def compose(self) -> ComposeResult:
        issuer = self.app.config.issuer
        lead = f"{self.reason} asks for a fresh check. " if self.reason else ""
        yield TopBar("Confirm it's you", username=self.account.username, demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card wide", id="challenge-card"):
                yield Static("Two-step verification", classes="card-title")
                yield Static(
                    f"{lead}Enter the {self.digits}-digit code from your authenticator app for "
                    f"{issuer} ({self.account.username}).",
                    markup=False, classes="form-note",
                )
                yield TextField(id="code", max_length=12, compact=True, restrict=r"[0-9 \-]*")
                yield ErrorLine(id="challenge-error")
                yield Static(id="challenge-note", classes="form-note")
                if self.app.config.demo:
                    yield Static(id="demo-code", classes="demo-hint")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Verify", id="submit", primary=True)
                    yield ActionButton("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code").focus()
        self.query_one("#challenge-note").display = False
        if self.app.config.demo:
            self._demo_hint()
            self.set_interval(1.0, self._demo_hint)

    def _cancel(self) -> None:
        self.dismiss(None)

    async def submit(self) -> None:
        code = self.query_one("#code", Input)
        try:
            services = await self.app.services()
            result = await self.app.run_core(
                services.totp.verify, self.account.id, code.value, source=self.app.config.source
            )
            if not result.ok:
                code.value = ""
                self.show_error(result.message, "code")
                return
            method = MethodKind.TOTP.value
            if self.purpose == SIGN_IN:
                account = await self.app.run_core(
                    services.accounts.complete_sign_in, self.account.id, method, source=self.app.config.source
                )
            else:
                await self.app.run_core(
                    services.accounts.note_step_up, self.account.id, method, source=self.app.config.source
                )
                account = await self.app.run_core(services.accounts.get_by_id, self.account.id)
        except SecConsoleError as exc:
            self.show_error(str(exc), "code")
            return
        if result.note:
            self.app.notify(result.note, title="Clock adjusted", timeout=12, markup=False)
        self.dismiss(account)

    def _demo_hint(self) -> None:
        """Demo mode only: the seeded accounts' codes, since no phone holds their secrets."""
        from secconsole.demo import current_code

        services = self.app.loaded_services
        if services is None:
            return
        try:
            code, left = current_code(services, self.account.id)
        except SecConsoleError:
            return
        self.query_one("#demo-code", Static).update(f"DEMO · the app would show {code[:3]} {code[3:]} · {left} s left")
