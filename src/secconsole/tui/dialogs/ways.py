"""Try another way: every way still open for this sign-in; Enter picks, Escape keeps the current."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from secconsole.core.methods.base import WaySpec
from secconsole.core.views import AccountView
from secconsole.tui.dialogs.base import Dialog
from secconsole.tui.text import plain


class WaysDialog(Dialog[str | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Back", id="ways.back")]

    def __init__(self, ways: list[WaySpec], account: AccountView | None = None) -> None:
        super().__init__("Try another way", keys="↑/↓ choose · Enter pick · Esc back")
        self._ways = ways
        self._account = account

    def _choice(self, way: WaySpec) -> str:
        """"Get a code by text message to +49 ••• ••• 4242": where a code would go, when known."""
        number = self._account.method(way.kind).detail.get("number") if self._account else None
        return f"{way.choice} to {number}" if number else way.choice

    def compose_body(self) -> ComposeResult:
        yield OptionList(*(Option(plain(self._choice(w)), id=w.kind) for w in self._ways), id="ways")

    def on_mount(self) -> None:
        self.query_one("#ways").focus()

    @on(OptionList.OptionSelected, "#ways")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
