"""One row of Settings › Password and Security: a focus marker, a Switch, the method's name and
its state."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, Switch

from secconsole.core.methods.base import MethodState, WaySpec
from secconsole.tui.text import plain

#: Shown before the focused control (settings.tcss makes it visible), so focus never rests on
#: colour alone (light theme, NO_COLOR, TERM=dumb).
FOCUS_MARKER = "▶"


def focus_marker() -> Static:
    return Static(FOCUS_MARKER, classes="focus-marker", markup=False)


class MethodRow(Horizontal):
    def __init__(self, spec: WaySpec) -> None:
        super().__init__(id=f"row-{spec.kind}", classes="setting-row")
        self.spec = spec
        self.kind = spec.kind

    def compose(self) -> ComposeResult:
        yield focus_marker()
        yield Switch(id=f"switch-{self.kind}", animate=False)
        yield Static(self.spec.label, classes="setting-name", markup=False)
        yield Static(classes="setting-detail")

    @property
    def switch(self) -> Switch:
        return self.query_one(Switch)

    def show(self, state: MethodState, detail: str, *, can_turn_on: bool = True) -> None:
        """Set the switch without firing Switch.Changed, and the detail as plain text. A method
        that is off and cannot be turned on now gets a disabled switch (the detail says why)."""
        with self.switch.prevent(Switch.Changed):
            self.switch.value = state.enabled
        self.switch.disabled = not state.enabled and not can_turn_on
        self.query_one(".setting-detail", Static).update(plain(detail))
