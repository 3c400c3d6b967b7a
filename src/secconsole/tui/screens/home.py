"""The account home: who is signed in, the state of their protection, and where to go next."""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from secconsole.core.methods import registry
from secconsole.core.views import AccountView
from secconsole.core.wording import days_ago
from secconsole.tui.screens.base import AccountScreen
from secconsole.tui.text import template
from secconsole.tui.styles import stylesheet
from secconsole.tui.widgets.topbar import TopBar


class HomeScreen(AccountScreen):
    CSS_PATH = [stylesheet("home")]
    BINDINGS = [
        Binding("s", "settings", "Settings", id="home.settings"),
        Binding("p", "payments", "Payments", id="home.payments"),
        Binding("c", "change_password", "Change password", id="home.change_password"),
        Binding("o", "sign_out", "Sign out", id="home.sign_out"),
        Binding("v", "verify_email", "Verify email", id="home.verify_email", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield TopBar("Account", username=self.account.username, demo=self.app.config.demo)
        with Vertical(id="home-body"):
            yield Static(id="home-greeting")
            yield Static(id="home-reminder", classes="banner")
            yield Static(id="home-summary", classes="card")
            yield OptionList(*_menu(self.account), id="home-menu")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#home-menu").focus()

    def show_account(self, account: AccountView) -> None:
        a = account
        self.query_one("#home-greeting", Static).update(
            template("Signed in as [b]$name[/b] ($email)", name=a.username, email=a.email)
        )
        reminder = self.query_one("#home-reminder", Static)
        reminder.display = a.password_reminder
        if a.password_reminder:
            reminder.update(
                template(
                    "Your password is $days days old. Change it every 90 days: press [b]c[/b].",
                    days=a.password_age_days,
                )
            )
        on = [registry.get(kind).label for kind in a.second_steps]
        rows = [
            ("Two-step verification", ", ".join(on) if on else "Off: turn a method on in Settings"),
            ("Identity", "Verified" if a.identity_verified else "Not verified"),
            ("Billing methods", ", ".join(f"{b.brand} ending in {b.last4}" for b in a.billing_methods) or "None"),
            ("Password changed", f"{_when(a.password_changed_at)} ({days_ago(a.password_age_days)})"),
            ("Email fallback", "On" if a.email_fallback_enabled else "Off"),
            ("Email address", "Verified" if a.email_verified else "Not verified: press v to verify it"),
        ]
        lines = [template("[$text-muted]$label[/]  $value", label=f"{k:<22}", value=v) for k, v in rows]
        self.query_one("#home-summary", Static).update(Content("\n").join(lines))
        menu = self.query_one("#home-menu", OptionList)
        options = _menu(a)
        if [o.id for o in menu.options] != [o.id for o in options]:  # the address was verified meanwhile
            menu.clear_options()
            menu.add_options(options)
            menu.highlighted = 0
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """v (verify the email address) only while it is unverified."""
        return action != "verify_email" or not self.account.email_verified

    @on(OptionList.OptionSelected, "#home-menu")
    async def _chosen(self, event: OptionList.OptionSelected) -> None:
        await self.run_action(event.option.id)

    def action_settings(self) -> None:
        self.app.open_route("settings")

    def action_payments(self) -> None:
        self.app.open_route("payments")

    def action_change_password(self) -> None:
        from secconsole.tui.screens.change_password import ChangePasswordScreen

        self.app.push_screen(ChangePasswordScreen(self.account))

    def action_verify_email(self) -> None:
        from secconsole.tui.screens.verify_email import VerifyEmailScreen

        self.app.push_screen(VerifyEmailScreen(self.account))

    async def action_sign_out(self) -> None:
        await self.app.sign_out()


def _menu(account: AccountView) -> list[Option]:
    verify = [] if account.email_verified else [Option("Verify email address", id="verify_email")]
    return [
        *verify,
        Option("Settings › Password and Security", id="settings"),
        Option("Payments", id="payments"),
        Option("Change password", id="change_password"),
        Option("Sign out", id="sign_out"),
    ]


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
