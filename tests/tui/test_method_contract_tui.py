"""The method contract's TUI half: every way a Settings switch turns on and off (each registered
one and the throwaway PIN, registered only here) has its row, and turns off only through the
two-step dialog ("Delete", then "Yes, delete and disable"); backing out of either step changes
nothing."""

from __future__ import annotations

import pytest

from conftest import STRONG
from method_drivers import WIZARD_KINDS, enrolled_way
from tui_helpers import make_app, start_on, wait_until


@pytest.fixture(params=WIZARD_KINDS)
def enrolled(request, config, clock):
    with enrolled_way(request, config, clock, request.param) as (spec, services, _driver):
        yield spec, services


async def _ask_to_turn_off(pilot, kind: str, expect_title: str):
    from secconsole.tui.dialogs.confirm import ConfirmDialog

    app = pilot.app
    await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog) and app.screen.is_current)
    app.screen.query_one(f"#switch-{kind}").focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog)
                     and expect_title in str(app.screen.query_one(".card-title").visual))


def _on(services, kind: str) -> bool:
    return services.accounts.get("alice").method(kind).enabled


async def test_turning_off_takes_both_steps_and_backing_out_changes_nothing(enrolled):
    from secconsole.tui.dialogs.confirm import ConfirmDialog
    from secconsole.tui.screens.settings import SettingsScreen

    spec, services = enrolled
    app = make_app(services)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_on(pilot, "settings", "alice", STRONG, method=spec.kind)
        row = app.screen.query_one(f"#row-{spec.kind}")
        assert row.switch.value and spec.label in str(row.query_one(".setting-name").visual)

        # Out at the first step ("Delete"), then at the second ("Yes, delete and disable").
        await _ask_to_turn_off(pilot, spec.kind, f"Turn off {spec.label}?")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await _ask_to_turn_off(pilot, spec.kind, f"Turn off {spec.label}?")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog)
                         and "Are you sure" in str(app.screen.query_one(".card-title").visual))
        assert "Yes, delete and disable" in str(app.screen.query_one("#confirm").visual)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.pause()
        assert _on(services, spec.kind) and app.screen.query_one(f"#switch-{spec.kind}").value

        # Both steps: deleted and off, on screen and in the database.
        await _ask_to_turn_off(pilot, spec.kind, f"Turn off {spec.label}?")
        await pilot.press("y")
        await wait_until(pilot, lambda: "Are you sure" in str(app.screen.query_one(".card-title").visual))
        await pilot.press("y")
        await wait_until(pilot, lambda: not _on(services, spec.kind))
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen)
                         and not app.screen.query_one(f"#switch-{spec.kind}").value)
        assert "was deleted and turned off" in " ".join(str(n.message) for n in app._notifications)
