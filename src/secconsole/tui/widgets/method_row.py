"""One row of Settings › Password and Security: a Switch, the method's name and its state."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, Switch

from secconsole.core.methods.base import MethodState, WaySpec
from secconsole.tui.text import plain


class MethodRow(Horizontal):
    def __init__(self, spec: WaySpec) -> None:
        super().__init__(id=f"row-{spec.kind}", classes="setting-row")
        self.spec = spec
        self.kind = spec.kind

    def compose(self) -> ComposeResult:
        yield Switch(id=f"switch-{self.kind}", animate=False)
        yield Static(self.spec.label, classes="setting-name", markup=False)
        yield Static(classes="setting-detail")

    @property
    def switch(self) -> Switch:
        return self.query_one(Switch)

    def show(self, state: MethodState, detail: str) -> None:
        """Set the switch without firing Switch.Changed, and the detail as plain text."""
        with self.switch.prevent(Switch.Changed):
            self.switch.value = state.enabled
        self.query_one(".setting-detail", Static).update(plain(detail))
