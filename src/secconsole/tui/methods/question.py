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

    async def shown(self) -> None:
        await super().shown()
        services = await self.app.services()
        prompt = await self.app.run_core(services.way("question").prompt, self.account.id)
        self.query_one("#question-text", Static).update(plain(prompt.question or ""))
        self.show_tries(prompt.tries_left, self._here())

    def _here(self, spent: int = 0) -> int | None:
        """Wrong answers this challenge still takes before it moves on (3 for the question)."""
        challenge = getattr(self.screen, "challenge", None)
        return None if challenge is None else challenge.tries_left(self.spec.kind) - spent

    def show_tries(self, before_lock: int | None, here: int | None = None) -> None:
        """The fewer of: tries before the counter locks, and tries this challenge still takes."""
        left = min(n for n in (before_lock, here) if n is not None) if (before_lock, here) != (None, None) else None
        if left is None:
            return
        why = "before the security question locks" if here is None or (before_lock is not None and before_lock <= here) \
            else "for the security question this time"
        self.query_one("#tries-left", Static).update(plain(f"{plural(max(left, 0), 'try', 'tries')} left {why}."))

    def refused(self, result: StepResult) -> None:
        # Called before the screen counts this answer against the challenge: one more is spent.
        self.show_tries(result.tries_left, self._here(spent=1))


Panel = QuestionPanel
