"""A yes/no question over the current screen: y or Enter on the action, n or Escape to cancel.

Cancel has the focus at first, so a stray Enter never destroys anything."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static

from secconsole.tui.dialogs.base import Dialog
from secconsole.tui.text import plain
from secconsole.tui.widgets.action_button import ActionButton


class ConfirmDialog(Dialog[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
        Binding("left,right", "switch_focus", "Move", show=False, id="confirm.move"),
    ]

    def __init__(self, title: str, message: str, *, confirm: str, cancel: str = "Cancel") -> None:
        super().__init__(title, keys="y yes · n or Esc no · ←/→ move")
        self._message = message
        self._confirm = confirm
        self._cancel = cancel

    def compose_body(self) -> ComposeResult:
        yield Static(plain(self._message), id="dialog-message")
        with Horizontal(classes="buttons"):
            yield ActionButton(self._confirm, id="confirm", primary=True)
            yield ActionButton(self._cancel, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel").focus()

    @on(ActionButton.Pressed)
    def _pressed(self, event: ActionButton.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_switch_focus(self) -> None:
        target = "#confirm" if self.focused is not None and self.focused.id == "cancel" else "#cancel"
        self.query_one(target).focus()
