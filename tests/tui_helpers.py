"""Building the app for Pilot and snapshot tests: injected services and clock, no cursor blink."""

from __future__ import annotations

from dataclasses import replace

from secconsole.tui.app import SecConsoleApp


def make_app(services, *, demo: bool = False, **kwargs) -> SecConsoleApp:
    services.config = replace(services.config, demo=demo)
    return SecConsoleApp(services.config, services=services, clock=services.clock, cursor_blink=False, **kwargs)


def text_of(app, selector: str) -> str:
    """What a Static shows, as plain text."""
    return str(app.screen.query_one(selector).visual)


async def type_into(pilot, selector: str, text: str, *, keys: bool = False) -> None:
    """Focus a field and fill it: key by key with ``keys=True``, else as a paste (much faster)."""
    await wait_until(pilot, lambda: bool(pilot.app.screen.query(selector)))
    field = pilot.app.screen.query_one(selector)
    field.focus()
    await pilot.pause()
    field.value = ""
    if keys:
        await pilot.press(*_keys(text))
    else:
        field.insert_text_at_cursor(text)
        await pilot.pause()


def _keys(text: str) -> list[str]:
    return [c if c.isalnum() else _NAMED.get(c, c) for c in text]


_NAMED = {
    " ": "space", "-": "minus", "!": "exclamation_mark", "?": "question_mark", "#": "number_sign",
    "$": "dollar_sign", "%": "percent_sign", "@": "at", ".": "full_stop", "[": "left_square_bracket",
    "]": "right_square_bracket", "/": "slash", "=": "equals_sign", "_": "underscore", "^": "circumflex_accent",
}


async def sign_in(pilot, username: str, password: str) -> None:
    from secconsole.tui.screens.signin import SignInScreen

    await type_into(pilot, "#username", username)
    await type_into(pilot, "#password", password)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, SignInScreen) or _error_shown(pilot.app))


def _error_shown(app) -> bool:
    errors = app.screen.query(".error")
    return any(e.display for e in errors)


async def wait_until(pilot, predicate, timeout: float = 10.0) -> None:
    """Core calls run in threads: poll until their result has rendered."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the screen to change")
        await pilot.pause(0.02)
    await pilot.pause()


async def settle(pilot) -> None:
    """Let workers (the checklist) finish and their results render."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
