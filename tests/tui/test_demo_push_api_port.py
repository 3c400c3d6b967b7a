"""A kept demo database (`demo --db FILE`) starts its push API on the port it had last time, so
the phones paired with it still reach it; a port taken meanwhile gets a new one."""

from __future__ import annotations

import socket

from secconsole.tui.screens.signin import SignInScreen

from ssh_helpers import free_port
from tui_helpers import make_app, wait_until

SIZE = (80, 24)


async def _started_url(svc) -> str:
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen) and app.loaded_services is not None)
        return svc.push().api_url()


async def test_a_kept_demo_database_gets_its_last_port_back(sqlite_services):
    last = f"http://127.0.0.1:{free_port()}"
    sqlite_services.push().set_api_url(last)
    assert await _started_url(sqlite_services) == last


async def test_a_port_taken_meanwhile_gets_a_new_one(sqlite_services):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        last = f"http://127.0.0.1:{taken.getsockname()[1]}"
        sqlite_services.push().set_api_url(last)
        now = await _started_url(sqlite_services)
    assert now.startswith("http://127.0.0.1:") and now != last
