"""Mobile app prompts in the console at 80x24 (issue 14): the pairing wizard (QR code and code, the
devices a phone pairs through the core, the test prompt that turns the method on) and the
challenge's panel (the number to tap, woken by a change: approval, denial, expiry, no device)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from secconsole.tui.methods.push import EnrollPushScreen
from secconsole.tui.screens.challenge import ChallengeScreen
from secconsole.tui.screens.home import HomeScreen

from conftest import STRONG
from method_drivers import Push
from push_helpers import API, Phone
from tui_helpers import make_app, sign_in, start_on, text_of, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.config = replace(sqlite_services.config, push_api_url=API)
    sqlite_services.accounts.create("carol", "carol@example.com", STRONG, source="test")
    return sqlite_services


def carol(svc):
    return svc.accounts.get("carol")


async def _pairing(pilot):
    app = pilot.app
    await start_on(pilot, "enroll-push", "carol", STRONG)
    await wait_until(pilot, lambda: app.screen.offer is not None and bool(app.screen.query("#qr")))
    return app.screen


async def test_pairing_shows_the_code_and_qr_then_lists_the_phone_that_paired(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _pairing(pilot)
        offer = screen.offer
        assert offer.grouped in text_of(app, "#pair-code") and "Expires in 10:00" in text_of(app, "#pair-expiry")
        qr = screen.query_one("#qr")
        assert qr.display and screen.query_one("#qr-slot").display and qr.region.height == qr.cells()[1]
        assert "None yet" in text_of(app, "#devices .device-none") and not screen.query_one("#test").display
        Phone(svc.way("push"), code=offer.grouped, name="Pixel [b]8[/]")  # a hostile name shows as typed
        await wait_until(pilot, lambda: bool(screen.query(".device-line")))
        assert text_of(app, "#devices .device-line") == "Pixel [b]8[/]"  # one line beside the QR code
        assert "Pixel [b]8[/]" in text_of(app, "#device-0") and "last used 2026-01-15 12:00" in text_of(app, "#device-0")
        assert screen.query_one("#test").display and app.focused.id == "test"


async def test_without_the_push_api_the_wizard_says_how_to_start_it(svc):
    svc.config = replace(svc.config, push_api_url=None)
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "enroll-push", "carol", STRONG)
        await wait_until(pilot, lambda: "serve-api" in text_of(app, "#pair-note"))
        assert "--push-api-url" in text_of(app, "#pair-note") and not app.screen.query("#qr")


async def test_the_test_prompt_approved_turns_the_method_on_and_a_denial_says_so(svc):
    from secconsole.tui.dialogs.confirm import ConfirmDialog

    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _pairing(pilot)
        phone = Phone(svc.way("push"), code=screen.offer.code)
        await wait_until(pilot, lambda: screen.query_one("#test").display)
        await pilot.click("#test")
        await wait_until(pilot, lambda: "Waiting" in text_of(app, "#test-status"))
        number = svc.way("push").prompt(carol(svc).id).number
        assert f"tap {number}." in text_of(app, "#test-lead")
        phone.deny()
        await wait_until(pilot, lambda: "Denied" in text_of(app, "#test-status"))
        assert not carol(svc).method("push").enabled
        svc.clock.advance(seconds=6)  # the wait after a denial
        await pilot.click("#test-again")
        await wait_until(pilot, lambda: "Waiting" in text_of(app, "#test-status"))
        phone.approve(svc.way("push").prompt(carol(svc).id).number)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # recovery codes offered
        assert carol(svc).method("push").enabled


async def test_remove_a_paired_device(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _pairing(pilot)
        Phone(svc.way("push"), code=screen.offer.code)
        await wait_until(pilot, lambda: bool(screen.query("#remove-0")))
        await pilot.click("#remove-0")
        await wait_until(pilot, lambda: not isinstance(app.screen, EnrollPushScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, EnrollPushScreen) and not screen.query(".device-line"))
        assert svc.way("push").devices(carol(svc).id) == []


# -- the challenge ---------------------------------------------------------------------------


@pytest.fixture
def phone(svc):
    driver = Push(svc, carol(svc).id)
    driver.enroll()
    svc.clock.advance(seconds=301)
    return driver.phone


async def _challenged(pilot):
    app = pilot.app
    await sign_in(pilot, "carol", STRONG)
    await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen) and app.screen.way is not None)
    await wait_until(pilot, lambda: "Waiting" in text_of(app, "#push-status"))
    return app.screen


@pytest.fixture
def any_svc(services):
    """``svc`` on SQLite and on PostgreSQL (the conftest's ``db_url`` parameters)."""
    services.config = replace(services.config, push_api_url=API)
    services.accounts.create("carol", "carol@example.com", STRONG, source="test")
    return services


async def test_an_approval_reaches_the_waiting_console_at_once(any_svc, monkeypatch):
    """PostgreSQL: the answer's NOTIFY wakes the panel's listener; SQLite: its short poll. The
    re-read without a wakeup is made a minute long, so a missed NOTIFY fails the bound."""
    import secconsole.tui.methods.push as push_tui

    monkeypatch.setattr(push_tui, "REREAD_SECONDS", 60.0)
    svc = any_svc
    driver = Push(svc, carol(svc).id)
    driver.enroll()
    svc.clock.advance(seconds=301)
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _challenged(pilot)
        number = svc.way("push").prompt(carol(svc).id).number
        assert str(screen.query_one("#push-number").value) == str(number)
        assert "Expires in 60 s" in text_of(app, "#push-countdown")
        assert not screen.query_one("#submit").display  # nothing to type, nothing to verify
        used = []
        verify = svc.way("push").verify

        def timed_verify(*args, **kwargs):  # the console saw the approval when its verify took it
            result = verify(*args, **kwargs)
            used.append(time.monotonic())
            return result

        monkeypatch.setattr(svc.way("push"), "verify", timed_verify)
        assert driver.phone.approve(number) == "approved"
        answered = time.monotonic()
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        seen = used[-1] - answered
        print(f"\napproval to the console taking it ({svc.db.engine.dialect.name}): {seen * 1000:.0f} ms")
        assert seen < 5


async def test_denial_shows_denied(svc, phone):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _challenged(pilot)
        phone.deny()
        await wait_until(pilot, lambda: "Denied" in text_of(app, "#push-status"))
        assert "Denied on your mobile app" in text_of(app, "#challenge-error") and isinstance(app.screen, ChallengeScreen)
        assert app.focused.id == "push-resend"
        assert screen.query_one("#push-number").value == ""


async def test_expiry_shows_expired_and_resend_sends_a_new_prompt(svc, phone):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await _challenged(pilot)
        first = svc.way("push").prompt(carol(svc).id)
        svc.clock.advance(seconds=61)
        await wait_until(pilot, lambda: "Expired" in text_of(app, "#push-status"))
        assert "expired" in text_of(app, "#challenge-error")
        svc.clock.advance(seconds=6)  # the wait after an expiry
        await pilot.press("r")
        await wait_until(pilot, lambda: "Waiting" in text_of(app, "#push-status"))
        assert svc.way("push").prompt(carol(svc).id).id != first.id


async def test_no_device_says_so_at_once(svc, phone):
    svc.way("push").remove_device(carol(svc).id, phone.id, source="test")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG)
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen) and app.screen.way is not None)
        await wait_until(pilot, lambda: app.screen.query_one("#challenge-error").display)
        assert "No paired device can answer" in text_of(app, "#challenge-error")
        assert app.screen.query_one("#give-up").display  # "I can't use this" leads on


async def test_in_demo_mode_a_device_pairs_and_approves_over_the_consoles_own_api(sqlite_services):
    """Demo mode starts its push API on a loopback port; a device written from the protocol page
    pairs from the link the wizard shows and approves the test prompt over real HTTP."""
    import asyncio
    from datetime import datetime, timezone

    from push_device import ScriptedDevice
    from secconsole.demo.seed import seed
    from secconsole.tui.dialogs.confirm import ConfirmDialog

    sqlite_services.clock.set(datetime.now(timezone.utc))  # the device signs with the real time
    seed(sqlite_services)
    app = make_app(sqlite_services, demo=True, start_as="carol", open_screen="enroll-push")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, EnrollPushScreen) and app.screen.offer is not None)
        link = app.screen.offer.link
        assert link.startswith("secconsole-push://pair?v=1&url=http%3A%2F%2F127.0.0.1%3A")
        device = await asyncio.to_thread(ScriptedDevice.pair, link=link, name="Test phone")
        await wait_until(pilot, lambda: bool(app.screen.query(".device-line")))
        assert "Test phone" in text_of(app, ".device-line")
        await pilot.click("#test")
        (prompt,) = await asyncio.to_thread(device.prompts, 5)
        number = sqlite_services.push().prompt(device_account_id(sqlite_services)).number
        reply = await asyncio.to_thread(device.answer, prompt, "approve", number)
        assert reply.status == 200 and reply.body["result"] == "approved"
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # on; recovery codes offered
    assert sqlite_services.accounts.get("carol").method("push").enabled


def device_account_id(services) -> int:
    return services.accounts.get("carol").id


async def test_a_refused_prompt_is_explained_once(svc, phone):
    """The reason (here: no device can answer) stands on the error line only, not twice."""
    svc.way("push").remove_device(carol(svc).id, phone.id, source="test")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG)
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen) and app.screen.way is not None)
        await wait_until(pilot, lambda: "No paired device" in text_of(app, "#challenge-error"))
        assert "No paired device" not in text_of(app, "#challenge-lead")
