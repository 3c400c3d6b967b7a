"""A mobile app prompt reported as not you: the next sign-in (another way, since prompts are
paused) lands on the change-password form with its explanation, and nothing else opens until the
password is changed: not Escape, not ``--open``, not the command palette's routes. Signing out
is the only other way out. At 80x24."""

from __future__ import annotations

import pytest

from secconsole.core.views import PASSWORD_CHANGE_REASON
from secconsole.tui.screens.change_password import ForcedPasswordChangeScreen
from secconsole.tui.screens.home import HomeScreen
from secconsole.tui.screens.signin import SignInScreen

from conftest import STRONG
from push_helpers import report_a_prompt
from tui_helpers import enroll_totp, make_app, settle, sign_in, text_of, type_into, wait_until

SIZE = (80, 24)
NEW = "Quartz-Falcon-2026%"


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    return sqlite_services


@pytest.fixture
def reported(svc):
    """alice signs in with the authenticator app (another way) after a prompt was reported."""
    secret = enroll_totp(svc, "alice")
    svc.clock.advance(seconds=30)
    report_a_prompt(svc)
    return secret


async def _signed_in(pilot, secret: str) -> None:
    await sign_in(pilot, "alice", STRONG, totp=secret)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ForcedPasswordChangeScreen))
    await settle(pilot)


async def test_the_sign_in_after_a_report_goes_straight_to_the_forced_change(svc, reported):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await _signed_in(pilot, reported)
        assert text_of(app, "#change-reason") == PASSWORD_CHANGE_REASON
        assert not any(isinstance(s, HomeScreen) for s in app.screen_stack)  # nothing to fall back to
        assert app.focused.id == "current"


async def test_escape_and_routes_do_not_leave_the_forced_change(svc, reported):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await _signed_in(pilot, reported)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ForcedPasswordChangeScreen)
        assert "or press Sign out" in app.screen.query_one("#change-error").message
        for route in ("home", "settings", "payments", "change-password", "enroll-push"):
            app.open_route(route)  # what --open, Home's keys and the palette's entries call
            await settle(pilot)
            assert isinstance(app.screen, ForcedPasswordChangeScreen), route
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Sign out" in titles and not {"Settings", "Payments", "Change password"} & set(titles)


async def test_an_open_route_waits_until_the_password_is_changed(svc, reported):
    from secconsole.tui.screens.settings import SettingsScreen

    app = make_app(svc, open_screen="settings")
    async with app.run_test(size=SIZE) as pilot:
        await _signed_in(pilot, reported)
        assert isinstance(app.screen, ForcedPasswordChangeScreen)
        await type_into(pilot, "#current", STRONG)
        await type_into(pilot, "#new", NEW)
        await type_into(pilot, "#confirm", NEW)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert [type(s) for s in app.screen_stack[1:]] == [HomeScreen, SettingsScreen]
        assert not svc.accounts.get("alice").password_change_required


async def test_changing_the_password_opens_home(svc, reported):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await _signed_in(pilot, reported)
        await type_into(pilot, "#current", STRONG)
        await type_into(pilot, "#new", NEW)
        await type_into(pilot, "#confirm", NEW)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert not app.account.password_change_required
        assert [type(s) for s in app.screen_stack] == [SignInScreen, HomeScreen]


async def test_sign_out_is_the_other_way_out(svc, reported):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await _signed_in(pilot, reported)
        app.screen.query_one("#cancel").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert app.account is None and len(app.screen_stack) == 1
        assert svc.accounts.get("alice").password_change_required  # still asked at the next sign-in


async def test_open_change_password_is_not_asked_twice(svc, reported):
    """``--open change-password`` (what ``login`` suggests) is met by the forced change itself."""
    app = make_app(svc, open_screen="change-password")
    async with app.run_test(size=SIZE) as pilot:
        await _signed_in(pilot, reported)
        await type_into(pilot, "#current", STRONG)
        await type_into(pilot, "#new", NEW)
        await type_into(pilot, "#confirm", NEW)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await settle(pilot)
        assert [type(s) for s in app.screen_stack] == [SignInScreen, HomeScreen]


async def test_a_session_signed_in_before_the_report_is_sent_to_the_change(svc):
    """Signed in at one console; a prompt from elsewhere is reported: the next time a page reads
    the account again (back on Home), the forced change goes on top, and stays there."""
    from secconsole.tui.screens.settings import SettingsScreen

    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        report_a_prompt(svc)
        await pilot.press("escape")  # back to Home, which reads the account again
        await wait_until(pilot, lambda: isinstance(app.screen, ForcedPasswordChangeScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ForcedPasswordChangeScreen)
        await type_into(pilot, "#current", STRONG)
        await type_into(pilot, "#new", NEW)
        await type_into(pilot, "#confirm", NEW)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert not app.account.password_change_required
