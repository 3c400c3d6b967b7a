"""What every modal dialog shares: a card in the middle over the dimmed screen, with a title and,
if given, a line of key hints under the body.

styles/dialogs.tcss is nested under ``Dialog`` (and its subclasses' types), so none of it styles a
screen, whatever was shown before."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen, ScreenResultType
from textual.widgets import Static

from secconsole.tui.dialogs.closing import ClosesOnce
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain


class Dialog(ClosesOnce, ModalScreen[ScreenResultType]):
    CSS_PATH = [stylesheet("dialogs")]

    def __init__(self, title: str, *, keys: str = "") -> None:
        super().__init__()
        self.dialog_title = title
        self.dialog_keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="card"):
            yield Static(plain(self.dialog_title), classes="card-title")
            yield from self.compose_body()
            if self.dialog_keys:
                yield Static(self.dialog_keys, classes="dialog-keys", markup=False)

    def compose_body(self) -> ComposeResult:
        """What goes between the title and the key hints."""
        return iter(())
