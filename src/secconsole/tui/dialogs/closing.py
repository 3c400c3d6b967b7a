"""A dialog closes once. Two quick presses (Enter, Space) on a button both reach the dialog before
it is gone: the second ``dismiss`` would pop the screen under it (Settings closed behind its own
"Turn off?" question; the phone app died with "Can't pop screen" when that was a mode's only
screen). Every ``Dialog`` has it; other modal screens (the phone's) mix it in."""

from __future__ import annotations

from textual.await_complete import AwaitComplete


class ClosesOnce:
    """Mixed in before the Screen class: ``dismiss`` and ``closing`` only act while the screen
    is the app's active one."""

    @property
    def closing(self) -> bool:
        """Dismissed already (or covered): a press that arrives now is left alone."""
        return not self.is_active

    def dismiss(self, result=None) -> AwaitComplete:
        if self.closing:
            return AwaitComplete.nothing()
        return super().dismiss(result)
