"""A one-line button: focusable, Enter/Space/click press it.

Textual's Button is three lines tall and its stylesheet is costly to parse at start-up; forms at
80x24 need the rows and the sign-in screen needs the milliseconds (bench/startup)."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static


class ActionButton(Static, can_focus=True):
    DEFAULT_CSS = """
    ActionButton {
        width: auto;
        height: 1;
        padding: 0 2;
        margin-right: 1;
        background: $panel;

        &.-primary {
            background: $primary 50%;
            text-style: bold;
        }
        &:hover { background: $primary 70%; }
        &:focus {
            background: $accent;
            /* Black or white, whichever stands out on the accent: readable in both themes and
               when colours are reduced to greys (NO_COLOR). */
            color: auto 95%;
            text-style: bold;
        }
        &:disabled { color: $text-disabled; }
    }
    """
    BINDINGS = [Binding("enter,space", "press", "Press", show=False, id="button.press")]

    class Pressed(Message):
        def __init__(self, button: ActionButton) -> None:
            super().__init__()
            self.button = button

        @property
        def control(self) -> ActionButton:
            return self.button

    def __init__(self, label: str, *, id: str, primary: bool = False) -> None:
        super().__init__(label, id=id, markup=False, classes="action-button -primary" if primary else "action-button")

    def on_click(self, event) -> None:
        event.stop()
        self.press()

    def action_press(self) -> None:
        self.press()

    def press(self) -> None:
        if not self.disabled:
            self.post_message(self.Pressed(self))
