"""The phone app (`secconsole phone`) at 80x24, keyboard only, against a real `serve-api` process on
a SQLite file: pairing in the dialog, prompts arriving with their context, picking the number,
deny and "It wasn't me", prompts answered elsewhere disappearing, notifications off and sign-out."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from conftest import STRONG
from push_device import ScriptedDevice
from push_helpers import ApiProcess
from secconsole.core.clock import ManualClock, SystemClock
from secconsole.phone.app import PhoneApp
from secconsole.phone.profile import Profile
from secconsole.phone.screens.pair import PairScreen
from secconsole.phone.screens.prompt import PromptScreen
from tui_helpers import text_of, type_into, wait_until

SIZE = (80, 24)
SRC = "test"


@pytest.fixture
def clock():
    """The console's clock: the real time (the API process has no other)."""
    return ManualClock(datetime.now(timezone.utc))


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source=SRC)
    return sqlite_services


@pytest.fixture
def api(svc, tmp_path):
    server = ApiProcess(svc.config, tmp_path)
    yield server
    server.stop()


@pytest.fixture
def push(svc):
    return svc.push()


@pytest.fixture
def alice(svc):
    return svc.accounts.get("alice")


@pytest.fixture
def profile(tmp_path):
    opened = Profile.open(tmp_path / "phone.json")
    yield opened
    opened.close()


def phone_app(profile) -> PhoneApp:
    return PhoneApp(profile, clock=SystemClock(), cursor_blink=False)


async def pair_in_the_dialog(pilot, push, alice, api, *, link: bool = True) -> None:
    offer = push.start_pairing(alice.id, api.url)
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PairScreen))
    if link:
        await type_into(pilot, "#pair-code", offer.link)
    else:
        await type_into(pilot, "#pair-code", offer.grouped.lower())
        await type_into(pilot, "#pair-url", api.url)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, PairScreen), timeout=15)


async def a_prompt(pilot) -> PromptScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen), timeout=15)
    return pilot.app.screen


async def test_pair_then_pick_the_right_number_signs_in(push, alice, api, profile):
    app = phone_app(profile)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        hint = text_of(app, "#phone-hint")
        assert "No account paired yet" in hint and "› Pair a device" not in hint  # no such button on the console
        assert "Settings › Mobile app prompt (or Manage devices › Pair another device)" in hint
        await pair_in_the_dialog(pilot, push, alice, api)
        assert [a.name for a in Profile._load(profile.path).accounts] == ["alice"]
        assert "alice" in str(app.screen.query_one("#accounts").get_option_at_index(0).prompt)
        push.begin(alice.id, source="ssh 203.0.113.9", host="console.example")
        shown = push.prompt(alice.id).number
        card = await a_prompt(pilot)
        details = text_of(app, "#prompt-details")
        assert "alice" in details and "ssh 203.0.113.9" in details and "console.example" in details
        assert text_of(app, "#prompt-title") == "Sign-in request" and "Expires in" in text_of(app, "#prompt-countdown")
        await pilot.press(str(card.prompt.numbers.index(shown) + 1), "v")
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=10)
        assert push.verify(alice.id, source=SRC).ok


async def test_pairing_with_a_typed_code_and_address_and_a_wrong_code_said_plainly(push, alice, api, profile):
    app = phone_app(profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, PairScreen))
        await type_into(pilot, "#pair-code", "0000-0000-0000")
        await type_into(pilot, "#pair-url", api.url)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "expired" in text_of(app, "#pair-error"), timeout=10)
        await pilot.press("escape")
        await pair_in_the_dialog(pilot, push, alice, api, link=False)
        assert profile.accounts[0].signed_in and profile.last_url == api.url


async def test_a_wrong_pick_is_denied_and_deny_denies(push, alice, api, profile, clock):
    app = phone_app(profile)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        push.begin(alice.id, source=SRC)
        shown = push.prompt(alice.id).number
        card = await a_prompt(pilot)
        await pilot.press("v")  # nothing picked yet: said, nothing sent
        assert "Pick a number first" in text_of(app, "#prompt-message")
        wrong = next(i for i, n in enumerate(card.prompt.numbers) if n != shown)
        await pilot.press(str(wrong + 1), "v")
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=10)
        assert "Denied" in push.verify(alice.id, source=SRC).message
        said = [str(n.message) for n in app._notifications]
        assert "Denied: that was not the number the console showed; the sign-in was refused." in said, said
        clock.set(datetime.now(timezone.utc).replace(microsecond=0))
        clock.advance(seconds=11)  # past the wait after a denial
        push.begin(alice.id, source=SRC, again=True)
        await a_prompt(pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=10)
        assert push.verify(alice.id, source=SRC).message == "Denied on your mobile app."
        assert "Denied: the sign-in to alice was refused." in [str(n.message) for n in app._notifications]


async def test_it_wasnt_me_asks_first_and_reports(push, alice, api, profile):
    app = phone_app(profile)
    async with app.run_test(size=SIZE) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        push.begin(alice.id, source=SRC)
        await a_prompt(pilot)
        await pilot.press("w")
        assert "y: yes, it wasn't me" in text_of(app, "#prompt-message")
        await pilot.press("n")  # changed my mind: nothing sent
        assert text_of(app, "#prompt-message") == "" and isinstance(app.screen, PromptScreen)
        await pilot.press("w", "y")
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=10)
        result = push.verify(alice.id, source=SRC)
        assert not result.ok and "you reported that it wasn't you" in result.message


async def test_hostile_text_from_the_server_shows_as_typed(push, alice, api, profile):
    app = phone_app(profile)
    async with app.run_test(size=SIZE) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        push.begin(alice.id, source="[@click=app.quit]x[/]", host="[red]x[/]")
        await a_prompt(pilot)
        details = text_of(app, "#prompt-details")
        assert "[@click=app.quit]x[/]" in details and "[red]x[/]" in details


async def test_a_prompt_answered_on_another_device_disappears(push, alice, api, profile):
    app = phone_app(profile)
    async with app.run_test(size=SIZE) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        tablet = ScriptedDevice.pair(link=push.start_pairing(alice.id, api.url).link, name="iPad")
        push.begin(alice.id, source=SRC)
        shown = push.prompt(alice.id).number
        await a_prompt(pilot)
        (prompt,) = tablet.prompts()
        assert tablet.answer(prompt, "approve", shown).body == {"result": "approved"}
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=10)
        assert app.inbox == {}


async def test_notifications_off_then_sign_out(push, alice, api, profile):
    app = phone_app(profile)
    async with app.run_test(size=SIZE) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        await pilot.press("t")
        await wait_until(pilot, lambda: not profile.notifications, timeout=10)
        assert [d.notifications for d in push.devices(alice.id)] == [False]
        assert "notifications off" in text_of(app, "#phone-header")
        assert not Profile._load(profile.path).notifications
        await pilot.press("t")
        await wait_until(pilot, lambda: profile.notifications, timeout=10)
        await pilot.press("s")
        await wait_until(pilot, lambda: not profile.accounts[0].signed_in, timeout=10)
        assert push.devices(alice.id) == [] and Profile._load(profile.path).accounts[0].key == ""
        assert "signed out" in str(app.screen.query_one("#accounts").get_option_at_index(0).prompt)
        await pilot.press("s")  # sign in again = pair again, the address filled in
        await wait_until(pilot, lambda: isinstance(app.screen, PairScreen))
        assert app.screen.query_one("#pair-url").value == api.url


async def test_a_device_removed_on_the_console_is_signed_out_on_the_phone(push, alice, api, profile):
    app = phone_app(profile)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        push.remove_device(alice.id, profile.accounts[0].device_id, source=SRC)
        push.start_pairing(alice.id, api.url)  # anything: the phone learns at its next poll
        await wait_until(pilot, lambda: not profile.accounts[0].signed_in, timeout=35)
        assert Profile._load(profile.path).accounts[0].key == ""
        assert "signed out" in str(app.screen.query_one("#accounts").get_option_at_index(0).prompt)


async def test_f2_shows_the_authenticator_and_f1_the_prompts(profile):
    app = phone_app(profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        assert app.current_mode == "authenticator"
        await pilot.press("f1")
        assert app.current_mode == "prompts" and app.screen.query("#accounts")
        await pilot.press("a")
        assert app.current_mode == "authenticator"
        await pilot.press("p")
        assert app.current_mode == "prompts"


def test_the_authenticator_stand_in_only_while_its_modules_are_absent(profile, monkeypatch):
    import sys

    from secconsole.phone.app import AuthenticatorComing, authenticator_screen

    monkeypatch.setitem(sys.modules, "secconsole.phone.screens.authenticator", None)
    assert isinstance(authenticator_screen(PhoneApp(profile)), AuthenticatorComing)


@pytest.fixture
def nist(request, tmp_path, clock):
    """A console on the nist profile: its prompts ask to type the number (``entry: type``)."""
    from conftest import make_config, open_test_services

    services = open_test_services(request, make_config(tmp_path / "nist", policy="nist"), clock)
    services.accounts.create("alice", "alice@example.com", STRONG, source=SRC)
    server = ApiProcess(services.config, tmp_path)
    yield services, server
    server.stop()
    services.close()


async def test_typing_the_number_on_a_nist_console_and_deny_from_the_field(nist, profile, clock):
    services, api = nist
    push, alice = services.push(), services.accounts.get("alice")
    app = phone_app(profile)
    async with app.run_test(size=SIZE) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        push.begin(alice.id, source=SRC)
        shown = push.prompt(alice.id).number
        card = await a_prompt(pilot)
        assert card.prompt.entry == "type" and app.focused.id == "prompt-typed"
        await pilot.press(*str(shown), "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=10)
        assert push.verify(alice.id, source=SRC).ok
        clock.set(datetime.now(timezone.utc))  # the next prompt is the newest
        push.begin(alice.id, source=SRC, again=True)
        await a_prompt(pilot)
        await pilot.press("4", "d")  # d is Deny even while the number field has the focus
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=10)
        assert push.verify(alice.id, source=SRC).message == "Denied on your mobile app."


async def test_hostile_account_names_and_addresses_show_as_typed_on_the_home_screen(profile):
    from secconsole.phone.profile import Account

    profile.accounts = [Account("[red]x[/]", "http://127.0.0.1:1/[@click=app.quit]q[/]")]
    profile.device_name = "[b]Pixel[/]"
    app = PhoneApp(profile, poll=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        import html

        shown = html.unescape(app.export_screenshot()).replace("\xa0", " ")  # what the terminal shows
        assert "[red]x[/]" in shown and "[@click=app.quit]q[/]" in shown
        assert "[b]Pixel[/]" in text_of(app, "#phone-header")


async def test_the_authenticator_keeps_its_entries_in_the_profile(tmp_path):
    from phone_authenticator_helpers import LINK
    from secconsole.phone.screens.authenticator import AuthenticatorScreen

    path = tmp_path / "phone.json"
    profile = Profile.open(path)
    app = PhoneApp(profile, poll=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        assert isinstance(app.screen, AuthenticatorScreen)
        app.screen.authenticator.add_uri(LINK)
        app.screen.save()
    profile.close()
    again = Profile.open(path)
    try:
        assert [e["issuer"] for e in again.authenticator["entries"]] == ["ACME"]
        app = PhoneApp(again, poll=False, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f2")
            assert [e.issuer for e in app.screen.authenticator.entries] == ["ACME"]
    finally:
        again.close()


async def test_unreadable_authenticator_entries_are_said_and_left_as_they_are(profile):
    from secconsole.phone.app import AuthenticatorComing

    profile.authenticator = {"version": 99, "entries": []}
    profile.save()
    app = PhoneApp(profile, poll=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        assert isinstance(app.screen, AuthenticatorComing) and "cannot be read" in text_of(app, "#coming")
    assert Profile._load(profile.path).authenticator == {"version": 99, "entries": []}


async def test_a_fault_while_checking_prompts_is_said_and_polling_goes_on(push, alice, api, profile, monkeypatch):
    """A last resort: an unexpected error in the poll says so on the account's line and retries,
    instead of silently ending that account's prompts."""
    import secconsole.phone.app as phone_module

    monkeypatch.setattr(phone_module, "RETRY", 0.2)
    app = phone_app(profile)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        real, failures = app.client.prompts, []

        async def flaky(account, wait=0):
            if not failures:
                failures.append(1)
                raise RuntimeError("a bug")
            return await real(account, 1)

        monkeypatch.setattr(app.client, "prompts", flaky)
        app.start_polling()
        await wait_until(pilot, lambda: "failed (RuntimeError)" in str(app.status), timeout=10)
        push.begin(alice.id, source=SRC)
        await a_prompt(pilot)  # the poll went on


@pytest.mark.parametrize("keys", [("f2", "k", "shift+tab", "enter"), ("f2", "e", "shift+tab", "space"),
                                  ("f2", "k", "escape"), ("f2", "d", "enter"), ("f1", "n", "shift+tab", "enter"),
                                  ("f1", "n", "escape")])
async def test_a_second_press_on_a_closing_dialog_does_nothing(profile, keys):
    """Enter (or Space, Esc) twice, quickly, on Cancel: the first closes the dialog, the second
    reached the dialog already closed and popped the screen under it (the Authenticator, the
    mode's only screen: the app died with "Can't pop screen"). Both keys are queued before either
    is handled, as a terminal delivers two quick presses."""
    from textual import events

    from phone_authenticator_helpers import LINK

    app = PhoneApp(profile, poll=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        mode, *opening, twice = keys
        await pilot.press(mode)
        screen = app.screen
        if "d" in opening:  # Remove's confirm: Cancel has the focus
            screen.authenticator.add_uri(LINK)
            screen.rebuild()
        await pilot.press(*opening)
        await pilot.pause()
        dialog = app.screen
        assert dialog is not screen and app.focused.id in ("form-cancel", "cancel", "pair-cancel", "field-issuer",
                                                           "field-path", "pair-code")
        for _ in range(2):
            app.post_message(events.Key(twice, " " if twice == "space" else None))
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.return_code is None and app.screen is screen and app.screen_stack == [screen]
        if mode == "f2":
            assert len(screen.authenticator.entries) == (1 if "d" in opening else 0)
        await pilot.press("f1" if mode == "f2" else "f2")
        assert app.current_mode == ("prompts" if mode == "f2" else "authenticator")



async def test_a_device_removed_while_its_card_shows_takes_the_card_away(push, alice, api, profile):
    """The toast said "removed" but the card stayed (its inbox key was read after the keys were
    forgotten): Verify then said the key was damaged, and the card never went away."""
    app = phone_app(profile)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        push.begin(alice.id, source=SRC)
        await a_prompt(pilot)
        push.remove_device(alice.id, profile.accounts[0].device_id, source=SRC)
        await wait_until(pilot, lambda: not profile.accounts[0].signed_in, timeout=15)
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=5)
        await pilot.pause()
        assert app.inbox == {} and app.current_mode == "prompts"
        assert "signed out" in str(app.screen.query_one("#accounts").get_option_at_index(0).prompt)
        await pilot.press("f2")  # the keys work again
        assert app.current_mode == "authenticator"


async def test_an_expired_card_goes_away_even_off_the_inbox(push, alice, api, profile):
    """A card whose prompt is no longer in the inbox (its account signed out) still goes when it
    expires, instead of staying at "Expires in 0 s"."""
    app = phone_app(profile)
    async with app.run_test(size=SIZE) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        push.begin(alice.id, source=SRC)
        card = await a_prompt(pilot)
        app.workers.cancel_group(app, "poll")
        await pilot.pause()
        app.inbox.clear()
        app.clock = ManualClock(datetime.fromtimestamp(card.prompt.expires + 1, timezone.utc))
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), timeout=5)


async def test_an_account_whose_server_is_gone_can_be_forgotten_after_a_yes(push, alice, api, profile):
    """Its server gone (a demo console restarted on another port): s cannot reach it, and x only
    said "Sign out first". Now x asks (y/n, from the keyboard) and forgets it on this phone."""
    from secconsole.phone.screens.authenticator import RemoveDialog

    app = phone_app(profile)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pair_in_the_dialog(pilot, push, alice, api)
        api.stop()
        home = app.screen
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, RemoveDialog))
        assert ("Forget this account on this phone anyway? The server keeps this device paired until it is "
                "removed in Settings › Manage devices.") in text_of(app, "#dialog-message")
        await pilot.press("n")  # changed my mind: kept
        await wait_until(pilot, lambda: app.screen is home)
        assert profile.accounts[0].signed_in and Profile._load(profile.path).accounts[0].key
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, RemoveDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: profile.accounts == [])
        assert Profile._load(profile.path).accounts == [] and app.screen is home
        assert "No account paired yet" in text_of(app, "#phone-hint")
        assert [d.name for d in push.devices(alice.id)] == [profile.device_name]  # still paired on the server
