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
