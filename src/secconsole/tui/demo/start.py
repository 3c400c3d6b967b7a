"""Demo mode only: ``demo --as USER`` and ``--state NAME`` at start-up (the state applied, then
the route opened as USER), kept out of the app module."""

from __future__ import annotations

from secconsole.errors import SecConsoleError


async def demo_start(app, username: str | None, state: str | None) -> None:
    """``demo --as USER`` (and ``--state``): the state applied first, then the route asked
    for (or the state's) opened as USER: the sign-in screen with the name in, the sign-in's
    second step with the password passed, or any screen signed in."""
    from secconsole.demo.seed import password_step_as, sign_in_as
    from secconsole.tui.routes import ROUTES

    services = await app.services()
    route = app._pending_route
    try:
        if state:
            from secconsole.demo.states import apply

            username, opens = await app.run_core(apply, services, state, username)
            route = route or opens
        if route == "signin":
            app._pending_route = None
            _prefill_sign_in(app, username)
            return
        if route and ROUTES[route].challenge is not None:
            app._pending_route = None
            account = await app.run_core(password_step_as, services, username)
            if account.has_second_step:
                _open_challenge(app, account, ROUTES[route].challenge)
                return
            app.notify(f"{account.username} has no second step: signed in.", markup=False)
            route = None
        account = await app.run_core(sign_in_as, services, username)
    except SecConsoleError as exc:
        app.notify(str(exc), title="Cannot start as that user", severity="error", markup=False)
        return
    app.signed_in(account, then=route)


def _prefill_sign_in(app, username: str) -> None:
    from textual.widgets import Input

    app.screen.query_one("#username", Input).value = username
    app.screen.query_one("#password", Input).focus()


def _open_challenge(app, account, way: str) -> None:
    from secconsole.tui.screens.challenge import ChallengeScreen

    def passed(signed_in) -> None:
        if signed_in is not None:
            app.signed_in(signed_in)

    app.push_screen(ChallengeScreen(account, start_way=way or None), passed)
