"""New recovery codes, shown once: save them now (c copies them), then Enter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static

from secconsole.tui.dialogs.base import Dialog
from secconsole.tui.widgets.action_button import ActionButton


class RecoveryCodesDialog(Dialog[None]):
    BINDINGS = [
        Binding("c", "copy", "Copy", id="recovery.copy"),
        Binding("escape", "done", "Done", id="recovery.done"),
    ]

    def __init__(self, codes: list[str]) -> None:
        super().__init__("Your recovery codes")
        self.codes = codes

    def compose_body(self) -> ComposeResult:
        half = (len(self.codes) + 1) // 2
        rows = [f"{a:<14}{b}" for a, b in zip(self.codes[:half], self.codes[half:] + [""])]
        yield Static(
            "Save these somewhere safe now: they are shown only this once. Each signs you in "
            "once when your other ways are not at hand.", markup=False, id="dialog-message",
        )
        yield Static("\n".join(rows), id="codes", markup=False)
        with Horizontal(classes="buttons"):
            yield ActionButton("I have saved them", id="done", primary=True)
            yield ActionButton("Copy (c)", id="copy")

    def on_mount(self) -> None:
        self.query_one("#done").focus()

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.action_done()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard("\n".join(self.codes))
        self.notify("The codes were sent to your clipboard (OSC 52).")

    def action_done(self) -> None:
        self.dismiss()
