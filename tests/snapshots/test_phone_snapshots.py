"""SVG snapshots of every screen of the phone app (`secconsole phone`) at 80x24, with the clock
injected, the cursor not blinking and polling off (nothing on the network: a prompt card is shown
from a prompt as the client hands it over). Update with ``--snapshot-update`` and look at the SVGs."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from conftest import START
from secconsole.core.clock import ManualClock
from secconsole.phone.app import PhoneApp
from secconsole.phone.client import Prompt
from secconsole.phone.profile import Account, Profile
from secconsole.phone.screens.prompt import PromptScreen
from tui_helpers import settle, type_into

SIZE = (80, 24)
ALICE = Account("alice", "http://127.0.0.1:8765", "dev-1", "c2VydmVy", "a2V5", "secconsole phone")
BOB = Account("bob", "https://push.example.com")  # signed out


@pytest.fixture
def profile(tmp_path):
    opened = Profile.open(tmp_path / "phone.json")
    yield opened
    opened.close()


def phone(profile) -> PhoneApp:
    return PhoneApp(profile, clock=ManualClock(START + timedelta(seconds=18)), poll=False, cursor_blink=False)


def prompt(entry: str = "pick", **changes) -> Prompt:
    start = int(START.timestamp())
    fields = dict(id="p1", account="alice", purpose="sign-in", for_what="", source="ssh 203.0.113.9",
                  host="console.example", created=start, expires=start + 60,
                  numbers=(12, 47, 85) if entry == "pick" else (), entry=entry, paired=ALICE)
    return Prompt(**{**fields, **changes})


def show(p: Prompt):
    async def run_before(pilot) -> None:
        await pilot.app.push_screen(PromptScreen(p))
        await settle(pilot)

    return run_before


def test_phone_home_with_nothing_paired(snap_compare, profile):
    assert snap_compare(phone(profile), terminal_size=SIZE)


def test_phone_home_with_accounts(snap_compare, profile):
    profile.accounts = [ALICE, BOB]
    assert snap_compare(phone(profile), terminal_size=SIZE)


def test_phone_pair_dialog(snap_compare, profile):
    profile.last_url = "http://127.0.0.1:8765"

    async def run_before(pilot) -> None:
        await pilot.press("n")
        await type_into(pilot, "#pair-code", "7KQ4-M2XD")
        await pilot.press("enter")  # too short: said on the dialog's error line
        await settle(pilot)

    assert snap_compare(phone(profile), terminal_size=SIZE, run_before=run_before)


def test_phone_prompt_pick_with_hostile_text(snap_compare, profile):
    """A host and source that look like markup show as typed."""
    p = prompt(host="[red]x[/]", source="[@click=app.quit]ssh[/] 203.0.113.9")
    assert snap_compare(phone(profile), terminal_size=SIZE, run_before=show(p), press=["2"])


def test_phone_prompt_type_for_payments(snap_compare, profile):
    p = prompt("type", purpose="step-up", for_what="Payments")
    assert snap_compare(phone(profile), terminal_size=SIZE, run_before=show(p), press=["4", "7"])


def test_phone_prompt_it_wasnt_me_confirm(snap_compare, profile):
    assert snap_compare(phone(profile), terminal_size=SIZE, run_before=show(prompt()), press=["w"])


def test_phone_authenticator_placeholder(snap_compare, profile, monkeypatch):
    """The stand-in shown while phone/screens/authenticator.py is not installed (the real screen has
    snapshots of its own)."""
    monkeypatch.setitem(sys.modules, "secconsole.phone.screens.authenticator", None)  # as if absent
    assert snap_compare(phone(profile), terminal_size=SIZE, press=["f2"])


def test_phone_authenticator_in_the_app(snap_compare, profile):
    """F2: the authenticator (phone/screens/authenticator.py) with the app's own keys in the footer."""
    from phone_authenticator_helpers import LINK
    from secconsole.phone.authenticator import Authenticator

    auth = Authenticator()
    auth.add_uri(LINK)
    profile.authenticator = auth.to_dict()
    assert snap_compare(phone(profile), terminal_size=SIZE, press=["f2"])


def test_phone_forget_a_signed_in_account_asks(snap_compare, profile):
    """x on a signed-in account (its server gone): the y/n question, Cancel focused."""
    profile.accounts = [ALICE, BOB]
    assert snap_compare(phone(profile), press=["x"], terminal_size=SIZE)
