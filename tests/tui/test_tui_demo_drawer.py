"""The demo's Dev drawer (issue 16) at 80x24: F12 toggles it; it shows what the core has (the
outbox, the authenticator code, the waiting app prompt, audit events, locks) and follows changes;
Approve and Deny answer as a demo phone through the console's own push API; Unlock clears a lock.
None of it exists in the normal console."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from secconsole.demo import DEMO_ACCOUNTS
from secconsole.demo.seed import seed
from secconsole.tui.screens.challenge import ChallengeScreen
from secconsole.tui.screens.home import HomeScreen

from push_helpers import Phone
from tui_helpers import make_app, sign_in, text_of, wait_until

SIZE = (80, 24)
CAROL = DEMO_ACCOUNTS[2]


@pytest.fixture
def svc(sqlite_services):
    from dataclasses import replace

    sqlite_services.config = replace(sqlite_services.config, demo=True)
    seed(sqlite_services)
    return sqlite_services


def push_on(svc, username: str = "carol") -> None:
    """App prompts on for the account, as the pairing wizard leaves them (a phone paired, the test
    prompt approved), and the clock past any wait."""
    push = svc.push()
    account = svc.accounts.get(username)
    phone = Phone(push, account.id, name="Owner's phone")
    push.begin(account.id, source="test")
    phone.approve(push.prompt(account.id).number)
    assert push.confirm(account.id, source="test").ok
    svc.clock.advance(seconds=10)


def drawer_text(app, part: str) -> str:
    return text_of(app, f"#demo-drawer #drawer-{part}")


async def open_drawer(pilot) -> None:
    await pilot.press("f12")
    await wait_until(pilot, lambda: "Account:" in drawer_text(pilot.app, "account"))


async def test_f12_toggles_the_drawer_and_it_shows_what_the_core_has(svc):
    from secconsole.core.delivery import recent_outbox
    from secconsole.core.totp import code_at

    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_drawer(pilot)
        drawer = app.screen.query_one("#demo-drawer")
        assert drawer.region.right == SIZE[0] and drawer.region.height == SIZE[1]  # fits 80x24, docked right
        assert "Account: alice" in drawer_text(app, "account")  # no one signed in: the first demo account
        newest = recent_outbox(svc.db, svc.box, limit=1)[0]
        assert drawer_text(app, "outbox").splitlines()[0] == f"{newest.at:%H:%M:%S} {newest.channel} {newest.to}"
        secret, params = svc.way("totp").secret_and_params(svc.accounts.get("alice").id)
        code = code_at(secret, svc.clock.now(), params)
        left = params.period - int(svc.clock.now().timestamp()) % params.period
        assert drawer_text(app, "totp") == f"{code[:3]} {code[3:]}   {left} s left"
        assert drawer_text(app, "prompt") == "App prompts are off for this account."
        newest_event = svc.accounts.recent_events("alice", limit=1)[0]
        assert newest_event.description in drawer_text(app, "events").splitlines()[0]
        assert text_of(app, "#lock-signin") == "Password sign-in\n  open"
        assert not app.screen.query_one("#unlock-signin").parent.display  # open rows are summed up
        assert drawer_text(app, "locks-summary") == "Every way is open, no failed tries."
        await pilot.press("f2")  # the browser's key (serve-web: F12 opens the browser's tools)
        await wait_until(pilot, lambda: not app.screen.query("#demo-drawer"))


async def test_the_drawer_follows_the_outbox_the_code_and_the_account(svc):
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_drawer(pilot)
        dave = svc.accounts.get("dave")
        svc.clock.advance(seconds=31)
        svc.way("sms").begin(dave.id, source="test")  # a new text message, newest first within a second
        from secconsole.core.delivery import recent_outbox

        sent = recent_outbox(svc.db, svc.box, limit=1)[0]
        code = sent.body.partition("code: ")[2][:6]
        await wait_until(pilot, lambda: f"code {code}" in drawer_text(app, "outbox").splitlines()[1])
        for name in ("alice", "bob", "carol"):  # "Next account" chooses one
            await pilot.click("#drawer-next")
            await wait_until(pilot, lambda: f"Account: {name}" == drawer_text(app, "account"))
        assert drawer_text(app, "totp") == "Off for this account."


async def _carol_challenged(pilot, svc):
    app = pilot.app
    await sign_in(pilot, "carol", CAROL.password)
    await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen))
    await open_drawer(pilot)
    await wait_until(pilot, lambda: drawer_text(app, "prompt").startswith("Waiting: the console shows"))
    number = svc.push().prompt(svc.accounts.get("carol").id).number
    assert f"shows {number} ·" in drawer_text(app, "prompt")
    assert "Account: carol (auto)" == drawer_text(app, "account")


async def test_approve_signs_the_waiting_challenge_in_through_the_push_api(svc):
    push_on(svc)
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await _carol_challenged(pilot, svc)
        await pilot.click("#drawer-approve")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), timeout=15)
        # the demo phone paired itself over HTTP and the drawer came along to Home
        assert [d.name for d in svc.push().devices(svc.accounts.get("carol").id)] == ["Owner's phone", "Demo drawer"]
        await wait_until(pilot, lambda: drawer_text(app, "prompt") == "Newest prompt: Used")


async def test_deny_shows_denied(svc):
    push_on(svc)
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await _carol_challenged(pilot, svc)
        await pilot.click("#drawer-deny")
        await wait_until(pilot, lambda: drawer_text(app, "status") == "Denied.", timeout=15)
        await wait_until(pilot, lambda: drawer_text(app, "prompt") == "Newest prompt: Denied")
        assert isinstance(app.screen, ChallengeScreen)
        assert svc.push().prompt(svc.accounts.get("carol").id).status == "denied"


def lock(svc, key: str) -> None:
    from secconsole.store.models import Throttle

    with svc.db.transaction() as session:
        row = session.get(Throttle, key) or Throttle(key=key)
        row.failures, row.last_failure_at = 10, svc.clock.now() - timedelta(seconds=1)
        row.locked_at, row.next_allowed_at = svc.clock.now(), None
        session.add(row)


async def test_unlock_clears_a_lock(svc):
    lock(svc, "signin:alice")
    assert svc.accounts.get("alice").locked
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_drawer(pilot)
        await wait_until(pilot, lambda: text_of(app, "#lock-signin").startswith("Password sign-in\n  LOCKED"))
        assert "10 failed" in text_of(app, "#lock-signin")
        assert drawer_text(app, "locks-summary") == "Every other way is open."
        await pilot.click("#unlock-signin")
        await wait_until(pilot, lambda: text_of(app, "#lock-signin") == "Password sign-in\n  open")
        assert drawer_text(app, "status") == "Unlocked."
    assert not svc.accounts.get("alice").locked


DRAWER_MODULES = ("secconsole.tui.demo.drawer", "secconsole.tui.demo.device", "secconsole.demo.drawer")


async def test_there_is_no_drawer_in_the_normal_console(svc):
    """F12 does nothing outside demo mode, and the drawer's modules are not even imported."""
    from dataclasses import replace

    svc.config = replace(svc.config, demo=False)
    saved = {name: sys.modules.pop(name) for name in DRAWER_MODULES if name in sys.modules}
    try:
        app = make_app(svc, demo=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f12", "f2")
            await pilot.pause(0.3)
            assert not app.screen.query("#demo-drawer")
            assert not [name for name in DRAWER_MODULES if name in sys.modules]
    finally:
        sys.modules.update(saved)


def test_the_drawers_core_refuses_outside_demo_mode(svc):
    from dataclasses import replace

    from secconsole.demo import drawer

    svc.config = replace(svc.config, demo=False)
    from types import SimpleNamespace

    from secconsole.tui.demo.drawer import toggle

    for call in (lambda: drawer.snapshot(svc, "alice"), lambda: drawer.unlock(svc, "alice", "signin"),
                 lambda: drawer.pairing_code(svc, "carol"), lambda: drawer.prompt_of(svc, "carol"),
                 lambda: toggle(SimpleNamespace(config=svc.config))):
        with pytest.raises(RuntimeError, match="outside demo mode"):
            call()


async def test_a_demo_phone_removed_in_settings_pairs_again(svc):
    push_on(svc)
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await _carol_challenged(pilot, svc)
        await pilot.click("#drawer-deny")
        await wait_until(pilot, lambda: drawer_text(app, "status") == "Denied.", timeout=15)
        carol = svc.accounts.get("carol")
        (demo,) = [d for d in svc.push().devices(carol.id) if d.name == "Demo drawer"]
        svc.push().remove_device(carol.id, demo.id, source="test")
        svc.clock.advance(seconds=10)  # past the wait after a denial
        svc.push().begin(carol.id, source="test", again=True)
        await wait_until(pilot, lambda: drawer_text(app, "prompt").startswith("Waiting"))
        await pilot.click("#drawer-approve")
        # approved (the challenge may also take it, sign in and use it: then Home has the drawer)
        await wait_until(pilot, lambda: svc.push().prompt(carol.id).status in ("approved", "used"), timeout=15)
        assert [d.name for d in svc.push().devices(carol.id)] == ["Owner's phone", "Demo drawer"]


def test_the_drawer_shows_and_changes_only_the_seeded_accounts(svc):
    """Someone may create an account in the demo: its codes are not the drawer's to show."""
    from conftest import STRONG
    from secconsole.demo import drawer

    svc.accounts.create("eve", "eve@example.com", STRONG, source="test")
    svc.push().set_api_url("http://127.0.0.1:9")  # so pairing would get as far as a code
    for call in (lambda: drawer.snapshot(svc, "eve"), lambda: drawer.unlock(svc, "eve", "signin"),
                 lambda: drawer.pairing_code(svc, "eve")):
        with pytest.raises(RuntimeError, match="only the seeded accounts"):
            call()


async def test_signed_in_as_an_account_made_in_the_demo_the_drawer_shows_a_seeded_one(svc):
    from conftest import STRONG

    svc.accounts.create("eve", "eve@example.com", STRONG, source="test")
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "eve", STRONG)
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await open_drawer(pilot)
        assert drawer_text(app, "account") == "Account: alice (auto)"
        assert drawer_text(app, "status") == ""


async def test_the_demo_phone_pairs_in_the_wizard_and_approves_its_test_prompt(svc):
    """App prompts turned on with no phone: the drawer's phone pairs through the API, the wizard
    lists it, and Approve answers the wizard's test prompt."""
    from secconsole.tui.dialogs.confirm import ConfirmDialog
    from secconsole.tui.methods.push import EnrollPushScreen

    app = make_app(svc, demo=True, start_as="carol", open_screen="enroll-push")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, EnrollPushScreen) and app.screen.offer is not None)
        await open_drawer(pilot)
        assert drawer_text(app, "prompt") == "App prompts are off for this account."
        await pilot.click("#drawer-pair")
        await wait_until(pilot, lambda: drawer_text(app, "status") == "The demo phone is paired.", timeout=15)
        await wait_until(pilot, lambda: "Demo drawer" in text_of(app, ".device-line"))
        app.screen.query_one("#test").press()  # under the drawer: pressed as Enter would
        await wait_until(pilot, lambda: drawer_text(app, "prompt").startswith("Waiting"))
        await pilot.click("#drawer-approve")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=15)  # on; codes offered
        assert svc.accounts.get("carol").method("push").enabled


async def test_the_drawer_takes_the_keys_and_gives_them_back(svc):
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "username")
        await open_drawer(pilot)
        await wait_until(pilot, lambda: app.focused.id == "drawer-next")
        await pilot.press("enter")  # Next account, by key
        await wait_until(pilot, lambda: drawer_text(app, "account") == "Account: alice")
        await pilot.press("tab")
        assert app.focused.id == "drawer-pair"  # Approve and Deny are off: nothing waits
        await pilot.press("f12")
        await wait_until(pilot, lambda: app.focused.id == "username")


async def test_text_from_people_shows_as_typed(svc):
    """Sources and addresses reach the drawer as text, never as markup ("[/]" would end the app)."""
    svc.accounts.unlock("alice", source="ssh [/]203.0.113.9 [b]x[/b]")  # nothing to clear: audited, no notice
    lock(svc, "signin:alice")
    svc.accounts.unlock("alice", source="ssh [/]203.0.113.9 [b]x[/b]")
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_drawer(pilot)
        await wait_until(pilot, lambda: "Account unlocked (ssh [/]203.0.113…" in drawer_text(app, "events"),
                         message=lambda: drawer_text(app, "events"))  # long lines are cut, not wrapped
