"""A console dialog closes once: two quick presses on its button (a terminal delivers both before
either is handled) must not also pop the screen under it (a stranger's Enter Enter on "Turn
off...?" Cancel closed Settings too)."""

from __future__ import annotations

from textual import events

from secconsole.tui.dialogs.confirm import ConfirmDialog

from conftest import STRONG
from tui_helpers import make_app, start_on, wait_until

SIZE = (80, 24)


async def test_two_quick_presses_on_a_dialog_close_it_and_nothing_under_it(sqlite_services):
    sqlite_services.accounts.create("carol", "carol@example.com", STRONG, source="test")
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "carol", STRONG)
        settings = app.screen
        app.push_screen(ConfirmDialog("Turn off?", "Really?", confirm="Turn off"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        app.screen.query_one("#cancel").focus()
        await pilot.pause()
        for _ in range(2):
            app.post_message(events.Key("enter", None))
        await pilot.pause()
        await pilot.pause()
        assert app.screen is settings
