"""One way's part of the challenge screen: what it asks, the field to answer in, and the check.

The screen composes the panel of the current way and hears back by messages: ``Passed`` (the
answer was accepted), ``Refused`` (a refusal or a problem with the input, with its message);
"Try another way" and "I can't use this" stay with the screen, which holds the ``Challenge``."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from secconsole.core.methods.base import Answer, Start, StepResult, WaySpec
from secconsole.core.views import AccountView
from secconsole.errors import SecConsoleError, ValidationError
from secconsole.tui.text import plain, template
from secconsole.tui.widgets.fields import TextField

#: The input each kind of answer is typed into: id, length, characters allowed.
_FIELDS = {
    Answer.DIGITS: ("code", 12, r"[0-9 \-]*"),
    Answer.TEXT: ("answer", 200, None),
    Answer.CODE: ("recovery", 16, r"[A-Za-z0-9 \-]*"),
}


class WayPanel(Vertical):
    DEFAULT_CSS = """
    WayPanel { height: auto; }
    """

    @dataclass
    class Passed(Message):
        kind: str
        result: StepResult

    @dataclass
    class Refused(Message):
        kind: str
        message: str
        #: None when the input was refused before any check (empty, malformed).
        result: StepResult | None = None

    #: The panel has its own send button (text messages): the screen's "Send a new code" stays hidden.
    sends_itself = False
    #: The answer comes from elsewhere (an app prompt): the screen's "Verify" stays hidden.
    answers_itself = False

    def __init__(self, spec: WaySpec, account: AccountView, *, reason: str = "") -> None:
        super().__init__(id="way-panel")
        self.spec = spec
        self.account = account
        self.reason = reason

    @property
    def field_id(self) -> str:
        return _FIELDS[self.spec.capabilities.answer][0] if self.spec.capabilities.answer in _FIELDS else ""

    def compose(self) -> ComposeResult:
        yield Static(self.lead(), id="challenge-lead", classes="form-note")
        yield from self.compose_extra()
        answer = self.spec.capabilities.answer
        if answer in _FIELDS:
            name, length, allowed = _FIELDS[answer]
            yield Label(plain(self.spec.field_label or self.spec.label), id="answer-label", classes="field-label")
            yield TextField(id=name, max_length=length, compact=True, restrict=allowed)

    def compose_extra(self) -> ComposeResult:
        """What a way shows between its lead and its field (e.g. the question's text)."""
        yield from ()

    def lead(self):
        prefix = f"{self.reason} asks for a fresh check. " if self.reason else ""
        detail = self.account.method(self.spec.kind).detail
        if not self.spec.lead:
            return plain(f"{prefix}{self.spec.choice}.")
        text = template(self.spec.lead, digits=detail.get("digits", 6), issuer=self.app.config.issuer,
                        user=self.account.username)
        return plain(prefix) + text

    @property
    def error_focus(self) -> str:
        """The id of what takes the focus when the screen shows an error about this way."""
        return self.field_id or "submit"

    def focus_field(self) -> None:
        if self.field_id:
            self.query_one(f"#{self.field_id}").focus()

    async def on_mount(self) -> None:
        await self.shown()

    async def shown(self) -> None:
        """What the panel does once it is up (Textual calls every class's ``on_mount``, so a way
        changes this, not ``on_mount``): by default, focus the field and ``start``."""
        self.focus_field()
        if self.spec.capabilities.start is not Start.NOTHING:
            await self.start()

    async def start(self) -> None:
        """Send a code or create a prompt (``begin``); say what happened in the lead."""
        try:
            services = await self.app.services()
            said = await self.app.run_core(services.way(self.spec.kind).begin, self.account.id,
                                           source=self.app.config.source)
        except SecConsoleError as exc:
            self.post_message(self.Refused(self.spec.kind, str(exc)))
            return
        if said:
            self.query_one("#challenge-lead", Static).update(plain(said))

    async def submit(self) -> None:
        entered = self.query_one(f"#{self.field_id}", Input).value if self.field_id else ""
        try:
            services = await self.app.services()
            result = await self.app.run_core(services.way(self.spec.kind).verify, self.account.id, entered,
                                             source=self.app.config.source)
        except ValidationError as exc:
            self.post_message(self.Refused(self.spec.kind, str(exc)))
            return
        except SecConsoleError as exc:
            self.post_message(self.Refused(self.spec.kind, str(exc)))
            return
        if result.ok:
            self.post_message(self.Passed(self.spec.kind, result))
            return
        if self.field_id:
            self.query_one(f"#{self.field_id}", Input).value = ""
        self.refused(result)
        self.post_message(self.Refused(self.spec.kind, result.message, result))

    def refused(self, result: StepResult) -> None:
        """A checked answer was refused (``result.tries_left`` says how many remain)."""
