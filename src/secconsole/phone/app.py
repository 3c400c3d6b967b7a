"""`secconsole phone`: the Textual app that plays the user's phone or tablet.

Two modes, switched from the keyboard: Prompts (F1 or p) and Authenticator (F2 or a). Each signed-in
account is long-polled for prompts by a worker of its own (``GET /v1/prompts?wait=25``; while a
prompt is pending, every second with ``wait=0``, so a prompt answered on another device or expired
disappears); a prompt that verifies is shown as a card, one at a time."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from secconsole.core.clock import Clock, SystemClock
from secconsole.phone.client import POLL_WAIT, PhoneError, Prompt, PushClient
from secconsole.phone.profile import Account, Profile
from secconsole.phone.screens.home import PhoneHomeScreen
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain

#: While a prompt is pending the server answers at once: ask again this often (seconds).
PENDING_POLL = 1.0
#: After a failed poll (server down, clock off), wait this long before the next one.
RETRY = 5.0


class AuthenticatorComing(Screen):
    """Shown for Authenticator while `phone/screens/authenticator.py` is not installed, or when the
    profile's authenticator entries cannot be read (then they are left as they are)."""

    CSS_PATH = [stylesheet("phone")]

    def __init__(self, message: str = "Authenticator: coming in this release.") -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(plain(self.message), id="coming")
        yield Footer()


def authenticator_screen(app: PhoneApp) -> Screen:
    """The Authenticator mode's screen, on the profile's ``authenticator`` dict.

    The hook for `phone/authenticator.py` and `phone/screens/authenticator.py` (another branch):
    until both exist, a stand-in says it is coming. Only their absence is caught: an error inside
    them is raised as it is."""
    try:
        from secconsole.phone.authenticator import Authenticator
        from secconsole.phone.screens.authenticator import AuthenticatorScreen
    except ModuleNotFoundError as exc:
        if exc.name not in ("secconsole.phone.authenticator", "secconsole.phone.screens.authenticator"):
            raise
        return AuthenticatorComing()
    from secconsole.phone.authenticator import AuthenticatorError

    profile = app.profile
    try:
        authenticator = Authenticator.from_dict(profile.authenticator)
    except AuthenticatorError as exc:  # nothing is saved from here, so the entries stay as they are
        return AuthenticatorComing(f"The profile's authenticator entries cannot be read: {exc} "
                                   "They were left as they are.")

    def save() -> None:
        profile.authenticator = authenticator.to_dict()
        profile.save()

    return AuthenticatorScreen(authenticator, save, app.clock)


class PhoneApp(App):
    TITLE = "secconsole phone"
    CSS_PATH = [stylesheet("phone")]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f1,p", "switch_mode('prompts')", "Prompts", id="phone.prompts"),
        Binding("f2,a", "switch_mode('authenticator')", "Authenticator", id="phone.authenticator"),
        Binding("q", "quit", "Quit", id="phone.quit"),
    ]

    def __init__(self, profile: Profile, *, clock: Clock | None = None, poll: bool = True,
                 cursor_blink: bool = True) -> None:
        super().__init__()
        self.profile = profile
        self.clock = clock or SystemClock()
        self.client = PushClient(self.clock)
        self.polling = poll
        self.cursor_blink_enabled = cursor_blink
        self.warning = ""
        self.status: dict[int, str] = {}
        #: Prompts shown or waiting to be shown, by (account index, prompt id).
        self.inbox: dict[tuple[str, str], Prompt] = {}
        self.answered: set[tuple[str, str]] = set()
        self.add_mode("prompts", PhoneHomeScreen)
        self.add_mode("authenticator", lambda: authenticator_screen(self))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "switch_mode" and parameters and parameters[0] == self.current_mode:
            return False  # the key for the mode on screen is hidden: the footer has 80 columns
        return True

    async def action_switch_mode(self, mode: str) -> None:
        await super().action_switch_mode(mode)
        self.refresh_bindings()

    def on_mount(self) -> None:
        self.switch_mode("prompts")
        self.start_polling()

    async def on_unmount(self) -> None:
        await self.client.close()

    # -- polling -------------------------------------------------------------------------------

    def start_polling(self) -> None:
        """(Re)start one poller per signed-in account; none with notifications off."""
        self.workers.cancel_group(self, "poll")
        if not self.polling or not self.profile.notifications:
            return
        for account in self.profile.accounts:
            if account.signed_in:
                self.run_worker(self._poll(account), group="poll", exit_on_error=False)

    async def _poll(self, account: Account) -> None:
        while account.signed_in:
            pending = any(p.paired is account for p in self.inbox.values())
            try:
                prompts, bad = await self.client.prompts(account, 0 if pending else POLL_WAIT)
            except PhoneError as exc:
                if exc.code == "device_removed":
                    account.sign_out()
                    self.profile.save()
                    self.notify(f"{account.name}: {exc}", severity="warning", markup=False, timeout=10)
                    self._drop_account_prompts(account)
                    self._refresh_home()
                    return
                self._set_status(account, str(exc))
                await asyncio.sleep(RETRY)
                continue
            except Exception as exc:  # a fault of ours: say so and keep this account's prompts coming
                self._set_status(account, f"Checking for prompts failed ({type(exc).__name__}); trying again.")
                await asyncio.sleep(RETRY)
                continue
            self._set_status(account, "")
            if bad:
                self.warning = (f"Warning: {bad} prompt(s) for {account.name} did not carry the server's signature "
                                "and were not shown. Someone may be between this phone and the server.")
                self._refresh_home()
            self._take(account, prompts)
            if prompts or pending:
                await asyncio.sleep(PENDING_POLL)

    def _set_status(self, account: Account, text: str) -> None:
        index = self._index(account)
        if index is not None and self.status.get(index, "") != text:
            self.status[index] = text
            self._refresh_home()

    def _index(self, account: Account) -> int | None:
        return next((i for i, a in enumerate(self.profile.accounts) if a is account), None)

    def _take(self, account: Account, prompts: list[Prompt]) -> None:
        """New prompts join the inbox; this account's prompts the server no longer lists are gone."""
        current = {(account.device_id, p.id): p for p in prompts}
        for key, prompt in list(self.inbox.items()):
            if prompt.paired is account and key not in current:
                self.prompt_gone(prompt, f"The prompt for {prompt.account} was answered on another device "
                                         "or expired.")
        for key, prompt in current.items():
            if key not in self.inbox and key not in self.answered:
                self.inbox[key] = prompt
        self.show_next()

    def _drop_account_prompts(self, account: Account) -> None:
        for prompt in [p for p in self.inbox.values() if p.paired is account]:
            self.prompt_gone(prompt, "")

    # -- prompts on screen ---------------------------------------------------------------------

    def show_next(self) -> None:
        from secconsole.phone.screens.prompt import PromptScreen

        if isinstance(self.screen, PromptScreen) or not self.inbox:
            return
        self.push_screen(PromptScreen(next(iter(self.inbox.values()))))

    def prompt_gone(self, prompt: Prompt, message: str, *, answered: bool = False, code: str = "") -> None:
        """Take ``prompt`` off the phone (answered here or elsewhere, expired, its account signed
        out) and say why. Its inbox key is found by the prompt itself: signing out empties the
        account's device id, which the key was made of. The card showing it goes in every case."""
        from secconsole.phone.screens.prompt import PromptScreen

        key = next((k for k, p in self.inbox.items() if p is prompt), None)
        screen = self.screen
        showing = isinstance(screen, PromptScreen) and screen.prompt is prompt
        if key is None and not answered and not showing:
            return
        if key is not None:
            del self.inbox[key]
        self.answered.add(key or (prompt.paired.device_id, prompt.id))
        if showing:
            screen.dismiss(code or ("answered" if answered else "gone"))
        if message:
            self.notify(message, markup=False, severity="information" if answered else "warning")
        self.call_later(self.show_next)

    # -- the actions the screens ask for -------------------------------------------------------

    async def pair(self, url: str, code: str, name: str) -> Account:
        account = await self.client.pair(url, code, name)
        if not self.profile.notifications:
            await self.client.set_notifications(account, False)
        self.profile.keep(account)
        self.profile.last_url, self.profile.device_name = url, name
        self.profile.save()
        return account

    def open_pair(self, again: Account | None = None) -> None:
        from secconsole.phone.screens.pair import PairScreen

        url = again.url if again else self.profile.last_url
        screen = PairScreen(url, self.profile.device_name, again=again.name if again else "")

        def done(account: Account | None) -> None:
            if account is not None:
                self.notify(f"Paired with {account.name}: prompts for it arrive here.", markup=False)
                self.start_polling()
            self._refresh_home()

        self.push_screen(screen, done)

    def sign_out(self, index: int) -> None:
        account = self.profile.accounts[index]

        async def run() -> None:
            try:
                await self.client.sign_out(account)
            except PhoneError as exc:
                self.notify(f"{account.name}: {exc}", severity="error", markup=False)
                return
            self.profile.save()
            self._drop_account_prompts(account)
            self.notify(f"Signed out of {account.name}: this phone forgot its keys and gets no prompts for it.",
                        markup=False)
            self.start_polling()
            self._refresh_home()

        self.run_worker(run(), group="device")

    def toggle_notifications(self) -> None:
        on = not self.profile.notifications

        async def run() -> None:
            failed = []
            for account in [a for a in self.profile.accounts if a.signed_in]:
                try:
                    await self.client.set_notifications(account, on)
                except PhoneError as exc:
                    failed.append(f"{account.name}: {exc}")
            if failed:
                self.notify(" ".join(failed), severity="error", markup=False)
                return
            self.profile.notifications = on
            self.profile.save()
            if not on:
                for prompt in list(self.inbox.values()):
                    self.prompt_gone(prompt, "")
            self.notify("Notifications on: prompts arrive here." if on else
                        "Notifications off: the console offers another way; no prompt arrives here.", markup=False)
            self.start_polling()
            self._refresh_home()

        self.run_worker(run(), group="device")

    def forget(self, index: int) -> None:
        account = self.profile.accounts.pop(index)
        self.status.clear()
        self.profile.save()
        self.notify(f"Forgot {account.name} on this phone.", markup=False)
        self.start_polling()
        self._refresh_home()

    def _refresh_home(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, PhoneHomeScreen):
                screen.refresh_view()
