"""Prompts (the phone's home): the paired accounts, whether each one is signed in and waiting for
prompts, the notifications switch, and any warning about a prompt that did not verify."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain, template


class PhoneHomeScreen(Screen):
    CSS_PATH = [stylesheet("phone")]
    BINDINGS = [
        Binding("n", "pair", "Pair", id="phone.pair"),
        Binding("s", "sign_out_or_in", "Sign out/in", id="phone.sign-out"),
        Binding("t", "notifications", "Notifications", id="phone.notifications"),
        Binding("x", "forget", "Forget", id="phone.forget"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("", id="phone-header")
        yield Static("", id="phone-warning")
        yield OptionList(id="accounts")
        yield Static("", id="phone-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        app, profile = self.app, self.app.profile
        self.query_one("#phone-header", Static).update(template(
            "[b]Prompts[/b] · $device · profile $file · notifications [b]$notes[/b]",
            device=profile.device_name, file=profile.path.name, notes="on" if profile.notifications else "off"))
        warning = self.query_one("#phone-warning", Static)
        warning.update(plain(app.warning))
        warning.display = bool(app.warning)
        accounts = self.query_one("#accounts", OptionList)
        highlighted = accounts.highlighted
        accounts.clear_options()
        for i, account in enumerate(profile.accounts):
            if not account.signed_in:
                state = "signed out (s: sign in again)"
            elif not profile.notifications:
                state = "notifications off"
            else:
                state = app.status.get(i) or "waiting for prompts"
            accounts.add_option(Option(template("[b]$name[/b]  $url\n  $state", name=account.name,
                                                url=account.url, state=state), id=f"account-{i}"))
        if profile.accounts:
            accounts.highlighted = min(highlighted or 0, len(profile.accounts) - 1)
        accounts.display = bool(profile.accounts)
        hint = ("No account paired yet. On the console open Settings › Mobile app prompt (or Manage devices › "
                "Pair another device), then press n here and paste the link or the code." if not profile.accounts else
                "Prompts appear here as they arrive. F2: Authenticator.")
        self.query_one("#phone-hint", Static).update(plain(hint))

    def _selected(self) -> int | None:
        accounts = self.query_one("#accounts", OptionList)
        return accounts.highlighted if self.app.profile.accounts else None

    def action_pair(self) -> None:
        self.app.open_pair()

    def action_sign_out_or_in(self) -> None:
        index = self._selected()
        if index is None:
            self.notify("No account to sign out of: press n to pair.", markup=False)
            return
        account = self.app.profile.accounts[index]
        if account.signed_in:
            self.app.sign_out(index)
        else:
            self.app.open_pair(again=account)

    def action_notifications(self) -> None:
        self.app.toggle_notifications()

    def action_forget(self) -> None:
        index = self._selected()
        if index is None:
            return
        account = self.app.profile.accounts[index]
        if not account.signed_in:
            self.app.forget(index)
            return
        # Signed in: s signs out on the server first; when the server is gone (unreachable), this is
        # the only way to take the account off the phone.
        from secconsole.phone.screens.authenticator import RemoveDialog

        def answered(yes: bool | None) -> None:
            at = self.app._index(account)
            if yes and at is not None:
                self.app.forget(at)

        self.app.push_screen(RemoveDialog(
            f"Forget {account.name}?",
            "Forget this account on this phone anyway? The server keeps this device paired until it is "
            "removed in Settings › Manage devices.", confirm="Forget"), answered)
