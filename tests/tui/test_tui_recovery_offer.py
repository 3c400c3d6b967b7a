"""Recovery codes offered right after the first second step is on, and saved to a file only from
a local console (over SSH or the web the file would land on the server)."""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest

from secconsole.store.models import MethodEnrollment
from secconsole.tui.dialogs.confirm import ConfirmDialog
from secconsole.tui.dialogs.recovery_codes import RecoveryCodesDialog, is_local
from secconsole.tui.screens.settings import SettingsScreen

from conftest import STRONG
from tui_helpers import enroll_totp, make_app, start_on, text_of, type_into, wait_until

SIZE = (80, 24)
LOCAL = "local /dev/pts/3"


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("carol", "carol@example.com", STRONG, source="test")
    sqlite_services.config = replace(sqlite_services.config, source=LOCAL)
    return sqlite_services


async def turn_on_totp(pilot, svc) -> None:
    """Settings' switch opens the wizard; the phone's part is done through the core (the wizard's
    own steps have their tests), then the wizard closes as it does on success."""
    app = pilot.app
    await start_on(pilot, "settings", "carol", STRONG)
    app.screen.query_one("#switch-totp").focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
    wizard = app.screen
    enroll_totp(svc, "carol")
    wizard.dismiss(True)
    await pilot.pause()


def offered(app) -> bool:
    return isinstance(app.screen, ConfirmDialog) and text_of(app, ".card-title") == "Make recovery codes now?"


async def test_the_first_method_on_offers_recovery_codes_and_they_can_be_made(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await turn_on_totp(pilot, svc)
        await wait_until(pilot, lambda: offered(app))
        assert text_of(app, "#cancel") == "Not now"
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, RecoveryCodesDialog))
        assert len(app.screen.codes) == 10
        assert app.screen.query("#save")  # a local console may save them to a file
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: text_of(app, "#recovery-detail") == "10 of 10 left")
    assert svc.accounts.get("carol").recovery_codes_left == 10


async def test_not_now_makes_no_codes(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await turn_on_totp(pilot, svc)
        await wait_until(pilot, lambda: offered(app))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
    assert svc.accounts.get("carol").recovery_codes_left == 0


async def test_a_second_method_on_offers_nothing(svc):
    carol = svc.accounts.get("carol")
    with svc.db.transaction() as session:  # text messages already on (as a row: no sms service yet)
        session.add(MethodEnrollment(account_id=carol.id, kind="sms", status="active", secret=b"sealed",
                                     detail="{}", created_at=svc.clock.now(), enabled_at=svc.clock.now()))
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await turn_on_totp(pilot, svc)
        await pilot.pause(0.3)
        assert isinstance(app.screen, SettingsScreen)
    assert svc.accounts.get("carol").recovery_codes_left == 0


@pytest.mark.parametrize("source", ["ssh 198.51.100.7", "web 203.0.113.9"])
async def test_over_ssh_or_the_web_the_codes_can_only_be_copied(svc, source):
    svc.config = replace(svc.config, source=source)
    assert not is_local(source)
    svc.way("recovery")  # nothing made yet
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "carol", STRONG)
        app.screen.query_one("#recovery").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RecoveryCodesDialog))
        assert not app.screen.query("#save") and not app.screen.query("#save-path")
        assert app.screen.query("#copy")
        await pilot.press("s")  # the key does nothing either
        assert not app.screen.query("#save-path")


async def open_codes(pilot) -> None:
    app = pilot.app
    await start_on(pilot, "settings", "carol", STRONG)
    app.screen.query_one("#recovery").focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, RecoveryCodesDialog))
    await pilot.press("s")
    await wait_until(pilot, lambda: app.screen.query_one("#save-path").display)


async def test_saving_to_a_file_from_a_local_console(svc, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_codes(pilot)
        field = app.screen.query_one("#save-path")
        assert app.focused is field
        assert field.value == str(tmp_path / "secconsole-recovery-codes-carol.txt")  # the default: home
        codes = app.screen.codes
        await pilot.press("enter")
        saved = tmp_path / "secconsole-recovery-codes-carol.txt"
        await wait_until(pilot, saved.exists)
        await wait_until(pilot, lambda: any("were saved in" in str(n.message) for n in app._notifications))
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    text = saved.read_text()
    assert "recovery codes for carol" in text and svc.clock.now().strftime("%Y-%m-%d") in text
    assert all(code in text for code in codes)


@pytest.mark.parametrize("where, message", [
    ("missing/codes.txt", "There is no folder"),
    ("taken.txt", "already exists"),
])
async def test_a_bad_path_says_what_is_wrong_and_writes_nothing(svc, tmp_path, where, message):
    (tmp_path / "taken.txt").write_text("mine")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await open_codes(pilot)
        await type_into(pilot, "#save-path", str(tmp_path / where))
        await pilot.press("enter")
        await wait_until(pilot, lambda: message in text_of(app, "#save-error"))
        assert isinstance(app.screen, RecoveryCodesDialog)
    assert (tmp_path / "taken.txt").read_text() == "mine"
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("route", ["enroll-totp", "enroll-sms"])
async def test_a_wizard_opened_by_its_route_offers_them_too(svc, route):
    """``--open enroll-totp`` (or the palette) then the wizard: the same offer as from Settings."""
    from secconsole.tui.screens.home import HomeScreen

    carol = svc.accounts.get("carol")
    if route == "enroll-sms":
        svc.payments.add_card(carol.id, "Carol Kent", "4242 4242 4242 4242", "12/30", source="test")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, route, "carol", STRONG)
        wizard = app.screen
        if route == "enroll-totp":
            enroll_totp(svc, "carol")
        else:
            from method_drivers import sms_code

            way = svc.way("sms")
            number = way.check_number(carol.id, "01512 3456789", "DE")
            way.send_enrollment_code(carol.id, number, source="t")
            assert way.confirm(carol.id, number, sms_code(svc, carol.id), source="t").ok
        wizard.dismiss(True)
        await wait_until(pilot, lambda: offered(app))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
