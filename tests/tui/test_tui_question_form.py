"""The security-question form, by keyboard at 80x24."""

from __future__ import annotations

import pytest

from secconsole.tui.screens.security_question import SecurityQuestionScreen

from conftest import STRONG
from tui_helpers import make_app, start_on, text_of, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    return sqlite_services


@pytest.mark.parametrize("keys", [("end",), ("down",) * 7], ids=["end", "arrows"])
async def test_choosing_write_my_own_puts_the_cursor_in_the_labelled_new_field(svc, keys):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, SecurityQuestionScreen))
        assert app.focused.id == "preset"
        own = app.screen.query_one("#own")
        assert not own.display
        await pilot.press("enter")  # opens the list
        await pilot.pause()
        await pilot.press(*keys, "enter")  # "Write my own question", the last choice
        await wait_until(pilot, lambda: own.display and app.focused is own)
        # The field says what it is for and what to do, not just a silent cursor.
        assert "Your own question" in text_of(app, "#own-label")
        assert own.placeholder == "Type your question here"
        await pilot.press("W", "h", "o")
        assert own.value == "Who"
