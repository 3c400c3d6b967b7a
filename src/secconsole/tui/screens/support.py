"""Nothing left to confirm it's you: contact support, quoting a reference they can find."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from secconsole.tui.screens.base import CardScreen
from secconsole.tui.text import template
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.topbar import TopBar


class ContactSupportScreen(CardScreen):
    BINDINGS = [Binding("escape", "leave", "Back to sign in", id="support.leave")]

    def __init__(self, username: str, ref: str) -> None:
        super().__init__()
        self.username = username
        self.ref = ref

    def compose(self) -> ComposeResult:
        yield TopBar("Contact support", username=self.username, demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card wide"):
                yield Static("We could not confirm it's you", classes="card-title")
                yield Static(
                    "Every way to confirm it's you was used up for this sign-in. Contact support and "
                    "quote this reference; they will check who you are and can unlock your account or "
                    "reset its two-step verification.",
                    markup=False, classes="form-note",
                )
                yield Static(template("Reference: [b]$ref[/b]", ref=self.ref), id="support-ref")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Back to sign in", id="leave", primary=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#leave").focus()

    def on_action_button_pressed(self) -> None:
        self.action_leave()

    def action_leave(self) -> None:
        self.dismiss()
