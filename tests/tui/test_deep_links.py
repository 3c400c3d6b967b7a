"""Demo deep links (issue 16): every screen ``demo --list-screens`` names opens with ``--as USER
--open SCREEN``, and every ``--state`` preset opens, at 80x24 without an error. Each list has a
case per entry, so a screen or state added without one fails here."""

from __future__ import annotations

import pytest

from secconsole.demo.states import STATES
from secconsole.tui.routes import ROUTES

from deep_link_cases import SCREENS, on_way, screen_is, signin_with
from tui_helpers import make_app, settle, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    from dataclasses import replace

    from push_helpers import API
    from secconsole.demo.seed import seed

    sqlite_services.config = replace(sqlite_services.config, push_api_url=API)
    seed(sqlite_services)
    return sqlite_services


def _errors(app) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def test_every_listed_screen_has_a_case():
    assert set(SCREENS) == set(ROUTES)


@pytest.mark.parametrize("route", list(SCREENS))
async def test_every_listed_screen_opens(svc, route):
    user, setup, shown = SCREENS[route]
    if setup:
        setup(svc)
    app = make_app(svc, demo=True, start_as=user, open_screen=route)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: shown(app), message=lambda: f"{app.screen!r} {_errors(app)}")
        await settle(pilot)
        assert shown(app) and not _errors(app)


async def test_a_challenge_way_the_account_lacks_is_said_and_the_first_way_shown(svc):
    app = make_app(svc, demo=True, start_as="bob", open_screen="challenge-sms")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: on_way("totp")(app))
        assert any("cannot use that way" in n.message for n in app._notifications)


async def test_the_challenge_opened_at_start_signs_in_only_when_passed(svc):
    """``--as`` with the challenge means only the password step passed: nothing is signed in
    until the second step is, and then Home."""
    from secconsole.core.totp import code_at
    from secconsole.tui.screens.home import HomeScreen
    from tui_helpers import type_into

    app = make_app(svc, demo=True, start_as="bob", open_screen="challenge")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: on_way("totp")(app))
        assert app.account is None
        secret, params = svc.way("totp").secret_and_params(svc.accounts.get("bob").id)
        await type_into(pilot, "#code", code_at(secret, svc.clock.now(), params))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert app.account.username == "bob"


# -- states ---------------------------------------------------------------------------------


def _locked(app, svc):
    from secconsole.core.views import SignInOutcome

    bob = "Maple-Rocket-17?"
    return (signin_with("bob")(app)
            and svc.signin.sign_in("bob", bob, source="test").outcome is SignInOutcome.LOCKED)


def _app_locked(app, svc):
    """On the way that is locked, as at a real sign-in: the person learns it on trying."""
    return on_way("totp")(app) and "totp" in svc.accounts.get("bob").locked_ways


def _sms_pending(app, svc):
    from secconsole.core.delivery import recent_outbox

    dave = svc.accounts.get("dave")
    texts = [m for m in recent_outbox(svc.db, svc.box, account_id=dave.id, limit=5) if m.channel == "sms"]
    return (on_way("sms")(app) and len(texts) == 2  # the enrolment's code, then the sign-in's
            and "a moment ago" in str(app.screen.query_one("#challenge-lead").visual))


def _prompt_pending(app, svc):
    carol = svc.accounts.get("carol")
    prompt = svc.way("push").prompt(carol.id)
    return on_way("push")(app) and prompt is not None and app.screen.panel.waiting is not None \
        and app.screen.panel.waiting.id == prompt.id  # the one prompt the state sent, not a second


def _password_expired(app, svc):
    from secconsole.tui.screens.change_password import ForcedPasswordChangeScreen

    why = [e.detail.get("because") for e in svc.accounts.recent_events("carol", 5)
           if e.kind == "password.change_required"]
    return (isinstance(app.screen, ForcedPasswordChangeScreen) and app.account.username == "carol"
            and why == ["push.reported"])  # as in life: a prompt reported as not you


def _no_backups(app, svc):
    bob = app.account
    return (screen_is("home")(app) and bob is not None and bob.has_second_step
            and not bob.email_fallback_enabled and not bob.method("question").enabled)


STATE_CHECKS = {
    "locked": _locked,
    "app-locked": _app_locked,
    "sms-pending": _sms_pending,
    "prompt-pending": _prompt_pending,
    "password-expired": _password_expired,
    "no-backups": _no_backups,
}


def _seen(app) -> str:
    """What the screen shows, for a failure's message."""
    from textual.widgets import Static

    shown = " | ".join(str(w.visual) for w in app.screen.query(Static) if str(w.visual).strip())
    return f"{app.screen!r} way={getattr(getattr(app.screen, 'way', None), 'kind', None)} {_errors(app)}: {shown}"


def test_every_listed_state_has_a_case():
    assert set(STATE_CHECKS) == set(STATES)


@pytest.mark.parametrize("state", list(STATE_CHECKS))
async def test_every_listed_state_opens(svc, state):
    app = make_app(svc, demo=True, state=state)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: STATE_CHECKS[state](app, svc), message=lambda: _seen(app))
        await settle(pilot)
        assert not _errors(app)


async def test_app_locked_refuses_even_the_right_code_and_moves_on(svc):
    from secconsole.core.totp import code_at
    from tui_helpers import type_into

    app = make_app(svc, demo=True, state="app-locked")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: on_way("totp")(app))
        secret, params = svc.way("totp").secret_and_params(svc.accounts.get("bob").id)
        await type_into(pilot, "#code", code_at(secret, svc.clock.now(), params))
        await pilot.press("enter")
        await wait_until(pilot, lambda: on_way("email")(app), message=lambda: _seen(app))
        assert "last try with the authenticator app" in _seen(app)
        assert app.account is None


async def test_a_state_for_an_account_without_the_way_is_refused_on_screen(svc):
    app = make_app(svc, demo=True, state="sms-pending", start_as="bob")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: any("bob has no text messages" in m for m in _errors(app)))
        assert app.account is None


def test_states_refuse_outside_demo_mode(svc):
    from secconsole.demo.states import apply

    with pytest.raises(RuntimeError):
        apply(svc, "locked", "bob")


def test_the_password_step_is_passed_only_in_demo_mode_and_for_demo_accounts(svc):
    from dataclasses import replace

    from secconsole.demo.seed import password_step_as
    from secconsole.errors import ValidationError

    with pytest.raises(RuntimeError):
        password_step_as(svc, "bob")
    svc.config = replace(svc.config, demo=True)
    svc.accounts.create("erin", "erin@example.com", "Quartz-Falcon-2026%", source="test")
    with pytest.raises(ValidationError):
        password_step_as(svc, "erin")
    assert password_step_as(svc, "bob").username == "bob"
    assert svc.accounts.recent_events("bob", 1)[0].kind == "signin.password_ok"


async def test_step_up_without_a_second_step_asks_for_the_password_then_opens_settings(svc):
    from secconsole.tui.screens.stepup import StepUpScreen
    from tui_helpers import type_into

    app = make_app(svc, demo=True, start_as="carol", open_screen="step-up")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, StepUpScreen))
        await type_into(pilot, "#password", "Cobalt-Meadow-88#")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_is("settings")(app))


async def test_the_challenge_is_no_route_once_signed_in(svc):
    """Only the start opens the sign-in challenge: a signed-in session asking for it gets nothing."""
    app = make_app(svc, demo=True, start_as="bob", open_screen="home")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: screen_is("home")(app))
        for name in [n for n, r in ROUTES.items() if r.challenge is not None]:
            app.open_route(name)
            await settle(pilot)
            assert screen_is("home")(app), name
