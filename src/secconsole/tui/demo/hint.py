"""Demo mode only: under the challenge, what the current way's device or inbox would show now
(``secconsole.demo.hints``), refreshed every second in a thread: no database or crypto work on
the event loop."""

from __future__ import annotations

from textual import work
from textual.widgets import Static

from secconsole.tui.text import plain


class DemoHint(Static):
    def __init__(self, account_id: int) -> None:
        super().__init__(id="demo-code", classes="demo-hint")
        self.account_id = account_id
        self.kind: str | None = None
        self.display = False

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_hint)

    def show(self, kind: str) -> None:
        self.kind = kind
        self.refresh_hint()

    @work(thread=True, exclusive=True, group="demo-hint")
    def refresh_hint(self) -> None:
        services = self.app.loaded_services
        if services is None or self.kind is None:
            return
        from secconsole.demo.hints import hint
        from secconsole.errors import SecConsoleError

        try:
            line = hint(services, self.kind, self.account_id)
        except SecConsoleError:
            line = ""
        self.app.call_from_thread(self._update, line)

    def _update(self, line: str) -> None:
        self.display = bool(line)
        self.update(plain(f"DEMO · {line}") if line else "")
