"""A reserved line for notices where a toast must not be drawn (over a QR code it breaks the
scan): the latest notice, plain text, gone after its timeout like a toast."""

from __future__ import annotations

import time

from textual.timer import Timer
from textual.widgets import Static

from secconsole.tui.text import plain

#: Textual's toast timeout, used when a notice names none.
DEFAULT_TIMEOUT = 5.0


class NoticeLine(Static):
    DEFAULT_CSS = """
    NoticeLine {
        height: auto;
        min-height: 1;
        margin: 0;
        &.-warning { color: $warning; }
        &.-error { color: $error; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self._notice: tuple[str, str, str, float] | None = None  # message, title, severity, expiry

    @property
    def message(self) -> str:
        return str(self.visual) if self._notice else ""

    def show(self, message: str, *, title: str = "", severity: str = "information",
             timeout: float | None = None) -> None:
        timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self._notice = (message, title, severity, time.monotonic() + timeout)
        self.update(plain(f"{title}: {message}" if title else message))
        self.set_class(severity == "warning", "-warning")
        self.set_class(severity == "error", "-error")
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(timeout, self.clear)

    def clear(self) -> None:
        self._notice = None
        self.update("")
        self.remove_class("-warning", "-error")

    def hand_back(self) -> None:
        """The line is going away (its step ends): a notice still due becomes a toast for the
        time it had left."""
        if self._notice is None:
            return
        message, title, severity, expiry = self._notice
        self.clear()
        left = expiry - time.monotonic()
        if left > 0.5:
            self.app.notify(message, title=title, severity=severity, timeout=left, markup=False)
