"""SVG snapshots of the demo's Dev drawer (issue 16) at 80x24 and at the 60x20 minimum. The demo
accounts are made without their random secrets (no authenticator, no text message), so every
line is the same on every run; alice's password sign-in is locked to show a row with Unlock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from secconsole.demo import DEMO_ACCOUNTS, DEMO_SOURCE

from tui_helpers import make_app, wait_until


@pytest.fixture
def svc(sqlite_services):
    from secconsole.store.models import Throttle

    sqlite_services.config = replace(sqlite_services.config, demo=True)
    for demo in DEMO_ACCOUNTS:
        sqlite_services.accounts.create(demo.username, demo.email, demo.password, source=DEMO_SOURCE)
    now = sqlite_services.clock.now()
    with sqlite_services.db.transaction() as session:
        session.add(Throttle(key="signin:alice", failures=10, last_failure_at=now - timedelta(seconds=1),
                             locked_at=now))
    return sqlite_services


async def _open(pilot) -> None:
    await pilot.press("f12")
    await wait_until(pilot, lambda: "LOCKED" in str(pilot.app.screen.query_one("#lock-signin").visual))
    await pilot.pause()


def test_dev_drawer(snap_compare, svc):
    assert snap_compare(make_app(svc, demo=True), run_before=_open, terminal_size=(80, 24))


def test_dev_drawer_at_the_minimum_size(snap_compare, svc):
    assert snap_compare(make_app(svc, demo=True), run_before=_open, terminal_size=(60, 20))
