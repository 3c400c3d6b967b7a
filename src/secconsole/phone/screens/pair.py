"""Pair dialog: paste the `secconsole-push://` link the console shows, or its code and the server's
address; pairing makes this pairing's key and keeps the account in the profile."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from secconsole.phone.client import PhoneError, parse_pairing
from secconsole.phone.profile import Account
from secconsole.tui.dialogs.closing import ClosesOnce
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain


class PairScreen(ClosesOnce, ModalScreen[Account | None]):
    CSS_PATH = [stylesheet("phone-pair")]
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="phone.pair.cancel")]

    def __init__(self, url: str = "", name: str = "", *, again: str = "") -> None:
        super().__init__()
        self.url, self.device_name, self.again = url, name, again
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="pair-card"):
            title = f"Sign in again to {self.again}" if self.again else "Pair with an account"
            yield Static(plain(title), id="pair-title")
            yield Static("Paste the link or code the console shows (Settings › Mobile app prompt).",
                         id="pair-help", markup=False)
            yield Label("Link or pairing code")
            yield Input(placeholder="secconsole-push://pair?... or 7KQ4-M2XD-9WRT", id="pair-code")
            yield Label("Server address (not needed with a link)")
            yield Input(self.url, placeholder="http://127.0.0.1:8765", id="pair-url")
            yield Label("This device's name")
            yield Input(self.device_name, id="pair-name", max_length=60)
            yield Static("", id="pair-error")
            with Horizontal(id="pair-buttons"):
                yield Button("Pair", id="pair-go", variant="primary")
                yield Button("Cancel", id="pair-cancel")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = self.app.cursor_blink_enabled
        self.query_one("#pair-code", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pair()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "pair-go":
            self.pair()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _say(self, text: str) -> None:
        self.query_one("#pair-error", Static).update(plain(text))

    def pair(self) -> None:
        if self.busy:  # a second Enter must not send the code twice (the first may have paired)
            return
        code = self.query_one("#pair-code", Input).value
        url = self.query_one("#pair-url", Input).value
        name = self.query_one("#pair-name", Input).value.strip() or self.device_name or "secconsole phone"
        try:
            url, code = parse_pairing(code, url)
        except PhoneError as exc:
            self._say(str(exc))
            return
        self._say("Pairing…")
        self.busy = True
        self.run_worker(self._pair(url, code, name), group="pair")

    async def _pair(self, url: str, code: str, name: str) -> None:
        try:
            account = await self.app.pair(url, code, name)
        except PhoneError as exc:
            self._say(str(exc))
            return
        finally:
            self.busy = False
        self.dismiss(account)
