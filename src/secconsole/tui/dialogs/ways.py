"""Try another way: every way still open for this sign-in; Enter picks, Escape keeps the current."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from secconsole.core.methods.base import WaySpec
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain


class WaysDialog(ModalScreen[str | None]):
    CSS_PATH = [stylesheet("dialogs")]
    BINDINGS = [Binding("escape", "dismiss_none", "Back", id="ways.back")]

    def __init__(self, ways: list[WaySpec]) -> None:
        super().__init__()
        self._ways = ways

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="card"):
            yield Static("Try another way", classes="card-title")
            yield OptionList(*(Option(plain(w.choice), id=w.kind) for w in self._ways), id="ways")
            yield Static("↑/↓ choose · Enter pick · Esc back", classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one("#ways").focus()

    @on(OptionList.OptionSelected, "#ways")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
