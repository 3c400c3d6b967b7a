"""SVG snapshots of every screen at 80x24 (sync tests: snap_compare runs the app itself).

Update after an intended change with ``pytest tests/test_snapshots.py --snapshot-update`` and look
at the report before committing."""

from __future__ import annotations

import pytest

from secconsole.tui.screens.change_password import ChangePasswordScreen
from secconsole.tui.screens.create_account import CreateAccountScreen
from secconsole.tui.screens.home import HomeScreen

from conftest import STRONG
from tui_helpers import make_app, settle, sign_in, type_into, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    return sqlite_services


def test_signin(snap_compare, svc):
    assert snap_compare(make_app(svc), terminal_size=SIZE)


def test_signin_demo(snap_compare, svc):
    assert snap_compare(make_app(svc, demo=True), terminal_size=SIZE)


def test_signin_light_theme(snap_compare, svc):
    assert snap_compare(make_app(svc), press=["ctrl+t"], terminal_size=SIZE)


def test_signin_error(snap_compare, svc):
    async def wrong(pilot):
        await sign_in(pilot, "alice", "not-the-password")

    assert snap_compare(make_app(svc), run_before=wrong, terminal_size=SIZE)


def test_create_account_checklist(snap_compare, svc):
    async def fill(pilot):
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CreateAccountScreen))
        await type_into(pilot, "#username", "erin")
        await type_into(pilot, "#email", "erin@example.com")
        await type_into(pilot, "#password", "erin-Password")
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=fill, terminal_size=SIZE)


def test_home(snap_compare, svc):
    async def enter(pilot):
        await sign_in(pilot, "alice", STRONG)

    assert snap_compare(make_app(svc), run_before=enter, terminal_size=SIZE)


def test_home_with_password_reminder(snap_compare, svc):
    svc.clock.advance(days=120)

    async def enter(pilot):
        await sign_in(pilot, "alice", STRONG)
        assert isinstance(pilot.app.screen, HomeScreen)

    assert snap_compare(make_app(svc), run_before=enter, terminal_size=SIZE)


def test_change_password(snap_compare, svc):
    async def fill(pilot):
        await sign_in(pilot, "alice", STRONG)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChangePasswordScreen))
        await type_into(pilot, "#current", STRONG)
        await type_into(pilot, "#new", "Quartz-Falcon-2026%")
        await type_into(pilot, "#confirm", "Quartz-Falcon")
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=fill, terminal_size=SIZE)


def test_problem_screen(snap_compare, svc):
    from secconsole.tui.screens.problem import ProblemScreen

    message = (
        "The key file /srv/secconsole/secret.key is missing, but this database holds secrets encrypted "
        "with key 0123456789abcdef. Restore the file or point SECCONSOLE_KEY_FILE at it; a new key would "
        "make those secrets unreadable."
    )

    async def show(pilot):
        await pilot.app.push_screen(ProblemScreen(message))

    assert snap_compare(make_app(svc), run_before=show, terminal_size=SIZE)
