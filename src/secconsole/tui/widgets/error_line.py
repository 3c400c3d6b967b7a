"""A message under a form: hidden until there is something to say, always plain text."""

from __future__ import annotations

from textual.widgets import Static

from secconsole.tui.text import plain


class ErrorLine(Static):
    DEFAULT_CSS = """
    ErrorLine {
        color: $error;
        height: auto;
        margin-top: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="error")  # the class is for queries (tests); the look is above
        self.display = False

    def show(self, message: str) -> None:
        self.update(plain(message))
        self.display = True

    def clear(self) -> None:
        self.update("")
        self.display = False

    @property
    def message(self) -> str:
        return str(self.content) if self.display else ""
