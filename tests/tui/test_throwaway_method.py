"""A method registered only here (tests/throwaway_method.py: its own module plus one registry
line) appears in Settings, the challenge and `login --method` with no other edit."""

from __future__ import annotations

import io

import pytest

from conftest import STRONG, make_config
from throwaway_method import SPEC, registered
from tui_helpers import make_app, sign_in, type_into, wait_until


@pytest.fixture
def pin_services(tmp_path, clock):
    from secconsole.services import open_services

    with registered():
        services = open_services(make_config(tmp_path), clock=clock)
        account = services.accounts.create("alice", "alice@example.com", STRONG, source="t")
        services.way("pin").enroll(account.id, "4711", source="t")
        yield services
        services.close()


async def test_settings_row_and_challenge(pin_services):
    from secconsole.tui.screens.challenge import ChallengeScreen
    from secconsole.tui.screens.home import HomeScreen
    from secconsole.tui.screens.settings import SettingsScreen

    app = make_app(pin_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "alice", STRONG)
        assert isinstance(app.screen, ChallengeScreen) and app.screen.way.kind == "pin"
        assert SPEC.choice in str(app.screen.query_one("#challenge-lead").visual)
        await type_into(pilot, "#code", "1234")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "not right" in str(app.screen.query_one("#challenge-error").visual))
        await type_into(pilot, "#code", "4711")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert SPEC.label in str(app.screen.query_one("#home-summary").visual)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        row = app.screen.query_one("#row-pin")
        assert row.switch.value and SPEC.label in str(row.query_one(".setting-name").visual)


def test_login_method_choice(pin_services, tmp_path, monkeypatch, capsys):
    from secconsole.cli import main

    data = str(tmp_path / "data")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{STRONG}\n"))
    assert main(["--data-dir", data, "login", "alice", "--password-stdin", "--method", "pin", "--code", "4711"]) == 0
    out = capsys.readouterr().out
    assert "second step: pin" in out and "signed in as alice" in out


def test_without_registration_it_is_unknown(tmp_path, capsys):
    from secconsole.cli import main

    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path), "login", "alice", "--password-stdin", "--method", "pin"])
    assert "invalid choice: 'pin'" in capsys.readouterr().err
