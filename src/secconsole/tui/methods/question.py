"""The security question's part of the challenge: its text above the answer field, and the wrong
answers left before the question locks (the throttle's count, from the core)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from secconsole.core.methods.base import StepResult
from secconsole.core.wording import plural
from secconsole.tui.methods.panel import WayPanel
from secconsole.tui.text import plain


class QuestionPanel(WayPanel):
    DEFAULT_CSS = """
    QuestionPanel #question-text { margin-bottom: 1; }
    QuestionPanel #tries-left { color: $text-muted; }
    """

    def compose_extra(self) -> ComposeResult:
        yield Static(id="question-text")

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static(id="tries-left")

    async def on_mount(self) -> None:
        await super().on_mount()
        services = await self.app.services()
        prompt = await self.app.run_core(services.way("question").prompt, self.account.id)
        self.query_one("#question-text", Static).update(plain(prompt.question or ""))
        self.show_tries(prompt.tries_left)

    def show_tries(self, left: int | None) -> None:
        if left is not None:
            self.query_one("#tries-left", Static).update(
                plain(f"{plural(left, 'try', 'tries')} left before the security question locks."))

    def refused(self, result: StepResult) -> None:
        self.show_tries(result.tries_left)


Panel = QuestionPanel
