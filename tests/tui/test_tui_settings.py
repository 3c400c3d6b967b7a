"""Settings › Password and Security, Payments and step-up, driven by keyboard at 80x24."""

from __future__ import annotations

import pytest

from db_helpers import answer_matches

from secconsole.core import audit
from secconsole.store.models import MethodEnrollment
from secconsole.tui.dialogs.confirm import ConfirmDialog
from secconsole.tui.screens.add_card import AddCardScreen
from secconsole.tui.screens.home import HomeScreen
from secconsole.tui.screens.payments import PaymentsScreen
from secconsole.tui.screens.security_question import SecurityQuestionScreen
from secconsole.tui.screens.settings import SettingsScreen
from secconsole.tui.screens.stepup import StepUpScreen
from secconsole.tui.screens.verify_identity import VerifyIdentityScreen

from conftest import STRONG
from tui_helpers import enroll_totp, make_app, sign_in, text_of, type_into, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    return sqlite_services


def enroll(svc, *kinds):
    """TOTP through its service; other kinds (no service yet) as rows."""
    account = svc.accounts.get("alice")
    secret = None
    for kind in kinds:
        if kind == "totp":
            secret = enroll_totp(svc, "alice")
        else:
            with svc.db.transaction() as session:
                session.add(MethodEnrollment(
                    account_id=account.id, kind=kind, status="active", secret=b"sealed", detail="{}",
                    created_at=svc.clock.now(), enabled_at=svc.clock.now(),
                ))
    svc.totp_secret = secret


async def open_settings(pilot):
    await sign_in(pilot, "alice", STRONG, totp=getattr(pilot.app.loaded_services, "totp_secret", None))
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen))


async def ask_to_turn_off_totp(pilot, key: str = "enter") -> None:
    """Settings open, the authenticator switch toggled: the first confirmation is up."""
    await open_settings(pilot)
    await focus_switch(pilot, "totp")
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))


async def reach_second_confirmation(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog)
                     and "Are you sure" in text_of(pilot.app, ".card-title"))


async def open_identity_form(pilot):
    await sign_in(pilot, "alice", STRONG)
    await pilot.press("p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PaymentsScreen))
    await pilot.press("i")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, VerifyIdentityScreen))


async def focus_switch(pilot, kind: str):
    pilot.app.screen.query_one(f"#switch-{kind}").focus()
    await pilot.pause()


def switch_value(app, kind):
    return app.screen.query_one(f"#switch-{kind}").value


async def test_rows_show_each_method_and_its_state(svc):
    enroll(svc, "totp")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        assert text_of(app, "#row-totp .setting-detail").startswith("On since 2026-01-15")
        assert text_of(app, "#row-push .setting-detail") == "Off"
        assert "verify your identity or add a billing method" in text_of(app, "#row-sms .setting-detail").lower()
        assert switch_value(app, "totp") and not switch_value(app, "push")


async def test_a_method_that_cannot_be_turned_on_has_a_disabled_switch_and_says_why(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_settings(pilot)
        switch = app.screen.query_one("#switch-sms")
        assert switch.disabled
        await focus_switch(pilot, "sms")
        assert app.focused is not switch  # up/down and Tab pass it by
        await pilot.click("#switch-sms")
        await pilot.pause()
        assert not switch_value(app, "sms") and isinstance(app.screen, SettingsScreen)
        assert "Verify your identity or add a billing method first" in text_of(app, "#row-sms .setting-detail")
    assert not svc.accounts.get("alice").has_second_step


@pytest.mark.parametrize("cancel_at", ["first", "second"])
@pytest.mark.parametrize("key", ["escape", "n"])
async def test_cancelling_either_confirmation_keeps_the_method(svc, cancel_at, key):
    enroll(svc, "totp")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await ask_to_turn_off_totp(pilot, "space")
        if cancel_at == "second":
            await reach_second_confirmation(pilot, "y")
        await pilot.press(key)
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert switch_value(app, "totp")
    assert svc.accounts.get("alice").method("totp").enabled


async def test_enter_on_the_first_dialog_cancels_because_cancel_has_focus(svc):
    enroll(svc, "totp")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await ask_to_turn_off_totp(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
    assert svc.accounts.get("alice").method("totp").enabled


async def test_delete_then_yes_delete_and_disable_with_arrows_and_enter(svc):
    enroll(svc, "totp", "sms")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await ask_to_turn_off_totp(pilot)
        assert text_of(app, "#confirm") == "Delete"
        await reach_second_confirmation(pilot, "left", "enter")
        assert text_of(app, "#confirm") == "Yes, delete and disable"
        assert "password alone" not in text_of(app, "#dialog-message")  # a text message step remains
        await pilot.press("left", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen) and not switch_value(app, "totp"))
    view = svc.accounts.get("alice")
    assert not view.method("totp").enabled and view.method("sms").enabled
    assert audit.METHOD_DISABLED in [e.kind for e in svc.accounts.recent_events("alice")]


async def test_disabling_the_last_method_warns_about_password_alone(svc):
    enroll(svc, "totp")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await ask_to_turn_off_totp(pilot)
        await reach_second_confirmation(pilot, "y")
        assert "protected by your password alone" in text_of(app, "#dialog-message")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: "Two-step method deleted" in text_of(app, "#activity"))
    assert not svc.accounts.get("alice").has_second_step


async def test_email_fallback_switch(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        app.screen.query_one("#switch-email").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: text_of(app, "#email-detail").startswith("Off"))
    assert not svc.accounts.get("alice").email_fallback_enabled


async def test_set_a_preset_question_then_write_my_own_then_remove(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, SecurityQuestionScreen))
        assert not app.screen.query_one("#own").display
        app.screen.query_one("#preset").value = 1
        await type_into(pilot, "#answer", "  New   York ")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: text_of(app, "#question-detail") == "In what city were you born?")
        assert answer_matches(svc, svc.accounts.get("alice").id, "new york")

        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, SecurityQuestionScreen))
        app.screen.query_one("#preset").value = "own"
        await pilot.pause()
        await type_into(pilot, "#own", "W" * 201)
        await type_into(pilot, "#answer", "anything")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "too long" in text_of(app, "#question-error"))
        assert app.focused.id == "own"
        await type_into(pilot, "#own", "[/] Which [b]teacher[/b] did you like?")
        await type_into(pilot, "#answer", "Mrs Patel")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: text_of(app, "#question-detail") == "[/] Which [b]teacher[/b] did you like?")

        app.screen.query_one("#remove-question").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen) and text_of(app, "#question-detail") == "Not set")
    assert svc.accounts.get("alice").security_question is None


async def test_step_up_asks_for_the_password_once_the_window_has_passed(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        svc.clock.advance(minutes=11)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, StepUpScreen))
        await type_into(pilot, "#password", "wrong")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "That password is not correct." in text_of(app, "#stepup-error"))
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, StepUpScreen))
        await type_into(pilot, "#password", STRONG)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))
        await pilot.press("escape")
        svc.clock.advance(minutes=9)
        await pilot.press("s")  # still inside the 10 minutes since the step-up
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
    kinds = [e.kind for e in svc.accounts.recent_events("alice")]
    assert audit.STEPUP_FAILED in kinds and audit.STEPUP_SUCCEEDED in kinds


async def test_add_a_bad_card_then_a_good_one_then_remove_it(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await sign_in(pilot, "alice", STRONG)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))
        assert "Text messages need a verified identity or a billing method" in text_of(app, "#sms-note")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddCardScreen))
        await type_into(pilot, "#holder", "[@click=app.quit]x")
        await type_into(pilot, "#number", "4242 4242 4242 4241")
        await type_into(pilot, "#expiry", "04/29")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "not valid" in text_of(app, "#card-error"))
        assert app.focused.id == "number"
        await type_into(pilot, "#number", "4242 4242 4242 4242")
        await type_into(pilot, "#expiry", "13/29")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "no month 13" in text_of(app, "#card-error"))
        await type_into(pilot, "#expiry", "04/29")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))
        await wait_until(pilot, lambda: app.screen.query_one("#cards").option_count == 1)
        option = app.screen.query_one("#cards").get_option_at_index(0)
        assert str(option.prompt) == "Visa ending in 4242, expires 04/2029  [@click=app.quit]x"
        assert text_of(app, "#sms-note").startswith("Unlocked")
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen) and app.screen.query_one("#no-cards").display)
        assert app.is_running
    assert svc.payments.cards(svc.accounts.get("alice").id) == []


async def test_demo_identity_verification_unlocks_text_messages(svc):
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_identity_form(pilot)
        await type_into(pilot, "#legal_name", "Alice Liddell")
        await type_into(pilot, "#birth_date", "2015-01-01")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "at least 18" in text_of(app, "#identity-error"))
        await type_into(pilot, "#birth_date", "1990-04-25")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen) and text_of(app, "#identity-detail") == "Verified")
        await pilot.press("escape", "s")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert "identity" not in text_of(app, "#row-sms .setting-detail").lower()


async def test_identity_outside_demo_needs_a_record(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await open_identity_form(pilot)
        await type_into(pilot, "#legal_name", "Alice Liddell")
        await type_into(pilot, "#birth_date", "1990-04-25")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Contact support" in text_of(app, "#identity-error"))
    assert not svc.accounts.get("alice").identity_verified


async def test_nist_says_the_question_does_not_count(tmp_path, clock):
    from dataclasses import replace

    from conftest import make_config
    from secconsole.services import open_services

    svc = open_services(make_config(tmp_path, policy="nist"), clock=clock)
    try:
        svc.accounts.create("alice", "alice@example.com", "violet orbit canyon drums", source="t")
        app = make_app(svc)
        async with app.run_test(size=SIZE) as pilot:
            await sign_in(pilot, "alice", "violet orbit canyon drums")
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
            assert "not used to sign in under the nist policy" in text_of(app, "#question-detail")
    finally:
        svc.close()


async def test_a_slow_read_that_started_before_a_write_does_not_overwrite_it(svc):
    """Returning from a confirm dialog starts a re-read; the confirmed write then re-reads too.
    If the first read comes back last, the screen must still show what the write did."""
    import threading
    import time as clock

    alice = svc.accounts.get("alice")
    svc.way("question").set(alice.id, "In what city were you born?", "Paris", source="test")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        screen = app.screen
        real_get = svc.accounts.get_by_id
        slow_once = threading.Event()

        def get_by_id(account_id):
            account = real_get(account_id)  # read now...
            if not slow_once.is_set():
                slow_once.set()
                clock.sleep(0.6)  # ...arrive late
            return account

        svc.accounts.get_by_id = get_by_id
        stale = screen.run_worker(screen.reread())
        await wait_until(pilot, slow_once.is_set)
        svc.way("question").remove(alice.id, source="test")
        await screen.reread()
        await stale.wait()
        await pilot.pause()
        assert text_of(app, "#question-detail") == "Not set"
