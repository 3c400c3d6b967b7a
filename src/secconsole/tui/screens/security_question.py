"""Set or change the security question: pick one of ours or write your own, then the answer."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Label, Select, Static

from secconsole.core.views import AccountView
from secconsole.core.methods.question import PRESET_QUESTIONS, QUESTION_MAX, QUESTION_MIN
from secconsole.tui.screens.form import FormScreen, field, form_buttons
from secconsole.tui.text import plain
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.topbar import TopBar

OWN = "own"
#: Shown in the empty field the cursor moves to when "Write my own question" is chosen.
OWN_PLACEHOLDER = "Type your question here"


class SecurityQuestionScreen(FormScreen):
    FIELDS = ("preset", "own", "answer")

    def __init__(self, account: AccountView) -> None:
        super().__init__()
        self.account = account

    def compose(self) -> ComposeResult:
        current = self.account.security_question
        options = [(plain(q), i) for i, q in enumerate(PRESET_QUESTIONS)] + [(plain("Write my own question"), OWN)]
        preset = PRESET_QUESTIONS.index(current) if current in PRESET_QUESTIONS else (OWN if current else Select.NULL)
        yield TopBar("Security question", username=self.account.username, demo=self.app.config.demo)
        with Horizontal(classes="form-body"):
            with Vertical(classes="card form-card wide", id="question-card"):
                yield Static("Your security question", classes="card-title")
                yield Static(
                    "A backup way to confirm it's you. Case and spacing in the answer do not matter.",
                    classes="form-note", markup=False,
                )
                yield Label("Question")
                yield Select(options, prompt="Choose a question", value=preset, id="preset", compact=True)
                yield Label(f"Your own question ({QUESTION_MIN} to {QUESTION_MAX} characters)", id="own-label")
                yield TextField(current if preset == OWN else "", id="own", max_length=QUESTION_MAX + 50, compact=True,
                                placeholder=OWN_PLACEHOLDER)
                yield from field("Answer", "answer", max_length=200)
                yield ErrorLine(id="question-error")
                yield form_buttons("Save")
        yield Footer()

    def on_mount(self) -> None:
        self._show_own()
        self.query_one("#preset").focus()

    @on(Select.Changed, "#preset")
    def _show_own(self) -> None:
        """Choosing "Write my own question" shows its labelled field and puts the cursor there
        (the Select takes the focus back as its list closes: focus after that)."""
        own = self.query_one("#preset", Select).value == OWN
        self.query_one("#own-label").display = own
        self.query_one("#own").display = own
        if own:
            self.call_after_refresh(self.query_one("#own").focus)

    def _question(self) -> str:
        choice = self.query_one("#preset", Select).value
        if choice == OWN:
            return self.value("own")
        if choice == Select.NULL:
            return ""
        return PRESET_QUESTIONS[choice]

    async def submit(self) -> None:
        question = self._question()
        self.FIELD_MAP = {"question": "own" if self.query_one("#own").display else "preset"}
        saved = await self.attempt(lambda s: s.way("question").set, self.account.id, question, self.value("answer"),
                                   fallback="answer")
        if saved is None:
            return
        self.dismiss()
        self.app.notify("Your security question was saved.")
