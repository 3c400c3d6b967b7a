"""Confirm it's you with a second step: after the password at sign-in, and before Settings or
Payments (step-up). Starts on the preferred way; "Try another way" lists the others; the email
code appears only when everything else is used up; then Contact support.

Dismisses with the fresh AccountView, or None when cancelled or sent to support."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Footer, Input, Static

from secconsole.core.accounts import AccountView
from secconsole.core.challenge import Challenge, Way
from secconsole.errors import SecConsoleError, ValidationError
from secconsole.core.methods import MethodKind
from secconsole.core.policy import get_profile
from secconsole.tui.screens.form import FormScreen
from secconsole.tui.text import plain
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.topbar import TopBar

SIGN_IN = "sign-in"
STEP_UP = "step-up"
#: The input each way reads (the rest read the digits-only #code).
_FIELD = {Way.QUESTION: "answer", Way.RECOVERY: "recovery"}


class ChallengeScreen(FormScreen):
    FIELDS = ("code",)
    BINDINGS = [
        Binding("escape", "back", "Cancel", id="challenge.cancel"),
        Binding("ctrl+o", "other_way", "Try another way", id="challenge.other_way"),
    ]

    def __init__(self, account: AccountView, *, purpose: str = SIGN_IN, reason: str = "") -> None:
        super().__init__()
        self.account = account
        self.purpose = purpose
        self.reason = reason
        self.challenge: Challenge | None = None
        self.way: Way | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("Confirm it's you", username=self.account.username, demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card wide", id="challenge-card"):
                yield Static("Two-step verification", classes="card-title")
                yield Static(id="challenge-lead", classes="form-note")
                with ContentSwitcher(initial="panel-code", id="panels"):
                    with Vertical(id="panel-code"):
                        yield TextField(id="code", max_length=12, compact=True, restrict=r"[0-9 \-]*")
                    with Vertical(id="panel-question"):
                        yield Static(id="question-text")
                        yield TextField(id="answer", max_length=200, compact=True)
                    with Vertical(id="panel-recovery"):
                        yield TextField(id="recovery", max_length=16, compact=True, restrict=r"[A-Za-z0-9 \-]*")
                yield ErrorLine(id="challenge-error")
                if self.app.config.demo:
                    yield Static(id="demo-code", classes="demo-hint")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Verify", id="submit", primary=True)
                    yield ActionButton("Try another way", id="other-way")
                    yield ActionButton("I can't use this", id="give-up")
                    yield ActionButton("Send a new code", id="resend")
        yield Footer()

    async def on_mount(self) -> None:
        profile = get_profile(self.app.config.policy)
        self.challenge = Challenge.for_account(self.account, question_allowed=profile.question_counts)
        await self._go(self.challenge.first())
        if self.app.config.demo:
            self.set_interval(1.0, self._demo_hint)

    # -- moving between ways --------------------------------------------------------------

    async def _go(self, way: Way | None) -> None:
        if way is None:
            await self._to_support()
            return
        self.way = way
        self.query_one(ErrorLine).clear()
        question = way is Way.QUESTION
        field = _FIELD.get(way, "code")
        self.FIELDS = (field,)
        self.query_one("#panels", ContentSwitcher).current = f"panel-{field if field != 'answer' else 'question'}"
        for name in ("code", "answer", "recovery"):
            self.query_one(f"#{name}", Input).value = ""
        self.query_one("#resend").display = way is Way.EMAIL
        self.query_one("#give-up").display = way.secure
        self.query_one("#other-way").display = len(self.challenge.ways()) > 1
        lead = f"{self.reason} asks for a fresh check. " if self.reason else ""
        if way is Way.TOTP:
            digits = self.account.method(MethodKind.TOTP).detail.get("digits", 6)
            lead += (f"Enter the {digits}-digit code from your authenticator app for "
                     f"{self.app.config.issuer} ({self.account.username}).")
        elif question:
            lead += "Answer your security question. Case and spacing do not matter."
            services = await self.app.services()
            text = await self.app.run_core(services.questions.question_of, self.account.id)
            self.query_one("#question-text", Static).update(plain(text or ""))
        elif way is Way.RECOVERY:
            lead += "Enter one of the recovery codes you saved (like abcde-23456). Each works once."
        else:
            lead += "Every other way was used up, so we can email you a code as a last resort."
        self.query_one("#challenge-lead", Static).update(plain(lead))
        self.query_one(f"#{field}").focus()
        self._demo_hint()
        if way is Way.EMAIL:
            await self._send_email()

    @on(ActionButton.Pressed, "#other-way")
    def action_other_way(self) -> None:
        from secconsole.tui.dialogs.ways import WaysDialog

        ways = [w for w in self.challenge.ways() if w is not self.way]
        if not ways:
            self.notify("There is no other way left.")
            return

        async def picked(way: Way | None) -> None:
            if way is not None:
                await self._go(way)

        self.app.push_screen(WaysDialog(ways), picked)

    @on(ActionButton.Pressed, "#give-up")
    async def _give_up(self) -> None:
        self.challenge.give_up(self.way)
        await self._go(self.challenge.first())

    @on(ActionButton.Pressed, "#resend")
    async def _resend(self) -> None:
        await self._send_email()

    async def _send_email(self) -> None:
        try:
            services = await self.app.services()
            where = await self.app.run_core(services.email.send_code, self.account.id, source=self.app.config.source)
        except SecConsoleError as exc:
            self.show_error(str(exc), "code")
            return
        minutes = get_profile(self.app.config.policy).email_code_minutes
        valid = f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"
        self.query_one("#challenge-lead", Static).update(
            plain(f"We emailed a 6-digit code to {where}. It works once, for {valid}.")
        )

    async def _to_support(self) -> None:
        from secconsole.tui.screens.support import ContactSupportScreen

        services = await self.app.services()
        ref = await self.app.run_core(services.accounts.note_out_of_ways, self.account.id, source=self.app.config.source)
        self.dismiss(None)
        self.app.push_screen(ContactSupportScreen(self.account.username, ref))

    # -- checking -------------------------------------------------------------------------

    async def submit(self) -> None:
        way = self.way
        field = _FIELD.get(way, "code")
        entered = self.query_one(f"#{field}", Input).value
        try:
            services = await self.app.services()
            check = {Way.TOTP: services.totp.verify, Way.QUESTION: services.questions.verify,
                     Way.EMAIL: services.email.verify, Way.RECOVERY: services.recovery.verify}[way]
            result = await self.app.run_core(check, self.account.id, entered, source=self.app.config.source)
        except ValidationError as exc:
            self.show_error(str(exc), field)
            return
        except SecConsoleError as exc:
            self.show_error(str(exc), field)
            return
        if not result.ok:
            self.query_one(f"#{field}", Input).value = ""
            if result.locked:
                self.challenge.give_up(way)  # a lock uses the way up at once
            elif result.checked:  # a back-off refusal is not a wrong answer
                self.challenge.failed(way)
            if way in self.challenge.exhausted:
                await self._used_up(way)
            else:
                self.show_error(result.message, field)
            return
        await self._passed(services, way, result.note)

    async def _used_up(self, way: Way) -> None:
        nxt = self.challenge.first()
        if nxt is None:
            await self._to_support()
            return
        await self._go(nxt)
        names = {Way.TOTP: "the authenticator app", Way.QUESTION: "the security question",
                 Way.EMAIL: "the email code", Way.RECOVERY: "recovery codes"}
        self.show_error(
            f"That was the last try with {names.get(way, way.value)} for this sign-in. Try this way instead.",
            _FIELD.get(nxt, "code"),
        )

    async def _passed(self, services, way: Way, note: str) -> None:
        try:
            if self.purpose == SIGN_IN:
                account = await self.app.run_core(
                    services.accounts.complete_sign_in, self.account.id, way.value, source=self.app.config.source
                )
            else:
                await self.app.run_core(
                    services.accounts.note_step_up, self.account.id, way.value, source=self.app.config.source
                )
                account = await self.app.run_core(services.accounts.get_by_id, self.account.id)
        except SecConsoleError as exc:
            self.show_error(str(exc), "code")
            return
        if note:
            title = "Recovery codes" if way is Way.RECOVERY else "Clock adjusted"
            self.app.notify(note, title=title, timeout=12, markup=False)
        self.dismiss(account)

    def _cancel(self) -> None:
        self.dismiss(None)

    # -- demo -----------------------------------------------------------------------------

    def _demo_hint(self) -> None:
        """Demo mode only: what the seeded accounts' phones would show, or where the email went."""
        if not self.app.config.demo or not self.query("#demo-code"):
            return
        hint = self.query_one("#demo-code", Static)
        services = self.app.loaded_services
        from secconsole.demo import current_code, latest_outbox_line

        if services is None or self.way is not Way.TOTP:
            line = latest_outbox_line(services, self.account.id) if services and self.way is Way.EMAIL else ""
            hint.update(f"DEMO · outbox: {line}" if line else "")
            hint.display = bool(line)
            return

        try:
            code, left = current_code(services, self.account.id)
        except SecConsoleError:
            return
        hint.display = True
        hint.update(f"DEMO · the app would show {code[:3]} {code[3:]} · {left} s left")
