"""Database faults as the console shows them: the fault's own message where the person acted (or
on the problem screen when the console cannot start), never "something went wrong"."""

from __future__ import annotations

from conftest import STRONG
from secconsole.services import open_services
from secconsole.tui.app import SecConsoleApp
from secconsole.tui.screens.problem import ProblemScreen
from secconsole.tui.screens.signin import SignInScreen
from tui_helpers import make_app, sign_in, text_of, wait_until

SIZE = (80, 24)


async def test_signing_in_to_a_read_only_database_says_so(alice_db, clock, hasher, read_only):
    config = alice_db
    read_only(config.db_url)
    services = open_services(config, clock=clock, hasher=hasher)
    try:
        app = make_app(services)
        async with app.run_test(size=SIZE) as pilot:
            await sign_in(pilot, "alice", STRONG)
            assert isinstance(app.screen, SignInScreen)
            shown = text_of(app, "#signin-error")
            assert "is read-only, so nothing can be changed" in shown and "Something went wrong" not in shown
    finally:
        services.close()


async def test_a_damaged_database_stops_the_console_with_its_reason(alice_db, clock):
    config = alice_db
    with open(config.db_url, "r+b") as handle:
        handle.write(b"\xa5" * 64)
    app = SecConsoleApp(config, clock=clock, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ProblemScreen))
        shown = text_of(app, "#problem-message")
        assert "is damaged (file is not a database)" in shown and "Restore it from a backup" in shown
