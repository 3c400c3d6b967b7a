"""Building the app for Pilot and snapshot tests: injected services and clock, no cursor blink."""

from __future__ import annotations

from dataclasses import replace

from secconsole.tui.app import SecConsoleApp


def make_app(services, *, demo: bool = False, **kwargs) -> SecConsoleApp:
    services.config = replace(services.config, demo=demo, throwaway=kwargs.pop("throwaway", demo))
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


async def sign_in(pilot, username: str, password: str, *, totp: str | None = None) -> None:
    """Type the password, and the authenticator code when the account asks for one
    (``totp`` is the secret from ``enroll_totp``)."""
    from secconsole.tui.screens.challenge import ChallengeScreen
    from secconsole.tui.screens.signin import SignInScreen

    await type_into(pilot, "#username", username)
    await type_into(pilot, "#password", password)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, SignInScreen) or _error_shown(pilot.app))
    if totp is not None and isinstance(pilot.app.screen, ChallengeScreen):
        await pass_challenge(pilot, totp)


async def pass_challenge(pilot, secret: str) -> None:
    from secconsole.core.totp import TotpParams, code_at
    from secconsole.tui.screens.challenge import ChallengeScreen

    clock = pilot.app.loaded_services.clock
    await type_into(pilot, "#code", code_at(secret, clock.now(), TotpParams()))
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ChallengeScreen) or _error_shown(pilot.app))


def enroll_totp(services, username: str) -> str:
    """Turn the authenticator app on through the service, as a phone scanning a step ago would
    (so the current code is still unused). Returns the secret."""
    from datetime import timedelta

    from secconsole.core.totp import code_at

    account = services.accounts.get(username)
    pending = services.way("totp").start(account.id, account.username)
    earlier = services.clock.now() - timedelta(seconds=30)
    assert services.way("totp").confirm(pending, code_at(pending.secret, earlier, pending.params), source="test").ok
    return pending.secret


def _error_shown(app) -> bool:
    errors = app.screen.query(".error")
    return any(e.display for e in errors)


async def wait_until(pilot, predicate, timeout: float = 10.0, message=None) -> None:
    """Core calls run in threads: poll until their result has rendered. A predicate that queries
    a screen still composing its widgets (NoMatches) counts as not yet."""
    import time

    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(predicate())
        except NoMatches:
            return False

    deadline = time.monotonic() + timeout
    while not holds():
        if time.monotonic() > deadline:
            seen = f": {message()}" if message else ""
            raise AssertionError(f"timed out waiting for the screen to change{seen}")
        await pilot.pause(0.02)
    await pilot.pause()


async def settle(pilot) -> None:
    """Let workers (the checklist) finish and their results render. Standing workers (group
    ``*-follow``: the mobile app prompt's waits for a change) run until their screen goes."""
    app = pilot.app
    finite = [w for w in app.workers if not w.group.endswith("-follow")]
    if finite:  # (an empty list would mean "all of them")
        await app.workers.wait_for_complete(finite)
    await pilot.pause()


def passed_sign_in(services, username: str, password: str, *, method: str = "totp"):
    """What a passed sign-in leaves, done through the core as the sign-in screen does it (the
    second step counted as passed with ``method``): the account view, with the audit rows."""
    from secconsole.core.views import SignInOutcome

    source = services.config.source
    result = services.signin.sign_in(username, password, source=source)
    if result.outcome is SignInOutcome.SECOND_STEP:
        return services.signin.complete_sign_in(result.account.id, method, source=source)
    assert result.outcome is SignInOutcome.OK, result
    return result.account


async def start_on(pilot, route: str, username: str, password: str, *, method: str = "totp") -> None:
    """Signed in as ``username`` and on ``route``'s screen, opened through the route table (as
    ``--open`` does), without walking through the sign-in screen."""
    from secconsole.tui.routes import ROUTES

    app = pilot.app
    services = await app.services()
    app.signed_in(passed_sign_in(services, username, password, method=method), then=route)
    screen = ROUTES[route].load()
    await wait_until(pilot, lambda: isinstance(app.screen, screen))
    await settle(pilot)


async def not_now(pilot, then=None):
    """The first second step is on: recovery codes are offered; say "Not now" and wait for
    ``then`` (a screen type; Settings by default)."""
    from secconsole.tui.dialogs.confirm import ConfirmDialog
    from secconsole.tui.screens.settings import SettingsScreen

    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, then or SettingsScreen))
