"""Confirm it's you with a second step: after the password at sign-in, and before Settings or
Payments (step-up). Starts on the preferred way; "Try another way" lists the others; the last
resort appears only when everything else is used up; then Contact support.

The screen holds the ``Challenge`` and composes the panel of the current way
(``tui.methods.panel_class``). Dismisses with the fresh AccountView, or None when cancelled or
sent to support."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from secconsole.core.challenge import Challenge
from secconsole.core.methods.base import Role, Start, WaySpec
from secconsole.core.policy import get_profile
from secconsole.core.views import AccountView
from secconsole.errors import SecConsoleError
from secconsole.tui.methods import panel_class
from secconsole.tui.methods.panel import WayPanel
from secconsole.tui.screens.form import FormScreen
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.topbar import TopBar

SIGN_IN = "sign-in"
STEP_UP = "step-up"


class ChallengeScreen(FormScreen):
    DEFAULT_CSS = """
    ChallengeScreen #panel-slot { height: auto; }
    """
    FIELDS = ("code",)
    BINDINGS = [
        Binding("escape", "back", "Cancel", id="challenge.cancel"),
        Binding("ctrl+o", "other_way", "Try another way", id="challenge.other_way"),
    ]

    def __init__(self, account: AccountView, *, purpose: str = SIGN_IN, reason: str = "",
                 start_way: str | None = None) -> None:
        super().__init__()
        self.account = account
        self.purpose = purpose
        self.reason = reason
        #: Demo deep links (``--open challenge-KIND``): the way to start on instead of the first.
        self.start_way = start_way
        self.challenge: Challenge | None = None
        self.way: WaySpec | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("Confirm it's you", username=self.account.username, demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card wide", id="challenge-card"):
                yield Static("Two-step verification", classes="card-title")
                yield Vertical(id="panel-slot")
                yield ErrorLine(id="challenge-error")
                if self.app.config.demo:
                    from secconsole.tui.demo.hint import DemoHint

                    yield DemoHint(self.account.id)
                with Horizontal(classes="buttons"):
                    yield ActionButton("Verify", id="submit", primary=True)
                    yield ActionButton("Try another way", id="other-way")
                    yield ActionButton("I can't use this", id="give-up")
                    yield ActionButton("Send a new code", id="resend")
        yield Footer()

    async def on_mount(self) -> None:
        self.challenge = Challenge.for_account(self.account, question_allowed=get_profile(self.app.config.policy).question_counts)
        await self._go(self._starting_way())

    def _starting_way(self) -> WaySpec | None:
        """The first way, or the one a deep link asks for: the last resort comes after giving up
        every other way, as a person would; a way the account does not have is said, not shown."""
        kind = self.start_way
        if not kind:
            return self.challenge.first()
        if kind == "support":  # "I can't use this" on every way, as a person would: Contact support
            while self.challenge.first() is not None:
                self.challenge.give_up(self.challenge.first().kind)
            return None
        if kind not in {s.kind for s in self.challenge.offered}:
            self.app.notify(f"{self.account.username} cannot use that way: starting on the first one.",
                            title="Not on this account", severity="warning", markup=False)
            return self.challenge.first()
        if self.challenge.spec(kind).role is Role.LAST_RESORT:
            for way in self.challenge.ways():
                if way.role in (Role.METHOD, Role.BACKUP):
                    self.challenge.give_up(way.kind)
        return self.challenge.spec(kind) if self.challenge.spec(kind) in self.challenge.ways() else self.challenge.first()

    @property
    def panel(self) -> WayPanel:
        return self.query_one(WayPanel)

    # -- moving between ways --------------------------------------------------------------

    async def _go(self, way: WaySpec | None) -> None:
        if way is None:
            await self._to_support()
            return
        self.way = way
        self.query_one(ErrorLine).clear()
        slot = self.query_one("#panel-slot")
        await slot.remove_children()
        panel = panel_class(way)(way, self.account, reason=self.reason)
        self.FIELDS = (panel.field_id,) if panel.field_id else ()
        self.query_one("#resend").display = way.capabilities.start is Start.SEND_CODE and not panel.sends_itself
        self.query_one("#submit").display = not panel.answers_itself
        give_up = self.query_one("#give-up", ActionButton)
        give_up.display = bool(way.give_up_label)
        give_up.update(way.give_up_label)
        self.query_one("#other-way").display = self._other_ways_exist()
        self.refresh_bindings()
        await slot.mount(panel)
        for hint in self.query("DemoHint"):
            hint.show(way.kind)

    def _other_ways_exist(self) -> bool:
        return self.challenge is not None and any(w is not self.way for w in self.challenge.ways())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """^O is on offer (footer, key) only while another way is."""
        if action == "other_way":
            return self._other_ways_exist()
        return True

    def action_other_way(self) -> None:
        from secconsole.tui.dialogs.ways import WaysDialog

        ways = [w for w in self.challenge.ways() if w is not self.way]
        if not ways:
            self.notify("There is no other way left.")
            return

        async def picked(kind: str | None) -> None:
            if kind is not None:
                await self._go(self.challenge.spec(kind))

        self.app.push_screen(WaysDialog(ways, self.account), picked)

    @on(ActionButton.Pressed, "#other-way")
    def _other_way_pressed(self) -> None:
        self.action_other_way()

    @on(ActionButton.Pressed, "#give-up")
    async def _give_up(self) -> None:
        self.challenge.give_up(self.way.kind)
        await self._go(self.challenge.first())

    @on(ActionButton.Pressed, "#resend")
    async def _resend(self) -> None:
        await self.panel.start()

    async def _to_support(self) -> None:
        from secconsole.tui.screens.support import ContactSupportScreen

        services = await self.app.services()
        ref = await self.app.run_core(services.signin.note_out_of_ways, self.account.id, source=self.app.config.source)
        self.dismiss(None)
        self.app.push_screen(ContactSupportScreen(self.account.username, ref))

    # -- checking -------------------------------------------------------------------------

    async def submit(self) -> None:
        await self.panel.submit()

    @on(WayPanel.Refused)
    async def _refused(self, event: WayPanel.Refused) -> None:
        if event.result is not None and self.challenge.record(event.kind, event.result):
            await self._used_up(event.kind)
            return
        self.show_error(event.message, self.panel.error_focus)

    async def _used_up(self, kind: str) -> None:
        nxt = self.challenge.first()
        if nxt is None:
            await self._to_support()
            return
        await self._go(nxt)
        self.show_error(
            f"That was the last try with {self.challenge.spec(kind).name} for this sign-in. Try this way instead.",
            self.panel.error_focus,
        )

    @on(WayPanel.Passed)
    async def _passed(self, event: WayPanel.Passed) -> None:
        try:
            services = await self.app.services()
            if self.purpose == SIGN_IN:
                account = await self.app.run_core(
                    services.signin.complete_sign_in, self.account.id, event.kind, source=self.app.config.source
                )
            else:
                await self.app.run_core(
                    services.signin.note_step_up, self.account.id, event.kind, source=self.app.config.source
                )
                account = await self.app.run_core(services.accounts.get_by_id, self.account.id)
        except SecConsoleError as exc:
            self.show_error(str(exc), self.panel.error_focus)
            return
        note = event.result.note
        if note:
            title = "Recovery codes" if event.kind == "recovery" else "Clock adjusted"
            self.app.notify(note, title=title, timeout=12, markup=False)
        self.dismiss(account)

    def _cancel(self) -> None:
        self.dismiss(None)
