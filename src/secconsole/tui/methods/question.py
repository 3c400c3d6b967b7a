"""The security question's part of the challenge: its text above the answer field."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from secconsole.tui.methods.panel import WayPanel
from secconsole.tui.text import plain


class QuestionPanel(WayPanel):
    DEFAULT_CSS = """
    QuestionPanel #question-text { margin-bottom: 1; }
    """

    def compose_extra(self) -> ComposeResult:
        yield Static(id="question-text")

    async def on_mount(self) -> None:
        await super().on_mount()
        services = await self.app.services()
        text = await self.app.run_core(services.way("question").question_of, self.account.id)
        self.query_one("#question-text", Static).update(plain(text or ""))


Panel = QuestionPanel
