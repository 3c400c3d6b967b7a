"""The smallest window the console is laid out for, and the one line shown below it.

Every screen is usable at ``MINIMUM`` (60x20: the sign-in card and the demo panel side by side,
each form scrolling where it must, the footer always on screen). Below it the screen's own widgets
are hidden (``app.tcss``: ``Screen.-too-small``) and one line asks for a bigger window; it goes
away, and the focus comes back where it was, when the window grows."""

from __future__ import annotations

from textual.app import App
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

MINIMUM = (60, 20)


def message(width: int, height: int) -> str:
    return f"secconsole needs at least {MINIMUM[0]}x{MINIMUM[1]}; this window is {width}x{height}."


class TooSmall(Static, can_focus=True):
    """Holds the focus while shown, so keys typed blind change nothing; ^Q still quits."""

    DEFAULT_CSS = """
    TooSmall {
        display: none;
        width: 1fr;
        height: 1fr;
        content-align: center middle;
        text-style: bold;
        background: $background;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="too-small", markup=False)
        self.restore: Widget | None = None

    def on_key(self, event) -> None:
        event.stop()
        event.prevent_default()


def check(app: App, screen: Screen | None = None, *, size: Size | None = None) -> None:
    """Show or hide the line on ``screen`` (the current one) for ``size`` (the app's)."""
    screen = screen or app.screen
    width, height = size or app.size
    small = width < MINIMUM[0] or height < MINIMUM[1]
    guards = screen.query_children(TooSmall)
    if not small and not guards:
        return
    if not guards:
        guard = TooSmall()
        screen.mount(guard)
    else:
        guard = guards.first()
    was_small = screen.has_class("-too-small")
    if small:
        guard.update(message(width, height))
        if not was_small:
            guard.restore = screen.focused
            screen.add_class("-too-small")
            screen.call_after_refresh(guard.focus)
    elif was_small:
        screen.remove_class("-too-small")
        restore, guard.restore = guard.restore, None
        if restore is not None and restore.is_attached:
            screen.call_after_refresh(restore.focus)
