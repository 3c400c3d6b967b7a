"""The authenticator wizard's scan step: notices never cover the QR code (issue 12, item 14) and the
code follows the window's size (item 15)."""

from __future__ import annotations

import pytest
from textual.widgets import Footer
from textual.widgets._toast import Toast

from secconsole.tui.methods.totp import EnrollTotpScreen
from secconsole.tui.widgets.qr import QrCode

from conftest import STRONG
from tui_helpers import make_app, start_on, text_of, wait_until


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("carol", "carol@example.com", STRONG, source="test")
    return sqlite_services


async def to_scan(pilot) -> EnrollTotpScreen:
    await start_on(pilot, "enroll-totp", "carol", STRONG)
    await pilot.press("enter")  # Continue
    await wait_until(pilot, lambda: bool(pilot.app.screen.query("#qr")))
    await pilot.pause()
    return pilot.app.screen


def toasts(app) -> list[Toast]:
    return list(app.screen.query(Toast))


async def test_notices_during_the_scan_go_to_the_reserved_line_not_over_the_code(svc):
    app = make_app(svc)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await to_scan(pilot)
        qr = screen.query_one("#qr", QrCode)
        await pilot.press("c")  # copy the link: "sent to your clipboard"
        await pilot.pause()
        # A server notice (serve-ssh's idle warning arrives as app.notify from a signal handler).
        app.notify("No key pressed for a while: this session closes in 60 seconds unless you press one.",
                   title="Still there?", severity="warning", timeout=60, markup=False)
        await pilot.pause(0.2)
        assert toasts(app) == []
        assert not any(t.region.overlaps(qr.region.grow((1, 2, 1, 2))) for t in toasts(app))
        line = screen.query_one("#scan-notice")
        assert "Still there?: No key pressed" in text_of(app, "#scan-notice")
        assert line.region.height >= 1 and not line.region.overlaps(qr.region)
        assert app.screen.region.contains_region(line.region)
        # Leaving the scan step hands a notice still due back to a toast.
        await pilot.press("enter")  # Next: enter a code
        await pilot.pause(0.2)
        assert any(t._notification.title == "Still there?" for t in toasts(app))
        await pilot.press("escape")


async def test_the_large_code_falls_back_when_the_window_shrinks(svc):
    app = make_app(svc)
    async with app.run_test(size=(140, 48), notifications=True) as pilot:
        screen = await to_scan(pilot)
        await pilot.press("l")
        await pilot.pause()
        assert screen.query_one("#qr", QrCode).large
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        qr = screen.query_one("#qr", QrCode)
        assert not qr.large
        assert screen.region.contains_region(qr.region) and qr.region.height <= 21
        assert "smaller code" in text_of(app, "#scan-notice")
        assert toasts(app) == []
        assert not screen.query_one("#large").display  # no larger code offered at 80x24


async def test_where_no_code_fits_the_key_and_the_copy_link_take_over(svc):
    app = make_app(svc)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await to_scan(pilot)
        await pilot.resize_terminal(60, 20)
        await pilot.pause(0.2)
        assert not screen.query_one("#qr-slot").display
        assert text_of(app, "#scan-title") == "Type this key in your app"
        assert "too small for the QR code" in text_of(app, "#scan-note")
        key = screen.query_one("#secret-key")
        assert key.region.height and screen.region.contains_region(key.region)
        assert text_of(app, "#secret-key").replace(" ", "") == screen.pending.secret
        footer = screen.query_one(Footer)
        assert footer.display and screen.region.contains_region(footer.region)
        keys = [b.binding.key for b in app.screen.active_bindings.values() if b.enabled and b.binding.show]
        assert "c" in keys and "escape" in keys
        assert app.focused is screen.query_one("#to-verify")
        assert screen.region.contains_region(app.focused.region)
        await pilot.press("c")
        await pilot.pause()
        assert "clipboard" in text_of(app, "#scan-notice")
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert screen.query_one("#qr-slot").display
        assert text_of(app, "#scan-title") == "Scan this code with your app"
