"""What every form screen shares: Enter moves to the next field and submits from the last,
Cancel and Escape go back, an error names its field and puts the cursor there."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Label

from secconsole.errors import SecConsoleError, ValidationError
from secconsole.tui.screens.base import CardScreen
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField, focus_to_correct


def field(label: str, field_id: str, value: str = "", **options: Any) -> Iterator[Widget]:
    """A form's labelled one-line field (``yield from field(...)`` in ``compose``)."""
    yield Label(label)
    yield TextField(value, id=field_id, compact=True, **options)


def form_buttons(submit: str, cancel: str = "Cancel") -> Horizontal:
    """The form's action (``#submit``, which Enter on the last field also presses) and Cancel."""
    return Horizontal(ActionButton(submit, id="submit", primary=True), ActionButton(cancel, id="cancel"),
                      classes="buttons")


class FormScreen(CardScreen):
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

    #: Where an error about a core field goes when the field's name is not an input id here.
    FIELD_MAP: dict[str, str] = {}

    async def attempt(self, call: Callable[[Any], Callable[..., Any]], *args: Any, fallback: str, **kwargs: Any):
        """Run ``call(services)(*args, source=..., **kwargs)`` off the event loop. A refusal is shown
        under the form with the cursor in its field, and the result is None."""
        try:
            services = await self.app.services()
            return await self.app.run_core(call(services), *args, source=self.app.config.source, **kwargs)
        except ValidationError as exc:
            field = self.FIELD_MAP.get(exc.field or "", exc.field)
            self.show_error(str(exc), field if field in self.FIELDS else fallback)
        except SecConsoleError as exc:
            self.show_error(str(exc), fallback)
        return None

    def show_error(self, message: str, field: str) -> None:
        self.query_one(ErrorLine).show(message)
        focus_to_correct(self.query_one(f"#{field}"))
