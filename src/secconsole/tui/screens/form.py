"""What every form screen shares: Enter moves to the next field and submits from the last,
Cancel and Escape go back, an error names its field and puts the cursor there."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from secconsole.tui.styles import stylesheet
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine


class FormScreen(Screen[None]):
    CSS_PATH = [stylesheet("forms")]
    BINDINGS = [Binding("escape", "back", "Back", id="form.back")]
    #: Input ids in the order Enter walks them.
    FIELDS: tuple[str, ...] = ()

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    async def submit(self) -> None:
        raise NotImplementedError

    @on(Input.Submitted)
    async def _next(self, event: Input.Submitted) -> None:
        index = self.FIELDS.index(event.input.id)
        if index + 1 < len(self.FIELDS):
            self.query_one(f"#{self.FIELDS[index + 1]}").focus()
        else:
            await self.submit()

    @on(ActionButton.Pressed, "#submit")
    async def _submit_pressed(self) -> None:
        await self.submit()

    @on(ActionButton.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self._cancel()

    def action_back(self) -> None:
        self._cancel()

    def _cancel(self) -> None:
        """Leave without a result; screens that report back dismiss with theirs."""
        self.dismiss()

    def show_error(self, message: str, field: str) -> None:
        self.query_one(ErrorLine).show(message)
        self.query_one(f"#{field}").focus()
