"""A database others can read: the console says so in the operator's log, and on screen only at
a local terminal (an SSH or browser user cannot fix the server's files)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conftest import make_config
from secconsole.services import open_services
from secconsole.tui.app import SecConsoleApp
from tui_helpers import wait_until

WARNING = "can be read by other users (mode 0644"


@pytest.mark.parametrize(("source", "toast"), [("local /dev/pts/3", True), ("ssh 198.51.100.7", False)])
async def test_an_open_database_is_warned_about_in_the_log_and_locally_on_screen(tmp_path, clock, source, toast):
    config = replace(make_config(tmp_path), source=source, log_file=tmp_path / "console.log")
    open_services(config, clock=clock).close()
    Path(config.db_url).chmod(0o644)
    app = SecConsoleApp(config, clock=clock, cursor_blink=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.loaded_services is not None)
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert any(WARNING in m for m in shown) is toast, shown
        app.loaded_services.close()
    assert WARNING in config.error_log.read_text()
