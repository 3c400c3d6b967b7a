"""Correcting a form (issue 12, item 13): the card expiry as people type it, and a field an error
is about comes back with its text selected, so typing replaces it (every form: ``FormScreen``)."""

from __future__ import annotations

import pytest

from conftest import STRONG
from secconsole.tui.screens.add_card import AddCardScreen
from secconsole.tui.screens.payments import PaymentsScreen
from tui_helpers import _keys, make_app, start_on, text_of, type_into, wait_until

SIZE = (80, 24)
VISA = "4242 4242 4242 4242"


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    return sqlite_services


async def _add_card_form(pilot):
    await start_on(pilot, "payments", "alice", STRONG)
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AddCardScreen))


def _expiries(svc):
    return [(c.exp_month, c.exp_year) for c in svc.payments.cards(svc.accounts.get("alice").id)]


@pytest.mark.parametrize("typed", ["0130", "01/30", "1/30", "01 30"])
async def test_the_add_card_form_takes_the_expiry_as_typed(svc, typed):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await _add_card_form(pilot)
        await type_into(pilot, "#holder", "Alice")
        await type_into(pilot, "#number", VISA)
        await type_into(pilot, "#expiry", typed, keys=True)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))
    assert _expiries(svc) == [(1, 2030)]


@pytest.mark.parametrize(
    ("field", "wrong", "right", "message"),
    [
        ("expiry", "13/30", "12/30", "no month 13"),  # Enter in the field itself: it keeps the focus
        ("number", "4242 4242 4242 4241", VISA, "not valid"),  # the error sends the cursor back
    ],
)
async def test_typing_after_an_error_replaces_the_field(svc, field, wrong, right, message):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await _add_card_form(pilot)
        await type_into(pilot, "#holder", "Alice")
        await type_into(pilot, "#number", VISA if field != "number" else wrong)
        await type_into(pilot, "#expiry", "12/30" if field != "expiry" else wrong)
        await pilot.press("enter")
        await wait_until(pilot, lambda: message in text_of(app, "#card-error"))
        assert app.focused.id == field
        await pilot.press(*_keys(right))
        assert app.screen.query_one(f"#{field}").value == right
        await pilot.press("enter")
        if field == "number":
            await pilot.press("enter")  # from the number on to the expiry, then submit
        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))
    assert _expiries(svc) == [(12, 2030)]


async def test_a_step_up_password_error_selects_the_password(svc):
    """The same in another form (StepUpScreen): one wrong password, then the right one typed over."""
    from secconsole.tui.screens.stepup import StepUpScreen

    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "home", "alice", STRONG)
        app.push_screen(StepUpScreen(app.account, "Payments"))
        await wait_until(pilot, lambda: isinstance(app.screen, StepUpScreen))
        await pilot.press(*_keys("x"))
        app.screen.query_one("#password").value = "Not-the-password-1"  # kept: the check clears it
        app.screen.show_error("Check it.", "password")
        await pilot.pause()
        await pilot.press(*_keys("ab"))
        assert app.screen.query_one("#password").value == "ab"
