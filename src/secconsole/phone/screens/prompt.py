"""The prompt card: who asks, for what, from where, and a live countdown; under ``pick`` three
number buttons (keys 1, 2, 3), under ``type`` a two-digit field; Verify, Deny, and "It wasn't me"
behind a keyboard confirm (y / n). Every string from the server is shown as text, never markup."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

from secconsole.core.clock import seconds_until
from secconsole.phone.client import PhoneError, Prompt
from secconsole.tui.dialogs.closing import ClosesOnce
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain, template

#: Answers after which the prompt is gone for every device.
GONE = {"expired", "already_decided", "no_such_prompt", "device_removed"}
VERDICTS = {
    "approved": "Approved: {account} is signing in.",
    "denied": "Denied: the sign-in to {account} was refused.",
    "reported": "Reported: the sign-in to {account} was refused and its owner told; prompts are paused.",
}
#: Approved with a number, and the server refused: the number was not the one on the console.
WRONG_NUMBER = "Denied: that was not the number the console showed; the sign-in was refused."


class NumberInput(Input):
    """Two digits; every other key is left to the card's bindings (v, d, w)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character.isdigit()

    async def _on_key(self, event) -> None:
        if event.is_printable and not (event.character or "").isdigit():
            event.prevent_default()  # not typed: it goes on to the card's bindings, in order
            return


class PromptScreen(ClosesOnce, ModalScreen[str]):
    CSS_PATH = [stylesheet("phone-prompt")]
    BINDINGS = [
        Binding("1", "pick(0)", "1st", show=False, id="phone.prompt.pick-1"),
        Binding("2", "pick(1)", "2nd", show=False, id="phone.prompt.pick-2"),
        Binding("3", "pick(2)", "3rd", show=False, id="phone.prompt.pick-3"),
        Binding("v", "verify", "Verify", id="phone.prompt.verify"),
        Binding("d", "deny", "Deny", id="phone.prompt.deny"),
        Binding("w", "report", "It wasn't me", id="phone.prompt.report"),
        Binding("y", "confirm_report", "Yes, report", id="phone.prompt.confirm"),
        Binding("n,escape", "cancel_report", "No", id="phone.prompt.cancel"),
    ]

    def __init__(self, prompt: Prompt) -> None:
        super().__init__()
        self.prompt = prompt
        self.chosen: int | None = None
        self.confirming = False
        self.busy = False

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        p = self.prompt
        with Vertical(id="prompt-card"):
            yield Static(plain(p.what), id="prompt-title")
            when = datetime.fromtimestamp(p.created, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            yield Static(template("[b]Account[/b]  $account\n[b]From[/b]     $source\n[b]Host[/b]     $host\n"
                                  "[b]Time[/b]     $when", account=p.account, source=p.source or "-",
                                  host=p.host or "-", when=when), id="prompt-details")
            yield Static("", id="prompt-countdown")
            if p.entry == "pick":
                yield Static("Pick the number the console shows (keys 1, 2, 3), then Verify:", id="prompt-ask",
                             markup=False)
                with Horizontal(id="prompt-numbers"):
                    for i, n in enumerate(p.numbers):
                        yield Button(f"{i + 1}: {n}", id=f"number-{i}", classes="number")
            else:
                yield Static("Type the number the console shows, then Enter or Verify:", id="prompt-ask",
                             markup=False)
                yield NumberInput(id="prompt-typed", placeholder="00", max_length=2, restrict=r"[0-9]*")
            yield Static("", id="prompt-message")
            with Horizontal(id="prompt-buttons"):
                yield Button("Verify (v)", id="verify", variant="primary")
                yield Button("Deny (d)", id="deny", variant="warning")
                yield Button("It wasn't me (w)", id="report", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = self.app.cursor_blink_enabled
        first = self.query("#prompt-typed") or self.query("#number-0")
        if first:
            first.first().focus()
        self.tick()
        self.set_interval(0.5, self.tick)

    def tick(self) -> None:
        left = seconds_until(datetime.fromtimestamp(self.prompt.expires, timezone.utc), self.app.clock.now())
        self.query_one("#prompt-countdown", Static).update(template("Expires in [b]$left s[/b]", left=left))
        if left <= 0 and not self.busy:
            self.app.prompt_gone(self.prompt, "The prompt expired.")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("confirm_report", "cancel_report"):
            return self.confirming
        if action in ("verify", "deny", "report"):
            return not self.confirming
        if action == "pick":
            return self.prompt.entry == "pick" and not self.confirming
        return True

    def _say(self, text: str) -> None:
        self.query_one("#prompt-message", Static).update(plain(text))

    # -- picking and answering -----------------------------------------------------------------

    def action_pick(self, index: int) -> None:
        if index >= len(self.prompt.numbers):
            return
        self.chosen = self.prompt.numbers[index]
        for i, button in enumerate(self.query(".number").results(Button)):
            button.set_class(i == index, "-chosen")
        self._say(f"You picked {self.chosen}: Verify (v) to send it.")
        self.query_one("#verify", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        if bid.startswith("number-"):
            self.action_pick(int(bid.removeprefix("number-")))
        elif bid == "verify":
            self.action_verify()
        elif bid == "deny":
            self.action_deny()
        elif bid == "report":
            self.action_report()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_verify()

    def action_verify(self) -> None:
        if self.prompt.entry == "type":
            typed = self.query_one("#prompt-typed", Input).value
            if len(typed) != 2:
                self._say("Type the two digits the console shows.")
                return
            number = int(typed)
        elif self.chosen is None:
            self._say("Pick a number first (keys 1, 2, 3).")
            return
        else:
            number = self.chosen
        self._answer("approve", number)

    def action_deny(self) -> None:
        self._answer("deny")

    def action_report(self) -> None:
        self.confirming = True
        self._say("Report this sign-in as not you? It is refused, the owner is told and prompts pause. "
                  "y: yes, it wasn't me · n: no")
        self.refresh_bindings()

    def action_confirm_report(self) -> None:
        self.confirming = False
        self.refresh_bindings()
        self._answer("report")

    def action_cancel_report(self) -> None:
        self.confirming = False
        self._say("")
        self.refresh_bindings()

    def _answer(self, decision: str, number: int | None = None) -> None:
        if self.busy:
            return
        self.busy = True
        self._say("Sending…")
        self.run_worker(self._send(decision, number), group="answer", exclusive=True)

    async def _send(self, decision: str, number: int | None) -> None:
        try:
            result = await self.app.client.answer(self.prompt, decision, number)
        except PhoneError as exc:
            self.busy = False
            if exc.code in GONE:
                self.app.prompt_gone(self.prompt, str(exc), code=exc.code)
            else:
                self._say(str(exc))
            return
        if result == "denied" and decision == "approve" and number is not None:
            text = WRONG_NUMBER
        else:
            text = VERDICTS.get(result, "The server answered {result!r}.").format(account=self.prompt.account,
                                                                                  result=result)
        self.app.prompt_gone(self.prompt, text, answered=True)
