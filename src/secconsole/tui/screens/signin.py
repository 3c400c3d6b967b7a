"""Sign in: username and password. The first thing every user (and every SSH session) sees."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

from secconsole.core.views import SignInOutcome
from secconsole.errors import SecConsoleError
from secconsole.tui.styles import stylesheet
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField, focus_to_correct
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.topbar import TopBar


_KEYS = "Enter sign in · Tab next field · ^N create account · ^P commands · ^Q quit"
_KEYS_CLOSED = "Enter sign in · Tab next field · ^P commands · ^Q quit"


class SignInScreen(Screen[None]):
    CSS_PATH = [stylesheet("signin")]
    BINDINGS = [
        Binding("ctrl+n", "create_account", "Create account", id="signin.create_account"),
    ]

    def compose(self) -> ComposeResult:
        demo = self.app.config.demo
        yield TopBar("Sign in", demo=demo)
        # A fixed line instead of Footer: the first paint is what every session waits for.
        yield Static(_KEYS if self.app.config.signup_open else _KEYS_CLOSED, id="signin-keys", markup=False)
        card = self._card()
        if demo:
            with Horizontal(id="signin-body"):
                yield card
                yield DemoAccountsPanel(throwaway=self.app.config.throwaway)
        else:
            yield card

    def _card(self) -> Vertical:
        username = TextField(self.app.prefill_username, id="username", max_length=64)
        username.border_title = "Username"
        password = TextField(id="password", password=True, max_length=256)
        password.border_title = "Password"
        buttons = [ActionButton("Sign in", id="signin", primary=True)]
        if self.app.config.signup_open:  # closed: no way to sign up on this screen at all
            buttons.append(ActionButton("Create account", id="create"))
        return Vertical(
            Static("Sign in to your account", classes="card-title"),
            username,
            password,
            Horizontal(*buttons, classes="buttons"),
            id="signin-card",
            classes="card",
        )

    def on_mount(self) -> None:
        self.query_one("#password" if self.app.prefill_username else "#username").focus()

    def on_screen_resume(self) -> None:
        self.query_one("#password", Input).value = ""
        for panel in self.query(DemoAccountsPanel):
            panel.recheck()  # a password may have changed while the screen was covered

    def reset(self) -> None:
        """After sign-out: nothing of the last person stays on screen."""
        self.query_one("#username", Input).value = self.app.prefill_username
        self.query_one("#password", Input).value = ""
        for line in self.query("#signin-error").results(ErrorLine):
            line.clear()
        self.query_one("#password" if self.app.prefill_username else "#username").focus()

    @on(Input.Submitted, "#username")
    def _next_field(self) -> None:
        self.query_one("#password").focus()

    @on(Input.Submitted, "#password")
    @on(ActionButton.Pressed, "#signin")
    async def submit(self) -> None:
        username = self.query_one("#username", Input).value
        password_field = self.query_one("#password", Input)
        if not username.strip():
            self._error("Enter your username.", "#username")
            return
        if not password_field.value:
            self._error("Enter your password.", "#password")
            return
        button = self.query_one("#signin", ActionButton)
        button.disabled = True
        try:
            services = await self.app.services()
            result = await self.app.run_core(
                services.signin.sign_in, username, password_field.value, source=self.app.config.source
            )
        except SecConsoleError as exc:
            self._error(str(exc), "#password")
            return
        finally:
            button.disabled = False
        password_field.value = ""
        if not result.ok:
            self._error(result.message, "#password")
            return
        for line in self.query("#signin-error").results(ErrorLine):
            line.clear()
        if result.outcome is SignInOutcome.SECOND_STEP:
            from secconsole.tui.screens.challenge import ChallengeScreen

            def passed(account) -> None:
                if account is not None:
                    self.app.signed_in(account)

            self.app.push_screen(ChallengeScreen(result.account), passed)
            return
        self.app.signed_in(result.account)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """^N exists only while sign-up is open."""
        return self.app.config.signup_open or action != "create_account"

    @on(ActionButton.Pressed, "#create")
    def action_create_account(self) -> None:
        self.app.open_route("create-account")

    def _error(self, message: str, focus: str) -> None:
        errors = self.query("#signin-error")
        if errors:
            errors.first(ErrorLine).show(message)
        else:  # mounted on first use: one widget less to lay out before the first paint
            line = ErrorLine(id="signin-error")
            self.query_one("#signin-card").mount(line, before=".buttons")
            line.show(message)
        focus_to_correct(self.query_one(focus))


class DemoAccountsPanel(Static):
    """Demo mode only: the seeded accounts and their passwords, each checked against the database
    (in a thread, once the services are up, and again whenever the sign-in screen comes back):
    a password someone changed shows as changed, never as the stale one."""

    def __init__(self, *, throwaway: bool) -> None:
        super().__init__(id="demo-panel", classes="card")
        self.throwaway = throwaway
        # A throwaway database was seeded just now: its passwords are the seeded ones until
        # someone changes them here. Kept data is checked before any password is shown.
        self.states: dict[str, bool | None] | None = None
        self._compact_shown = False
        self._render_states()

    def on_mount(self) -> None:
        self.recheck()

    @property
    def compact(self) -> bool:
        """In a narrow window (signin.tcss) the panel drops the stories: names and passwords only."""
        return self.screen.has_class("-narrow") if self.is_attached else False

    def on_resize(self) -> None:
        if self.compact != self._compact_shown:
            self._render_states()

    def recheck(self) -> None:
        self.run_worker(self._check(), exclusive=True, group="demo-passwords", exit_on_error=False)

    async def _check(self) -> None:
        from secconsole.demo.seed import password_states

        try:
            services = await self.app.services()
            states = await self.app.run_core(password_states, services)
        except SecConsoleError:
            return
        self.states = states
        self._render_states()

    def _render_states(self) -> None:
        from secconsole.demo import DEMO_ACCOUNTS

        lines = [Content.from_markup("[b]Demo accounts[/b]"), Content("")]
        for demo in DEMO_ACCOUNTS:
            if self.states is None:
                known = True if self.throwaway else None
            else:
                known = self.states.get(demo.username)
            if known:
                shown = Content.from_markup("[b]$name[/b]  $pw", name=demo.username, pw=demo.password)
            elif known is None and self.states is None:
                shown = Content.from_markup("[b]$name[/b]  [$text-muted]checking…[/]", name=demo.username)
            elif known is None:
                shown = Content.from_markup("[b]$name[/b]  [$text-muted]not in this database[/]", name=demo.username)
            else:
                shown = Content.from_markup("[b]$name[/b]  [$warning]password changed[/]", name=demo.username)
            lines.append(shown)
            if not self.compact:
                lines.append(Content.from_markup("  [$text-muted]$story[/]", story=demo.story))
        lines.append(Content(""))
        fate = "Data is thrown away on exit." if self.throwaway else "Data is kept between sessions."
        lines.append(Content.from_markup("[$text-muted]$fate[/]", fate=fate))
        self._compact_shown = self.compact
        self.update(Content("\n").join(lines))
