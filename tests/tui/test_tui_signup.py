"""Sign-up at 80x24: closed, the sign-in screen offers no way to create an account; open, a new
account is asked to verify its email address right away, and Home and Settings say so until it is."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from conftest import STRONG
from secconsole.core.delivery import recent_outbox
from secconsole.tui.screens.create_account import CreateAccountScreen
from secconsole.tui.screens.home import HomeScreen
from secconsole.tui.screens.signin import SignInScreen
from secconsole.tui.screens.verify_email import VerifyEmailScreen
from tui_helpers import make_app, settle, text_of, type_into, wait_until

SIZE = (80, 24)


def close_sign_up(services):
    services.config = replace(services.config, signup="closed")
    services.signup.open = False
    return services


def screen_text(app) -> str:
    return "\n".join(str(w.visual) for w in app.screen.query("Static") if w.display)


def verification_code(services, account_id) -> str:
    message = recent_outbox(services.db, services.box, account_id=account_id, limit=1)[0]
    return re.search(r"code is (\d{6})", message.body).group(1)


# -- closed ------------------------------------------------------------------------------------


async def test_closed_sign_up_offers_no_button_binding_or_palette_entry(sqlite_services):
    from textual.command import CommandPalette

    app = make_app(close_sign_up(sqlite_services))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loaded_services is not None)
        assert not app.screen.query("#create")
        assert "create account" not in text_of(app, "#signin-keys").lower()
        assert "ctrl+n" not in {b.binding.key for b in app.active_bindings.values()}
        assert "Create account" not in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"create acc")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, CreateAccountScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        app.open_route("create-account")  # --open's way in, refused too
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
    assert sqlite_services.accounts.list() == []


async def test_open_sign_up_still_offers_all_three(sqlite_services):
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query("#create")
        assert "^N create account" in text_of(app, "#signin-keys")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, CreateAccountScreen))


# -- open: create, then verify ------------------------------------------------------------------


async def create_erin(pilot) -> None:
    app = pilot.app
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: isinstance(app.screen, CreateAccountScreen))
    await type_into(pilot, "#username", "erin")
    await type_into(pilot, "#email", "erin@example.com")
    await type_into(pilot, "#password", STRONG)
    await type_into(pilot, "#confirm", STRONG)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, VerifyEmailScreen))
    await wait_until(pilot, lambda: "e•••n@example.com" in text_of(app, "#verify-lead"))


async def test_a_new_account_verifies_its_email_with_the_code_sent_to_it(sqlite_services):
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await create_erin(pilot)
        erin = sqlite_services.accounts.get("erin")
        assert not erin.email_verified
        code = verification_code(sqlite_services, erin.id)
        wrong = "000000" if code != "000000" else "111111"
        await type_into(pilot, "#code", wrong)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "not right" in text_of(app, "#verify-error"))
        await type_into(pilot, "#code", code)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await settle(pilot)
        assert "Email address" in text_of(app, "#home-summary") and "Verified" in text_of(app, "#home-summary")
        assert "Verify email address" not in str(app.screen.query_one("#home-menu").options)
    assert sqlite_services.accounts.get("erin").email_verified


async def test_resend_waits_out_its_cooldown(sqlite_services):
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        await create_erin(pilot)
        button = app.screen.query_one("#resend")
        assert button.disabled and "(60 s)" in str(button.visual)
        sqlite_services.clock.advance(seconds=45)
        await pilot.pause(1.2)
        assert button.disabled and "(15 s)" in str(button.visual)
        sqlite_services.clock.advance(seconds=15)
        await pilot.pause(1.2)
        assert not button.disabled and str(button.visual) == "Send a new code"
        button.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: button.disabled)
        assert len(recent_outbox(sqlite_services.db, sqlite_services.box, limit=5)) == 2


async def test_later_leaves_home_and_settings_saying_unverified_with_a_way_to_verify(sqlite_services):
    from secconsole.tui.screens.settings import SettingsScreen

    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        await create_erin(pilot)
        await pilot.press("escape")  # later
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await settle(pilot)
        assert "Not verified: press v" in text_of(app, "#home-summary")
        assert app.screen.query_one("#home-menu").get_option_at_index(0).id == "verify_email"
        sqlite_services.clock.advance(seconds=61)
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, VerifyEmailScreen))
        await wait_until(pilot, lambda: "e•••n@example.com" in text_of(app, "#verify-lead"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await settle(pilot)
        assert "not verified" in text_of(app, "#email-detail")
        assert app.screen.query_one("#verify-email-buttons").display


async def test_demo_mode_shows_the_verification_code(sqlite_services):
    from secconsole.demo.seed import seed

    seed(sqlite_services)
    app = make_app(sqlite_services, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await create_erin(pilot)
        code = verification_code(sqlite_services, sqlite_services.accounts.get("erin").id)
        await wait_until(pilot, lambda: code in text_of(app, "#demo-code"))
        assert text_of(app, "#demo-code").startswith("DEMO · outbox: Your verification code is")


@pytest.mark.parametrize("verified", [True, False])
async def test_verified_accounts_see_no_verify_prompt(sqlite_services, verified):
    account = sqlite_services.accounts.create("olga", "olga@example.com", STRONG, source="test",
                                              email_verified=verified)
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.loaded_services is not None)
        app.signed_in(account)
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await settle(pilot)
        bindings = {b.binding.key for b in app.active_bindings.values()}
        assert ("v" in bindings) is (not verified)


async def test_an_account_made_on_a_screen_opened_at_start_goes_home_not_back_to_the_form(sqlite_services):
    """``--open create-account``: once the account exists, Esc on "Verify your email" is Home, not
    a second, empty sign-up form (the route was opened again at sign-in)."""
    from secconsole.tui.screens.create_account import CreateAccountScreen
    from secconsole.tui.screens.home import HomeScreen
    from secconsole.tui.screens.verify_email import VerifyEmailScreen

    app = make_app(sqlite_services, open_screen="create-account")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CreateAccountScreen))
        await type_into(pilot, "#username", "zed")
        await type_into(pilot, "#email", "zed@example.com")
        await type_into(pilot, "#password", STRONG)
        await type_into(pilot, "#confirm", STRONG)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, VerifyEmailScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, VerifyEmailScreen))
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen), app.screen
        assert not any(isinstance(s, CreateAccountScreen) for s in app.screen_stack)
