"""Shown when the console cannot start (no database, lost key file): the reason, and Quit."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from secconsole.tui.text import plain
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.styles import stylesheet
from secconsole.tui.widgets.topbar import TopBar


class ProblemScreen(Screen[None]):
    CSS_PATH = [stylesheet("problem")]
    BINDINGS = [Binding("escape", "leave", "Quit", id="problem.quit")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self._message = message

    def compose(self) -> ComposeResult:
        yield TopBar("Cannot start", demo=self.app.config.demo)
        with Vertical(id="problem-card", classes="card"):
            yield Static("The console cannot start", classes="card-title")
            yield Static(plain(self._message), id="problem-message")
            yield ActionButton("Quit", id="quit", primary=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#quit").focus()

    def on_action_button_pressed(self) -> None:
        self.action_leave()

    def action_leave(self) -> None:
        self.app.exit(return_code=1)
