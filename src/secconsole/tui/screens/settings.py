"""Settings › Password and Security: methods on and off, backups, password, recent activity."""

from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Footer, Static, Switch

from secconsole.core.views import AccountView, Backups
from secconsole.errors import SecConsoleError
from secconsole.core.methods import registry
from secconsole.core.methods.base import WaySpec
from secconsole.core.policy import get_profile
from secconsole.tui.dialogs.confirm import ConfirmDialog
from secconsole.tui.screens.base import SectionsScreen
from secconsole.core.wording import days_ago
from secconsole.tui.text import plain, template
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.method_row import MethodRow, focus_marker
from secconsole.tui.widgets.topbar import TopBar

FALLBACK_HELP = "Used only after every other way to confirm it's you has failed."
ACTIVITY_ROWS = 8
UNVERIFIED = "Your email address is not verified yet: no code is emailed to it until it is."


class SettingsScreen(SectionsScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="settings.back"),
        Binding("p", "payments", "Payments", id="settings.payments"),
        Binding("c", "change_password", "Change password", id="settings.change_password"),
        Binding("q", "question", "Security question", id="settings.question", show=False),
        Binding("d", "manage_devices", "Manage devices", id="settings.manage_devices"),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar("Password and Security", username=self.account.username, demo=self.app.config.demo)
        with ControlList(id="settings-body"):
            yield Static("Two-step verification", classes="section")
            for spec in registry.methods():
                yield MethodRow(spec)
                if spec.kind == "push":  # several devices may be paired: listed and removed there
                    with Horizontal(classes="row-buttons", id="push-buttons"):
                        yield _slot(ActionButton("Manage devices", id="manage-devices"))
            yield Static("Backups", classes="section")
            yield _row("Security question", "question-detail")
            with Horizontal(classes="row-buttons"):
                yield _slot(ActionButton("Set question", id="question"))
                yield _slot(ActionButton("Remove question", id="remove-question"))
            yield _row("Recovery codes", "recovery-detail")
            with Horizontal(classes="row-buttons"):
                yield _slot(ActionButton("Make recovery codes", id="recovery"))
            yield _row("Email fallback", "email-detail", Switch(id="switch-email", animate=False))
            yield Static(FALLBACK_HELP, classes="setting-help", markup=False)
            with Horizontal(classes="row-buttons", id="verify-email-buttons"):
                yield ActionButton("Verify email address", id="verify-email")
            yield Static("Password", classes="section")
            yield _row("Last changed", "password-detail")
            yield Static(id="password-reminder", classes="banner")
            with Horizontal(classes="row-buttons"):
                yield _slot(ActionButton("Change password", id="change-password"))
            yield Static("Recent security activity", classes="section")
            yield Static(id="activity")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        """The first control that can take the focus (a method that cannot be turned on cannot)."""
        if self.focused is None and self.focus_chain:
            self.focus_chain[0].focus()

    # -- rendering ------------------------------------------------------------------------

    def show_account(self, account: AccountView) -> None:
        self.load_activity()
        for row in self.query(MethodRow):
            row.show(account.method(row.kind), _method_detail(account, row.spec),
                     can_turn_on=row.spec.unavailable_reason(account) is None)
        self.query_one("#push-buttons").display = account.method("push").enabled
        self.refresh_bindings()
        question = account.security_question
        counts = get_profile(self.app.config.policy).question_counts
        detail = plain(question) if question else Content.from_markup("[$text-muted]Not set[/]")
        if not counts:
            detail = detail + Content.from_markup("\n[$text-muted](not used to sign in under the nist policy)[/]")
        self.query_one("#question-detail", Static).update(detail)
        self.query_one("#question", ActionButton).update("Change question" if question else "Set question")
        self.query_one("#remove-question").display = question is not None
        left = account.recovery_codes_left
        self.query_one("#recovery-detail", Static).update(
            f"{left} of 10 left" if left else "None yet (for when your phone is away)"
        )
        self.query_one("#recovery", ActionButton).update("Make new codes" if left else "Make recovery codes")
        email = self.query_one("#switch-email", Switch)
        with email.prevent(Switch.Changed):
            email.value = account.email_fallback_enabled
        self.query_one("#email-detail", Static).update(
            UNVERIFIED if not account.email_verified
            else "On: send a code to my email as a last resort" if account.email_fallback_enabled
            else "Off: support is the last resort"
        )
        self.query_one("#verify-email-buttons").display = not account.email_verified
        self.query_one("#password-detail", Static).update(
            template("$when, $ago", when=f"{account.password_changed_at:%Y-%m-%d}", ago=days_ago(account.password_age_days))
        )
        reminder = self.query_one("#password-reminder", Static)
        reminder.display = account.password_reminder
        reminder.update(
            f"Your password is {account.password_age_days} days old: change it every 90 days."
        )

    @work(group="activity", exclusive=True)
    async def load_activity(self) -> None:
        services = await self.app.services()
        events = await self.app.run_core(services.accounts.recent_events_by_id, self.account.id, ACTIVITY_ROWS)
        lines = [
            template("$when  $what  [$text-muted]$source[/]", when=_when(e.at), what=e.description, source=e.source)
            for e in events
        ]
        self.query_one("#activity", Static).update(Content("\n").join(lines) if lines else "No activity yet.")

    # -- methods --------------------------------------------------------------------------

    @on(Switch.Changed)
    async def _switched(self, event: Switch.Changed) -> None:
        if event.switch.id == "switch-email":
            await self._set_fallback(event.value)
            return
        row = event.switch.parent
        if isinstance(row, MethodRow):
            if event.value:
                self._turn_on(row)
            else:
                self._turn_off(row)

    def _turn_on(self, row: MethodRow) -> None:
        from secconsole.tui.methods import enroll_screen

        wizard = enroll_screen(row.spec)
        reason = row.spec.unavailable_reason(self.account) or (None if wizard else "It cannot be turned on here.")
        self._restore_row(row)
        if reason:
            self.notify(reason, title=row.spec.label, severity="warning", markup=False)
            return
        self.app.push_wizard(wizard(self.account))

    @work(group="confirm", exclusive=True)
    async def _turn_off(self, row: MethodRow) -> None:
        spec = row.spec
        first = await self.app.push_screen_wait(
            ConfirmDialog(
                f"Turn off {spec.label}?",
                f"Delete {spec.label} from your account? You can set it up again later.",
                confirm="Delete",
            )
        )
        if not first:
            return self._restore(row)
        second = await self.app.push_screen_wait(
            ConfirmDialog(
                "Are you sure?",
                f"{spec.label} and its secret will be deleted now. {self.backups().turning_off(spec.kind)}",
                confirm="Yes, delete and disable",
            )
        )
        if not second:
            return self._restore(row)
        try:
            services = await self.app.services()
            await self.app.run_core(services.enrollments.disable, self.account.id, spec.kind,
                                    source=self.app.config.source)
        except SecConsoleError as exc:
            self.notify(str(exc), severity="error", markup=False)
        else:
            self.notify(f"{spec.label} was deleted and turned off.", markup=False)
        await self.reread()

    def backups(self, account: AccountView | None = None) -> Backups:
        """What the account has to fall back on, as the core counts it (the warnings' wording)."""
        counts = get_profile(self.app.config.policy).question_counts
        return Backups.of(account or self.account, question_counts=counts)

    def _restore_row(self, row: MethodRow) -> None:
        row.show(self.account.method(row.kind), _method_detail(self.account, row.spec),
                 can_turn_on=row.spec.unavailable_reason(self.account) is None)

    def _restore(self, row: MethodRow) -> None:
        self._restore_row(row)
        self.notify("Nothing was changed.")

    async def _set_fallback(self, enabled: bool) -> None:
        try:
            services = await self.app.services()
            account = await self.app.run_core(
                services.accounts.set_email_fallback, self.account.id, enabled, source=self.app.config.source
            )
        except SecConsoleError as exc:
            self.notify(str(exc), severity="error", markup=False)
            await self.reread()
            return
        self.app.session.update(account)  # newer than any read still on its way
        self.notify("Email fallback is on." if enabled else self.backups(account).fallback_off(), markup=False)

    # -- backups and password -------------------------------------------------------------

    @on(ActionButton.Pressed, "#question")
    def action_question(self) -> None:
        from secconsole.tui.screens.security_question import SecurityQuestionScreen

        self.app.push_screen(SecurityQuestionScreen(self.account))

    @on(ActionButton.Pressed, "#remove-question")
    @work(group="confirm", exclusive=True)
    async def _remove_question(self) -> None:
        sure = await self.app.push_screen_wait(
            ConfirmDialog(
                "Remove your security question?",
                self.backups().removing_question(),
                confirm="Remove",
            )
        )
        if not sure:
            return
        try:
            services = await self.app.services()
            await self.app.run_core(services.way("question").remove, self.account.id, source=self.app.config.source)
        except SecConsoleError as exc:
            self.notify(str(exc), severity="error", markup=False)
        else:
            self.notify("Your security question was removed.")
        await self.reread()

    @on(ActionButton.Pressed, "#recovery")
    @work(group="confirm", exclusive=True)
    async def _recovery(self) -> None:
        if self.account.recovery_codes_left:
            sure = await self.app.push_screen_wait(ConfirmDialog(
                "Make new recovery codes?", self.backups().replacing_codes(),
                confirm="Make new codes",
            ))
            if not sure:
                return
        await self._make_codes()

    async def _make_codes(self) -> None:
        from secconsole.tui.recovery_offer import make_codes

        await make_codes(self.app, self.account)
        await self.reread()

    @on(ActionButton.Pressed, "#verify-email")
    def _verify_email(self) -> None:
        from secconsole.tui.screens.verify_email import VerifyEmailScreen

        self.app.push_screen(VerifyEmailScreen(self.account))

    @on(ActionButton.Pressed, "#change-password")
    def action_change_password(self) -> None:
        from secconsole.tui.screens.change_password import ChangePasswordScreen

        self.app.push_screen(ChangePasswordScreen(self.account))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "manage_devices":  # only while mobile app prompts are on
            return self.account is not None and self.account.method("push").enabled
        return True

    @on(ActionButton.Pressed, "#manage-devices")
    def action_manage_devices(self) -> None:
        from secconsole.tui.methods.push import EnrollPushScreen

        if self.account.method("push").enabled:
            self.app.push_wizard(EnrollPushScreen(self.account))

    def action_payments(self) -> None:
        self.app.open_route("payments")


def _method_detail(account: AccountView, spec: WaySpec) -> str:
    state = account.method(spec.kind)
    if state.enabled:
        since = f"On since {state.enabled_at:%Y-%m-%d}" if state.enabled_at else "On"
        extra = state.detail.get("summary")
        return f"{since} · {extra}" if extra else since
    reason = spec.unavailable_reason(account)
    return f"Off · {reason}" if reason else "Off"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


class ControlList(VerticalScroll, can_focus=False):
    """The page's body. Up and down move the focus between its controls in order (each scrolled
    into view) instead of scrolling; past the last one down shows the rest of the page, before the
    first one up shows its top. Page keys and the mouse still scroll."""

    BINDINGS = [
        Binding("down", "step(1)", "Next", show=False, id="settings.next_control"),
        Binding("up", "step(-1)", "Previous", show=False, id="settings.previous_control"),
    ]

    def action_step(self, delta: int) -> None:
        controls = [w for w in self.screen.focus_chain if self in w.ancestors]
        if not controls:
            return
        focused = self.screen.focused
        index = controls.index(focused) + delta if focused in controls else 0
        if index < 0:
            self.scroll_home(animate=False)
        elif index >= len(controls):
            self.scroll_end(animate=False)
        else:
            # Now, not after the refresh as focus() does: keys arriving in a burst (a held arrow
            # key) each step on from the one before.
            self.screen.set_focus(controls[index])


def _slot(button: ActionButton) -> Horizontal:
    """A button with the focus marker before it."""
    return Horizontal(focus_marker(), button, classes="button-slot")


def _row(name: str, detail_id: str, control: Widget | None = None) -> Horizontal:
    """One setting: the focus marker, its control (or the space for one), its name and its detail."""
    return Horizontal(
        focus_marker(),
        control or Static(classes="setting-control"),
        Static(name, classes="setting-name", markup=False),
        Static(id=detail_id, classes="setting-detail"),
        classes="setting-row",
    )
