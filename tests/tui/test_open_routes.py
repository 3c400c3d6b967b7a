"""Every route opened with ``--open`` (here ``demo --as carol --open ROUTE``) and then closed leaves
Home showing the account as it is now (issue 12, item 1): the route's change is on Home at once,
without visiting Settings."""

from __future__ import annotations

import pytest

from secconsole.tui.routes import ROUTES
from secconsole.tui.screens.home import HomeScreen

from tui_helpers import make_app, settle, text_of, type_into, wait_until

SIZE = (80, 24)
CAROL = "Cobalt-Meadow-88#"
NEW_PASSWORD = "Quartz-Falcon-2026%"


@pytest.fixture
def svc(sqlite_services):
    from dataclasses import replace

    from push_helpers import API
    from secconsole.demo.seed import seed

    sqlite_services.config = replace(sqlite_services.config, push_api_url=API)  # a push API is running
    seed(sqlite_services)
    sqlite_services.clock.advance(days=3)  # so a password changed now shows as "today"
    return sqlite_services


async def _enroll_totp(pilot, svc):
    from secconsole.core.totp import code_at

    app = pilot.app
    await pilot.press("enter")  # Continue
    await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
    pending = app.screen.pending
    await pilot.press("enter")  # Next: enter a code
    await type_into(pilot, "#code", code_at(pending.secret, svc.clock.now(), pending.params))
    await pilot.press("enter")
    from secconsole.tui.dialogs.confirm import ConfirmDialog

    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # recovery codes offered
    await pilot.press("n")


async def _email_fallback_off(pilot, svc):
    pilot.app.screen.query_one("#switch-email").focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: not svc.accounts.get("carol").email_fallback_enabled)
    await pilot.press("escape")


async def _add_card(pilot, svc):
    from secconsole.tui.screens.add_card import AddCardScreen
    from secconsole.tui.screens.payments import PaymentsScreen

    app = pilot.app
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, AddCardScreen))
    await type_into(pilot, "#holder", "Carol")
    await type_into(pilot, "#number", "4242 4242 4242 4242")
    await type_into(pilot, "#expiry", "04/29")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))
    await pilot.press("escape")


async def _change_password(pilot, svc):
    await type_into(pilot, "#current", CAROL)
    await type_into(pilot, "#new", NEW_PASSWORD)
    await type_into(pilot, "#confirm", NEW_PASSWORD)
    await pilot.press("enter")


async def _card_from_the_sms_wizard(pilot, svc):
    """carol has no card: the wizard's prerequisite step leads to Payments, where she adds one."""
    from secconsole.tui.screens.payments import PaymentsScreen

    app = pilot.app
    assert app.focused.id == "to-payments"
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))
    await _add_card(pilot, svc)


async def _pair_a_phone(pilot, svc):
    """A phone pairs with the code on screen, then approves the test prompt."""
    from push_helpers import Phone
    from secconsole.tui.dialogs.confirm import ConfirmDialog

    app = pilot.app
    await wait_until(pilot, lambda: app.screen.offer is not None)
    phone = Phone(svc.way("push"), code=app.screen.offer.code)
    await wait_until(pilot, lambda: app.screen.query_one("#test").display)
    await pilot.click("#test")
    await wait_until(pilot, lambda: app.screen.testing is not None)
    phone.approve(svc.way("push").prompt(svc.accounts.get("carol").id).number)
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # recovery codes offered
    await pilot.press("n")


#: Per route that changes the account: how to change it there and leave, and what Home then says.
CHANGES = {
    "enroll-totp": (_enroll_totp, "Two-step verification   Authenticator app code"),
    "settings": (_email_fallback_off, "Email fallback          Off"),
    "payments": (_add_card, "Billing methods         Visa ending in 4242"),
    "change-password": (_change_password, "(today)"),
    "enroll-push": (_pair_a_phone, "Two-step verification   Mobile app prompt"),
    "enroll-sms": (_card_from_the_sms_wizard, "Billing methods         Visa ending in 4242"),
}


def test_every_route_that_needs_an_account_is_covered():
    """Demo-only deep links (wizard steps, the sign-in challenge) are covered by test_deep_links."""
    assert {name for name, r in ROUTES.items() if r.needs_account and name != "home" and not r.demo_only} == set(CHANGES)


@pytest.mark.parametrize("route", sorted(CHANGES))
async def test_home_shows_the_change_made_on_a_route_opened_at_start(svc, route):
    change, shown = CHANGES[route]
    app = make_app(svc, demo=True, start_as="carol", open_screen=route)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ROUTES[route].load()))
        await settle(pilot)
        await change(pilot, svc)
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await wait_until(pilot, lambda: " ".join(shown.split()) in " ".join(text_of(app, "#home-summary").split()),
                         message=lambda: text_of(app, "#home-summary"))
        # And it is the session's copy, not only the screen's.
        assert app.account is app.screen.account
