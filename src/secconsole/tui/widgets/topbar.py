"""The one-line bar at the top of every screen: product, screen, who is signed in, DEMO."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from secconsole.tui.text import plain, template


class TopBar(Horizontal):
    def __init__(self, screen_title: str, *, username: str | None = None, demo: bool = False) -> None:
        super().__init__(id="topbar")
        self._screen_title = screen_title
        self._username = username
        self._demo = demo

    def compose(self) -> ComposeResult:
        yield Static(template("[b]SecConsole[/b] · $title", title=self._screen_title), id="topbar-title")
        if self._username:
            yield Static(plain(self._username), id="topbar-user")
        if self._demo:
            yield Static("DEMO", id="topbar-demo")
