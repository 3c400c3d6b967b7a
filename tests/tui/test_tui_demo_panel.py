"""Demo mode's sign-in panel shows the demo accounts' passwords only while they are true
(issue 12, item 12: over SSH with kept data, a changed password misled the next visitor)."""

from __future__ import annotations

import pytest

from secconsole.demo import DEMO_ACCOUNTS
from secconsole.demo.seed import seed
from secconsole.tui.screens.create_account import CreateAccountScreen
from secconsole.tui.screens.signin import SignInScreen

from tui_helpers import make_app, text_of, wait_until

ALICE = DEMO_ACCOUNTS[0]
NEW = "Quartz-Falcon-2026%"


@pytest.fixture
def svc(sqlite_services):
    from dataclasses import replace

    sqlite_services.config = replace(sqlite_services.config, demo=True)
    seed(sqlite_services)
    return sqlite_services


def change_alice(svc) -> None:
    account = svc.accounts.get("alice")
    svc.passwords.change_password(account.id, ALICE.password, NEW, source="test")


@pytest.mark.parametrize("throwaway", [True, False])
async def test_a_changed_demo_password_is_not_shown(svc, throwaway):
    change_alice(svc)
    app = make_app(svc, demo=True, throwaway=throwaway)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "password changed" in text_of(app, "#demo-panel"))
        panel = text_of(app, "#demo-panel")
        assert ALICE.password not in panel and NEW not in panel
        assert "alice  password changed" in panel
        assert DEMO_ACCOUNTS[1].password in panel  # bob's is still true


async def test_the_panel_checks_again_when_the_sign_in_screen_comes_back(svc):
    app = make_app(svc, demo=True, throwaway=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: ALICE.password in text_of(app, "#demo-panel"))
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, CreateAccountScreen))
        change_alice(svc)  # another session changes it meanwhile
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await wait_until(pilot, lambda: "password changed" in text_of(app, "#demo-panel"))
        assert ALICE.password not in text_of(app, "#demo-panel")
