"""The one-line bar at the top of every screen: product, screen, who is signed in, DEMO."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from secconsole.tui.text import template


class TopBar(Static):
    DEFAULT_CSS = """
    TopBar {
        dock: top;
        height: 1;
        background: $panel;
        padding: 0 1;

        & > #topbar-demo {
            dock: right;
            width: auto;
            background: $warning;
            color: $background;
            text-style: bold;
            padding: 0 1;
        }
    }
    """

    def __init__(self, screen_title: str, *, username: str | None = None, demo: bool = False) -> None:
        if username:
            text = template("[b]SecConsole[/b] · $title · [$text-muted]$user[/]", title=screen_title, user=username)
        else:
            text = template("[b]SecConsole[/b] · $title", title=screen_title)
        super().__init__(text, id="topbar")
        self._demo = demo

    def compose(self) -> ComposeResult:
        if self._demo:
            yield Static("DEMO", id="topbar-demo")
