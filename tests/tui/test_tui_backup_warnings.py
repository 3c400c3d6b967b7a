"""Settings' warnings count the backups the account really has (core.views.Backups), driven by
keyboard at 80x24 on real account states."""

from __future__ import annotations

import pytest

from secconsole.store.models import MethodEnrollment
from secconsole.tui.dialogs.confirm import ConfirmDialog
from secconsole.tui.screens.settings import SettingsScreen

from conftest import STRONG
from tui_helpers import enroll_totp, make_app, start_on, text_of, wait_until

SIZE = (80, 24)
SRC = "test"


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source=SRC)
    enroll_totp(sqlite_services, "alice")
    alice = sqlite_services.accounts.get("alice")
    sqlite_services.way("question").set(alice.id, "In what city were you born?", "Paris", source=SRC)
    sqlite_services.alice_codes = sqlite_services.way("recovery").generate(alice.id, source=SRC)
    return sqlite_services


async def press_and_wait_for_dialog(pilot, selector: str) -> str:
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
    return text_of(pilot.app, "#dialog-message")


async def test_remove_question_counts_the_ten_recovery_codes(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        message = await press_and_wait_for_dialog(pilot, "#remove-question")
        assert message == ("Without it, when you cannot use the authenticator app, you have "
                           "10 recovery codes left, a code by email, then support.")


async def test_turning_off_one_of_two_methods_names_what_is_kept(svc):
    alice = svc.accounts.get("alice")
    with svc.db.transaction() as session:  # a text-message step as a row (no sms service yet)
        session.add(MethodEnrollment(account_id=alice.id, kind="sms", status="active", secret=b"sealed",
                                     detail="{}", created_at=svc.clock.now(), enabled_at=svc.clock.now()))
    svc.way("recovery").verify(alice.id, svc.alice_codes[0], source=SRC)
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        await press_and_wait_for_dialog(pilot, "#switch-totp")
        await pilot.press("y")
        await wait_until(pilot, lambda: "Are you sure" in text_of(app, ".card-title"))
        assert text_of(app, "#dialog-message") == (
            "Authenticator app code and its secret will be deleted now. You keep text messages. When you "
            "cannot use text messages, you have 9 recovery codes left, your security question, a code by "
            "email, then support.")


async def test_turning_off_the_email_fallback_says_what_is_left(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        app.screen.query_one("#switch-email").focus()
        await pilot.press("enter")
        expected = ("Email fallback is off: when you cannot use the authenticator app, you have "
                    "10 recovery codes left, your security question, then support.")
        await wait_until(pilot, lambda: expected in [n.message for n in app._notifications],
                         message=lambda: [n.message for n in app._notifications])
    assert not svc.accounts.get("alice").email_fallback_enabled


async def test_making_new_codes_counts_those_left(svc):
    alice = svc.accounts.get("alice")
    for code in svc.alice_codes[:3]:
        assert svc.way("recovery").verify(alice.id, code, source=SRC).ok
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        message = await press_and_wait_for_dialog(pilot, "#recovery")
        assert message == "Your 7 codes left stop working as soon as the new ones exist."
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
