"""Verify your email: the 6-digit code sent to the address of an account made by sign-up. Until
it is entered, no sign-in code is emailed there. "Later" goes back; Home and Settings offer this
screen again while the address is unverified."""

from __future__ import annotations

from datetime import timedelta

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from secconsole.core.clock import seconds_until
from secconsole.core.views import AccountView
from secconsole.errors import SecConsoleError
from secconsole.tui.screens.form import FormScreen, field
from secconsole.tui.text import template
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.topbar import TopBar

RESEND = "Send a new code"


class VerifyEmailScreen(FormScreen):
    FIELDS = ("code",)

    def __init__(self, account: AccountView, *, send: bool = True) -> None:
        """``send``: email a code as the screen opens (right after sign-up, or "Verify" on Home)."""
        super().__init__()
        self.account = account
        self._send_on_mount = send
        self._resend_at = None

    def compose(self) -> ComposeResult:
        demo = self.app.config.demo
        yield TopBar("Verify your email", username=self.account.username, demo=demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card wide"):
                yield Static("Verify your email", classes="card-title")
                yield Static(self._lead(), id="verify-lead")
                yield from field("Code", "code", max_length=12, restrict=r"[0-9 \-]*")
                yield Static("Until then, no sign-in code can be emailed to you as a last resort.",
                             classes="form-note", markup=False)
                yield ErrorLine(id="verify-error")
                if demo:
                    from secconsole.tui.demo.hint import DemoHint

                    yield DemoHint(self.account.id)
                with Horizontal(classes="buttons"):
                    yield ActionButton("Verify", id="submit", primary=True)
                    yield ActionButton(RESEND, id="resend")
                    yield ActionButton("Later", id="cancel")
        yield Footer()

    def _lead(self, to: str | None = None):
        if to is None:
            return template("Enter the 6-digit code we email to [b]$email[/b].", email=self.account.email)
        return template("We emailed a 6-digit code to [b]$to[/b]. Enter it here.", to=to)

    async def on_mount(self) -> None:
        self.query_one("#code").focus()
        self.set_interval(1.0, self._tick)
        if self._send_on_mount:
            await self._send()

    # -- sending --------------------------------------------------------------------------

    @on(ActionButton.Pressed, "#resend")
    async def _resend(self) -> None:
        if not self.query_one("#resend", ActionButton).disabled:
            await self._send()

    async def _send(self) -> None:
        self.query_one(ErrorLine).clear()
        try:
            services = await self.app.services()
            sent = await self.app.run_core(services.signup.send_code, self.account.id, source=self.app.config.source)
        except SecConsoleError as exc:
            self.show_error(str(exc), "code")
            return
        self.query_one("#verify-lead", Static).update(self._lead(sent.to))
        self._resend_at = services.clock.now() + timedelta(seconds=sent.resend_after)
        self._tick()
        for hint in self.query("DemoHint"):
            hint.show("verify_email")

    def _tick(self) -> None:
        """The resend button waits out the core's cooldown (time from the injected clock)."""
        services = self.app.loaded_services
        button = self.query_one("#resend", ActionButton)
        left = 0
        if services is not None and self._resend_at is not None:
            left = seconds_until(self._resend_at, services.clock.now())
        button.disabled = left > 0
        button.update(f"{RESEND} ({left} s)" if left else RESEND)

    # -- verifying ------------------------------------------------------------------------

    async def submit(self) -> None:
        result = await self.attempt(lambda s: s.signup.verify, self.account.id, self.value("code"), fallback="code")
        if result is None:
            return
        if not result.ok:
            self.show_error(result.message, "code")
            return
        services = await self.app.services()
        account = await self.app.run_core(services.accounts.get_by_id, self.account.id)
        self.app.session.update(account)
        self.dismiss()
        self.app.notify("Your email address is verified.")
