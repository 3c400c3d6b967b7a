"""New recovery codes, shown once: save them now (c copies them; in a local console s saves them
to a file), then Enter."""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from secconsole.errors import SecConsoleError
from secconsole.tui.dialogs.base import Dialog
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField


def is_local(source: str) -> bool:
    """A console on this computer's own terminal (``config.detect_source``): over SSH or in a
    browser tab a file would be written on the server, not where the person sits."""
    return source.split(" ", 1)[0] == "local"


class RecoveryCodesDialog(Dialog[None]):
    BINDINGS = [
        Binding("c", "copy", "Copy", id="recovery.copy"),
        Binding("s", "save", "Save to a file", id="recovery.save"),
        Binding("escape", "done", "Done", id="recovery.done"),
    ]

    def __init__(self, codes: list[str], *, username: str = "", issuer: str = "SecConsole",
                 made: datetime | None = None, can_save: bool = False) -> None:
        """``can_save``: offer a file (a local console only, see ``is_local``); ``made`` (from the
        app's clock) is written into the file with ``username`` and ``issuer``."""
        super().__init__("Your recovery codes")
        self.codes = codes
        self.username = username
        self.issuer = issuer
        self.made = made
        self.can_save = can_save and made is not None

    def compose_body(self) -> ComposeResult:
        half = (len(self.codes) + 1) // 2
        rows = [f"{a:<14}{b}" for a, b in zip(self.codes[:half], self.codes[half:] + [""])]
        yield Static(
            "Save these somewhere safe now: they are shown only this once. Each signs you in "
            "once when your other ways are not at hand.", markup=False, id="dialog-message",
        )
        yield Static("\n".join(rows), id="codes", markup=False)
        if self.can_save:
            from secconsole.core.recovery_file import default_path

            yield Label("Save to this file (Enter saves it)", id="save-label")
            yield TextField(str(default_path(self.username)), id="save-path", compact=True)
            yield ErrorLine(id="save-error")
        with Horizontal(classes="buttons"):
            yield ActionButton("I have saved them", id="done", primary=True)
            yield ActionButton("Copy (c)", id="copy")
            if self.can_save:
                yield ActionButton("Save to a file (s)", id="save")

    def on_mount(self) -> None:
        if self.can_save:
            self.query_one("#save-label").display = False
            self.query_one("#save-path").display = False
        self.query_one("#done").focus()

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        actions = {"copy": self.action_copy, "save": self.action_save}
        actions.get(event.button.id, self.action_done)()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard("\n".join(self.codes))
        self.notify("The codes were sent to your clipboard (OSC 52).")

    def action_save(self) -> None:
        """Show the file's path (a default in the home folder) with the cursor in it."""
        if not self.can_save:
            return
        self.query_one("#save-label").display = True
        field = self.query_one("#save-path", TextField)
        field.display = True
        field.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "s" and "c" are letters of a path once the cursor is in it.
        if action in ("save", "copy") and isinstance(self.focused, Input):
            return False
        return True

    @on(Input.Submitted, "#save-path")
    async def _save(self, event: Input.Submitted) -> None:
        from secconsole.core.recovery_file import save_codes

        error = self.query_one("#save-error", ErrorLine)
        try:
            path = await self.app.run_core(save_codes, event.value, self.codes, username=self.username,
                                           issuer=self.issuer, made=self.made)
        except SecConsoleError as exc:
            error.show(str(exc))
            return
        error.clear()
        self.notify(f"The codes were saved in {path} (only you can read it).", markup=False)
        self.query_one("#done").focus()

    def action_done(self) -> None:
        self.dismiss()
