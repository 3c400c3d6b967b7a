"""Several devices paired to one account (issue 14): Settings' "Manage devices" on the mobile app
prompt row opens their list (name, paired, last used, Remove with a keyboard confirm, Pair another
device); the pairing wizard fits beside its QR code with devices listed, at 80x24 and 60x20."""

from __future__ import annotations

import pytest

from secconsole.core.methods.push import NO_DEVICE
from secconsole.tui.dialogs.confirm import ConfirmDialog
from secconsole.tui.methods.push import EnrollPushScreen
from secconsole.tui.screens.settings import SettingsScreen

from conftest import STRONG
from method_drivers import Push
from push_helpers import Phone
from test_tui_push import carol, svc  # noqa: F401 (the same account and fixture)
from tui_helpers import make_app, start_on, text_of, wait_until

SIZE = (80, 24)
HOSTILE = ("iPad [bold]x[/]", "[link=https://evil.example]tap[/link] [@click=app.quit]q[/]")


@pytest.fixture
def enrolled(svc):
    """Mobile app prompts on with a phone, and a tablet whose owner named it with markup."""
    Push(svc, carol(svc).id).enroll()
    Phone(svc.way("push"), carol(svc).id, name=HOSTILE[0])
    return svc


async def test_manage_devices_is_on_the_row_only_while_prompts_are_on(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "carol", STRONG)
        screen = app.screen
        assert isinstance(screen, SettingsScreen) and not screen.query_one("#push-buttons").display
        await pilot.press("d")
        assert app.screen is screen  # no binding while off
    Push(svc, carol(svc).id).enroll()
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "carol", STRONG)
        await wait_until(pilot, lambda: app.screen.query_one("#push-buttons").display)
        # Down from the switch reaches the button (the page's focus order), Enter opens the list.
        app.screen.query_one("#switch-push").focus()
        await pilot.press("down")
        assert app.focused.id == "manage-devices"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, EnrollPushScreen) and bool(app.screen.query("#device-0")))
        assert app.screen.query_one("#steps").current == "devices-step" and "Pixel 8" in text_of(app, "#device-0")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.press("d")  # its binding
        await wait_until(pilot, lambda: isinstance(app.screen, EnrollPushScreen))


async def test_device_names_show_as_typed_never_as_markup(enrolled):
    Phone(enrolled.way("push"), carol(enrolled).id, name=HOSTILE[1])
    app = make_app(enrolled)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "enroll-push", "carol", STRONG)
        await wait_until(pilot, lambda: bool(app.screen.query("#device-2")))
        for n, name in enumerate(HOSTILE, 1):
            assert name in text_of(app, f"#device-{n}")
            assert "last used" in text_of(app, f"#device-{n}")
        await pilot.press("a")  # pair another: the names beside the QR code too
        await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
        lines = [str(w.visual) for w in app.screen.query("#devices .device-line")]
        assert lines[1:] == list(HOSTILE)
        assert not any(span.style and "link" in str(span.style) for w in app.screen.query(".device-line")
                       for span in getattr(w.visual, "spans", []))


async def test_remove_one_device_with_the_keyboard_then_the_last_says_what_it_means(enrolled):
    app = make_app(enrolled)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start_on(pilot, "enroll-push", "carol", STRONG)
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.query("#device-1")))
        screen.query_one("#manage-remove-1").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert HOSTILE[0] in str(app.screen.query_one(".card-title").visual)
        await pilot.press("n")  # no: nothing removed
        await wait_until(pilot, lambda: app.screen is screen)
        assert len(enrolled.way("push").devices(carol(enrolled).id)) == 2
        screen.query_one("#manage-remove-1").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "only paired device" not in str(app.screen.query_one("#dialog-message").visual)
        await pilot.press("y")
        await wait_until(pilot, lambda: app.screen is screen and not screen.query("#device-1"))
        assert [d.name for d in enrolled.way("push").devices(carol(enrolled).id)] == ["Pixel 8"]
        # The last one: prompts stay on (as the core keeps them) but nothing can answer them.
        screen.query_one("#manage-remove-0").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        message = str(app.screen.query_one("#dialog-message").visual)
        assert "only paired device" in message and "stay on" in message and "another way" in message
        await pilot.press("y")
        await wait_until(pilot, lambda: app.screen is screen and bool(screen.query("#device-list .device-none")))
        assert enrolled.way("push").devices(carol(enrolled).id) == []
        assert carol(enrolled).method("push").enabled
        assert carol(enrolled).method("push").detail["summary"] == NO_DEVICE
        assert app.focused.id == "pair-another"
        # Settings says so on the row whose switch stays on.
        app.open_route("settings")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        row = app.screen.query_one("#row-push")
        await wait_until(pilot, lambda: NO_DEVICE in str(row.query_one(".setting-detail").visual))
        assert row.switch.value


async def test_the_settings_summary_names_the_devices_paired_now(enrolled):
    assert carol(enrolled).method("push").detail["summary"] == f"Pixel 8, {HOSTILE[0]}"


@pytest.mark.parametrize("size", [SIZE, (60, 20)])
async def test_the_pairing_step_fits_with_devices_listed(svc, size):
    """Three devices, two with names as long as a device may send (60 characters)."""
    for name in ("Pixel 8", "A tablet with a rather long name that its owner typed in full", "B" * 60):
        Phone(svc.way("push"), carol(svc).id, name=name)
    app = make_app(svc)
    async with app.run_test(size=size) as pilot:
        await start_on(pilot, "enroll-push", "carol", STRONG)
        screen = app.screen
        await wait_until(pilot, lambda: screen.offer is not None and len(screen.query("#devices .device-row")) == 3)
        await pilot.pause()
        column = screen.query_one("#pair-text")
        assert column.max_scroll_y == 0, column.virtual_size
        assert screen.query_one("#qr-slot").display == (size == SIZE)
        for button in ("#remove-2", "#test", "#cancel"):
            region = screen.query_one(button).region
            assert region.height and column.region.contains_region(region), button


@pytest.mark.parametrize("size", [SIZE, (60, 20)])
async def test_the_device_list_fits_with_two_devices(enrolled, size):
    app = make_app(enrolled)
    async with app.run_test(size=size) as pilot:
        await start_on(pilot, "enroll-push", "carol", STRONG)
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.query("#device-1")))
        await pilot.pause()
        step = screen.query_one("#devices-step")
        assert step.max_scroll_y == 0, step.virtual_size
        assert step.region.contains_region(screen.query_one("#devices-close").region)


async def test_devices_arriving_as_the_wizard_closes_do_not_crash_it(enrolled):
    """The device check runs in a worker; the rows it mounts may land after the screen closed."""
    app = make_app(enrolled)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "enroll-push", "carol", STRONG)
        await wait_until(pilot, lambda: bool(app.screen.query("#device-1")))
        screen = app.screen
        devices = screen.devices
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is not screen)
        await screen._show_devices(devices[:1])  # what a late worker does: no NoMatches


async def test_a_removal_that_ends_after_the_wizard_closed_does_not_crash_it(enrolled):
    """Enter twice on the confirm's Remove: the second reaches the list (Close) while the removal
    still runs; what the removal does after it (the list again, the focus) finds no screen."""
    app = make_app(enrolled)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "enroll-push", "carol", STRONG)
        await wait_until(pilot, lambda: bool(app.screen.query("#device-1")))
        screen = app.screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is not screen)
        screen._focus_first()  # what `_remove` does last: no NoMatches
