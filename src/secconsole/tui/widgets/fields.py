"""Inputs that follow the app's settings (cursor blink off in tests and snapshots) and never
hold a character that would drive the terminal when the field draws its value."""

from __future__ import annotations

from textual.widgets import Input

from secconsole.core.text import typeable


class TextField(Input):
    def validate_value(self, value: str) -> str:
        """Every way in (keys, paste, a pre-filled SSH user name) passes here: Input draws its value
        as it is, so ESC, NUL or a bidi override would reach the terminal."""
        return typeable(value)

    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "cursor_blink_enabled", True)

    def focus_to_correct(self) -> None:
        """The cursor back here after an error about this field, its text selected so typing
        replaces it. Input selects on focus, but a field that kept the focus (Enter in it) gets
        no focus event: select here too."""
        self.focus()
        self.select_all()


def focus_to_correct(widget) -> None:
    """Focus the widget an error is about: a text field with its text selected."""
    if isinstance(widget, TextField):
        widget.focus_to_correct()
    else:
        widget.focus()
