"""Sign in: username and password. The first thing every user (and every SSH session) sees."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from secconsole.core.errors import SecConsoleError
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.topbar import TopBar


class SignInScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+n", "create_account", "Create account", id="signin.create_account"),
    ]

    def compose(self) -> ComposeResult:
        demo = self.app.config.demo
        yield TopBar("Sign in", demo=demo)
        with Horizontal(id="signin-body"):
            with Vertical(id="signin-card", classes="card"):
                yield Static("Sign in to your account", classes="card-title")
                yield Label("Username")
                yield TextField(self.app.prefill_username, id="username", max_length=64)
                yield Label("Password")
                yield TextField(id="password", password=True, max_length=256)
                yield ErrorLine(id="signin-error")
                with Horizontal(classes="buttons"):
                    yield Button("Sign in", id="signin", variant="primary")
                    yield Button("Create account", id="create")
            if demo:
                yield DemoAccountsPanel()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#password" if self.app.prefill_username else "#username").focus()

    def on_screen_resume(self) -> None:
        self.query_one("#password", Input).value = ""

    @on(Input.Submitted, "#username")
    def _next_field(self) -> None:
        self.query_one("#password").focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#signin")
    async def submit(self) -> None:
        username = self.query_one("#username", Input).value
        password_field = self.query_one("#password", Input)
        if not username.strip():
            self._error("Enter your username.", "#username")
            return
        if not password_field.value:
            self._error("Enter your password.", "#password")
            return
        button = self.query_one("#signin", Button)
        button.disabled = True
        try:
            services = await self.app.services()
            result = await self.app.run_core(
                services.accounts.sign_in, username, password_field.value, source=self.app.config.source
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
        self.query_one("#signin-error", ErrorLine).clear()
        self.app.signed_in(result.account)

    @on(Button.Pressed, "#create")
    def action_create_account(self) -> None:
        from secconsole.tui.screens.create_account import CreateAccountScreen

        self.app.push_screen(CreateAccountScreen())

    def _error(self, message: str, focus: str) -> None:
        self.query_one("#signin-error", ErrorLine).show(message)
        self.query_one(focus).focus()


class DemoAccountsPanel(Static):
    """Demo mode only: the seeded accounts and their passwords."""

    def __init__(self) -> None:
        from secconsole.demo import DEMO_ACCOUNTS

        lines = [Content.from_markup("[b]Demo accounts[/b]"), Content("")]
        for demo in DEMO_ACCOUNTS:
            lines.append(Content.from_markup("[b]$name[/b]  $pw", name=demo.username, pw=demo.password))
            lines.append(Content.from_markup("  [$text-muted]$story[/]", story=demo.story))
        lines.append(Content(""))
        lines.append(Content.from_markup("[$text-muted]Data is thrown away on exit.[/]"))
        super().__init__(Content("\n").join(lines), id="demo-panel", classes="card")
