"""SVG snapshots of every screen at 80x24 (sync tests: snap_compare runs the app itself).

Screens that are routes start there through the route table (``start_on``: signed in through the
core, then opened as ``--open`` opens them); the sign-in and challenge screens are walked through.
Update after an intended change with ``pytest tests/snapshots --snapshot-update`` and look at the
report before committing."""

from __future__ import annotations

import pytest

from secconsole.tui.screens.create_account import CreateAccountScreen
from secconsole.tui.screens.home import HomeScreen

from conftest import STRONG
from tui_helpers import make_app, settle, sign_in, start_on, type_into, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    return sqlite_services


def test_signin(snap_compare, svc):
    assert snap_compare(make_app(svc), terminal_size=SIZE)


def test_signin_demo(snap_compare, sqlite_services):
    from secconsole.demo.seed import seed

    seed(sqlite_services)  # the panel shows each password only while the database agrees
    assert snap_compare(make_app(sqlite_services, demo=True), terminal_size=SIZE)


def test_signin_demo_at_the_minimum_size(snap_compare, sqlite_services):
    """60x20 (tui/size_guard.MINIMUM): the card, the demo panel without its stories, both key lines."""
    from secconsole.demo.seed import seed

    seed(sqlite_services)
    assert snap_compare(make_app(sqlite_services, demo=True), terminal_size=(60, 20))


def test_window_too_small(snap_compare, svc):
    assert snap_compare(make_app(svc), terminal_size=(50, 15))


def test_signin_light_theme(snap_compare, svc):
    assert snap_compare(make_app(svc), press=["ctrl+t"], terminal_size=SIZE)


def test_signin_error(snap_compare, svc):
    async def wrong(pilot):
        await sign_in(pilot, "alice", "not-the-password")

    assert snap_compare(make_app(svc), run_before=wrong, terminal_size=SIZE)


def test_create_account_checklist(snap_compare, svc):
    async def fill(pilot):
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CreateAccountScreen))
        await type_into(pilot, "#username", "erin")
        await type_into(pilot, "#email", "erin@example.com")
        await type_into(pilot, "#password", "erin-Password")
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=fill, terminal_size=SIZE)


def test_signin_sign_up_closed(snap_compare, svc):
    from dataclasses import replace

    svc.config = replace(svc.config, signup="closed")
    assert snap_compare(make_app(svc), terminal_size=SIZE)


def test_verify_email_after_sign_up_in_demo(snap_compare, svc, monkeypatch):
    import secconsole.core.signup as signup
    from secconsole.tui.screens.verify_email import VerifyEmailScreen

    monkeypatch.setattr(signup.secrets, "randbelow", lambda n: 123456)

    async def create(pilot):
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CreateAccountScreen))
        await type_into(pilot, "#username", "erin")
        await type_into(pilot, "#email", "erin@example.com")
        await type_into(pilot, "#password", STRONG)
        await type_into(pilot, "#confirm", STRONG)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, VerifyEmailScreen))
        await wait_until(pilot, lambda: "123456" in str(pilot.app.screen.query_one("#demo-code").visual))
        await pilot.pause(1.2)  # the welcome toast's first second, as the person sees it

    assert snap_compare(make_app(svc, demo=True), run_before=create, terminal_size=SIZE)


def test_home_email_unverified(snap_compare, svc):
    async def enter(pilot):
        services = await pilot.app.services()
        pilot.app.signed_in(services.signup.create("erin", "erin@example.com", STRONG, source="test"))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HomeScreen))
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=enter, terminal_size=SIZE)


def test_home(snap_compare, svc):
    async def enter(pilot):
        await start_on(pilot, "home", "alice", STRONG)

    assert snap_compare(make_app(svc), run_before=enter, terminal_size=SIZE)


def test_home_with_password_reminder(snap_compare, svc):
    svc.clock.advance(days=120)

    async def enter(pilot):
        await start_on(pilot, "home", "alice", STRONG)
        assert isinstance(pilot.app.screen, HomeScreen)

    assert snap_compare(make_app(svc), run_before=enter, terminal_size=SIZE)


def test_change_password(snap_compare, svc):
    async def fill(pilot):
        await start_on(pilot, "change-password", "alice", STRONG)
        await type_into(pilot, "#current", STRONG)
        await type_into(pilot, "#new", "Quartz-Falcon-2026%")
        await type_into(pilot, "#confirm", "Quartz-Falcon")
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=fill, terminal_size=SIZE)


def test_change_password_forced_after_a_reported_prompt(snap_compare, svc):
    """The form a sign-in lands on after "It wasn't me": why, and Sign out instead of Cancel."""
    from secconsole.tui.screens.change_password import ForcedPasswordChangeScreen
    from push_helpers import report_a_prompt

    report_a_prompt(svc)

    async def enter(pilot):
        await sign_in(pilot, "alice", STRONG)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ForcedPasswordChangeScreen))
        await pilot.press("escape")
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=enter, terminal_size=SIZE)


def test_problem_screen(snap_compare, svc):
    from secconsole.tui.screens.problem import ProblemScreen

    message = (
        "The key file /srv/secconsole/secret.key is missing, but this database holds secrets encrypted "
        "with key 0123456789abcdef. Restore the file or point SECCONSOLE_KEY_FILE at it; a new key would "
        "make those secrets unreadable."
    )

    async def show(pilot):
        await pilot.app.push_screen(ProblemScreen(message))

    assert snap_compare(make_app(svc), run_before=show, terminal_size=SIZE)


# -- settings, payments and their forms and dialogs -----------------------------------------------


def _enroll_totp(svc):
    from tui_helpers import enroll_totp

    svc.totp_secret = enroll_totp(svc, "alice")


async def _settings(pilot):
    await start_on(pilot, "settings", "alice", STRONG)
    await wait_until(pilot, lambda: "Signed in" in str(pilot.app.screen.query_one("#activity").visual))


async def _payments(pilot):
    await start_on(pilot, "payments", "alice", STRONG)


def test_settings(snap_compare, svc):
    _enroll_totp(svc)
    assert snap_compare(make_app(svc), run_before=_settings, terminal_size=SIZE)


def test_settings_light_theme(snap_compare, svc):
    """Every switch visible (the app prompt's and text messages', which cannot be turned on, too)."""
    _enroll_totp(svc)
    assert snap_compare(make_app(svc), run_before=_settings, press=["ctrl+t"], terminal_size=SIZE)


def test_settings_focus_moved_down_to_a_button(snap_compare, svc):
    _enroll_totp(svc)
    assert snap_compare(make_app(svc), run_before=_settings, press=["down", "down"], terminal_size=SIZE)


def test_settings_focus_moved_down_to_a_button_light_theme(snap_compare, svc):
    _enroll_totp(svc)
    assert snap_compare(make_app(svc), run_before=_settings, press=["ctrl+t", "down", "down"], terminal_size=SIZE)


def test_settings_delete_dialog(snap_compare, svc):
    from secconsole.tui.dialogs.confirm import ConfirmDialog

    _enroll_totp(svc)

    async def ask(pilot):
        await _settings(pilot)
        pilot.app.screen.query_one("#switch-totp").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: "Are you sure" in str(pilot.app.screen.query_one(".card-title").visual))

    assert snap_compare(make_app(svc), run_before=ask, terminal_size=SIZE)


def test_security_question_form(snap_compare, svc):
    from secconsole.tui.screens.security_question import SecurityQuestionScreen

    async def fill(pilot):
        await _settings(pilot)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SecurityQuestionScreen))
        pilot.app.screen.query_one("#preset").value = "own"
        await pilot.pause()
        await type_into(pilot, "#own", "Which teacher did you like best?")

    assert snap_compare(make_app(svc), run_before=fill, terminal_size=SIZE)


def test_step_up(snap_compare, svc):
    from secconsole.tui.screens.stepup import StepUpScreen

    async def stale(pilot):
        await start_on(pilot, "home", "alice", STRONG)
        svc.clock.advance(minutes=30)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, StepUpScreen))

    assert snap_compare(make_app(svc), run_before=stale, terminal_size=SIZE)


def test_payments_with_a_card(snap_compare, svc):
    svc.payments.add_card(svc.accounts.get("alice").id, "Alice Liddell", "4242424242424242", "04/29", source="test")
    assert snap_compare(make_app(svc), run_before=_payments, terminal_size=SIZE)


def test_add_card_error(snap_compare, svc):
    from secconsole.tui.screens.add_card import AddCardScreen

    async def fill(pilot):
        await _payments(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AddCardScreen))
        await type_into(pilot, "#holder", "Alice Liddell")
        await type_into(pilot, "#number", "4242 4242 4242 4241")
        await type_into(pilot, "#expiry", "04/29")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#card-error").display)

    assert snap_compare(make_app(svc), run_before=fill, terminal_size=SIZE)


def test_verify_identity_form(snap_compare, svc):
    from secconsole.tui.screens.verify_identity import VerifyIdentityScreen

    async def open_form(pilot):
        await _payments(pilot)
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, VerifyIdentityScreen))

    assert snap_compare(make_app(svc), run_before=open_form, terminal_size=SIZE)


# -- the authenticator app wizard and the challenge ---------------------------------------------


class _FixedSecret:
    """A known secret, so the QR code and the key are the same in every run."""

    def __enter__(self):
        import secconsole.core.methods.totp as authenticator

        self._module = authenticator
        self._original = authenticator.new_secret
        authenticator.new_secret = lambda: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        return self

    def __exit__(self, *exc):
        self._module.new_secret = self._original


async def _wizard(pilot):
    from secconsole.tui.methods.totp import EnrollTotpScreen

    await wait_until(pilot, lambda: isinstance(pilot.app.screen, EnrollTotpScreen))


def _wizard_app(svc):
    from secconsole.demo.seed import seed

    seed(svc)
    return make_app(svc, demo=True, start_as="carol", open_screen="enroll-totp")


def test_enroll_intro(snap_compare, svc):
    assert snap_compare(_wizard_app(svc), run_before=_wizard, terminal_size=SIZE)


def test_enroll_advanced(snap_compare, svc):
    async def advanced(pilot):
        await _wizard(pilot)
        pilot.app.screen.query_one("#to-advanced").press()
        await pilot.pause()

    assert snap_compare(_wizard_app(svc), run_before=advanced, terminal_size=SIZE)


def test_enroll_scan(snap_compare, svc):
    async def scan(pilot):
        await _wizard(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#qr")))

    with _FixedSecret():
        assert snap_compare(_wizard_app(svc), run_before=scan, terminal_size=SIZE)


def test_enroll_scan_large(snap_compare, svc):
    async def scan_large(pilot):
        await _wizard(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#qr")))
        await pilot.press("l")
        await pilot.pause()

    with _FixedSecret():
        assert snap_compare(_wizard_app(svc), run_before=scan_large, terminal_size=(140, 48))


def test_enroll_scan_in_a_small_window(snap_compare, svc):
    """60x20: no QR code fits (a version 5 code needs 21 rows): the key and the copy link."""

    async def scan(pilot):
        await _wizard(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#qr")))
        await pilot.pause()

    with _FixedSecret():
        assert snap_compare(_wizard_app(svc), run_before=scan, terminal_size=(60, 20))


def test_enroll_verify_wrong_code(snap_compare, svc):
    async def verify(pilot):
        await _wizard(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#qr")))
        await pilot.press("enter")
        await type_into(pilot, "#code", "000000")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#verify-error").display)

    with _FixedSecret():
        assert snap_compare(_wizard_app(svc), run_before=verify, terminal_size=SIZE)


def test_challenge_with_clock_advice(snap_compare, svc):
    from datetime import timedelta

    from secconsole.core.totp import TotpParams, code_at
    from tui_helpers import enroll_totp

    with _FixedSecret():
        secret = enroll_totp(svc, "alice")

    async def drifted(pilot):
        await sign_in(pilot, "alice", STRONG)
        fast = code_at(secret, svc.clock.now() + timedelta(minutes=3), TotpParams())
        await type_into(pilot, "#code", fast)
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#challenge-error").display)

    assert snap_compare(make_app(svc), run_before=drifted, terminal_size=SIZE)


def _alice_with_question(svc):
    from tui_helpers import enroll_totp

    svc.totp_secret = enroll_totp(svc, "alice")
    svc.way("question").set(svc.accounts.get("alice").id, "What was the name of your first pet?", "Biscuit", source="t")


def test_challenge_ways_dialog(snap_compare, svc):
    from secconsole.tui.dialogs.ways import WaysDialog

    _alice_with_question(svc)

    async def ways(pilot):
        await sign_in(pilot, "alice", STRONG)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, WaysDialog))

    assert snap_compare(make_app(svc), run_before=ways, terminal_size=SIZE)


def test_challenge_question_panel(snap_compare, svc):
    _alice_with_question(svc)

    async def question(pilot):
        await sign_in(pilot, "alice", STRONG)
        pilot.app.screen.query_one("#give-up").press()
        await wait_until(pilot, lambda: pilot.app.screen.way.kind == "question")
        await wait_until(pilot, lambda: "pet" in str(pilot.app.screen.query_one("#question-text").visual))
        await wait_until(pilot, lambda: "tries left" in str(pilot.app.screen.query_one("#tries-left").visual))

    assert snap_compare(make_app(svc), run_before=question, terminal_size=SIZE)


def test_challenge_with_one_way_only(snap_compare, svc):
    """No "Try another way" (button or ^O) when the app code is the only way (no fallback)."""
    from tui_helpers import enroll_totp

    enroll_totp(svc, "alice")
    svc.accounts.set_email_fallback(svc.accounts.get("alice").id, False, source="t")

    async def challenged(pilot):
        await sign_in(pilot, "alice", STRONG)
        await pilot.pause()

    assert snap_compare(make_app(svc), run_before=challenged, terminal_size=SIZE)


def test_challenge_question_after_a_wrong_answer(snap_compare, svc):
    """The question's tries left, one fewer after a wrong answer; "I don't know the answer"."""
    _alice_with_question(svc)

    async def wrong(pilot):
        await sign_in(pilot, "alice", STRONG)
        pilot.app.screen.query_one("#give-up").press()
        await wait_until(pilot, lambda: pilot.app.screen.way.kind == "question")
        await type_into(pilot, "#answer", "Rex")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "2 tries" in str(pilot.app.screen.query_one("#tries-left").visual))

    assert snap_compare(make_app(svc), run_before=wrong, terminal_size=SIZE)


def test_challenge_email_panel_in_demo(snap_compare, svc, monkeypatch):
    import secconsole.core.methods.email as email_code

    monkeypatch.setattr(email_code.secrets, "randbelow", lambda n: 123456)
    _alice_with_question(svc)

    async def email(pilot):
        await sign_in(pilot, "alice", STRONG)
        pilot.app.screen.query_one("#give-up").press()
        await wait_until(pilot, lambda: pilot.app.screen.way.kind == "question")
        for _ in range(3):
            await type_into(pilot, "#answer", "Rex")
            await pilot.press("enter")
            await pilot.pause(0.1)
        await wait_until(pilot, lambda: pilot.app.screen.way.kind == "email")
        await wait_until(pilot, lambda: "outbox" in str(pilot.app.screen.query_one("#demo-code").visual))

    assert snap_compare(make_app(svc, demo=True), run_before=email, terminal_size=SIZE)


def test_contact_support(snap_compare, svc):
    from secconsole.tui.screens.support import ContactSupportScreen

    async def show(pilot):
        await pilot.app.push_screen(ContactSupportScreen("alice", "K7Q2-M9XD"))

    assert snap_compare(make_app(svc), run_before=show, terminal_size=SIZE)


def test_recovery_codes_dialog(snap_compare, svc):
    from secconsole.tui.dialogs.recovery_codes import RecoveryCodesDialog

    codes = [f"abcd{n}-2345{n}" for n in range(2, 10)] + ["wxyzq-23456", "mnpqr-98765"]

    async def show(pilot):
        await pilot.app.push_screen(RecoveryCodesDialog(codes))

    assert snap_compare(make_app(svc), run_before=show, terminal_size=SIZE)


def test_challenge_recovery_panel(snap_compare, svc):
    _alice_with_question(svc)
    svc.way("recovery").generate(svc.accounts.get("alice").id, source="t")

    async def recovery(pilot):

        await sign_in(pilot, "alice", STRONG)
        from secconsole.core.methods import registry

        await pilot.app.screen._go(registry.get("recovery"))
        await pilot.pause()

    assert snap_compare(make_app(svc), run_before=recovery, terminal_size=SIZE)


# -- text messages ----------------------------------------------------------------------------


def _sms_code_fixed(monkeypatch):
    import secconsole.core.methods.sms_codes as sms_codes

    monkeypatch.setattr(sms_codes.secrets, "randbelow", lambda n: 424242)


def _carded(svc):
    alice = svc.accounts.get("alice")
    svc.payments.add_card(alice.id, "Alice Liddell", "4242 4242 4242 4242", "12/30", source="t")


def test_enroll_sms_without_a_card(snap_compare, svc, monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")

    async def opened(pilot):
        await start_on(pilot, "enroll-sms", "alice", STRONG)

    assert snap_compare(make_app(svc), run_before=opened, terminal_size=SIZE)


def test_enroll_sms_number(snap_compare, svc, monkeypatch):
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    _carded(svc)

    async def typed(pilot):
        await start_on(pilot, "enroll-sms", "alice", STRONG)
        await type_into(pilot, "#number", "015123456789", keys=True)
        await pilot.pause()

    assert snap_compare(make_app(svc), run_before=typed, terminal_size=SIZE)


def test_enroll_sms_voip_refused(snap_compare, svc, monkeypatch):
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    _carded(svc)

    async def refused(pilot):
        await start_on(pilot, "enroll-sms", "alice", STRONG)
        await type_into(pilot, "#number", "05612345678", keys=True)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "VoIP" in str(pilot.app.screen.query_one("#number-error").visual))

    assert snap_compare(make_app(svc), run_before=refused, terminal_size=SIZE)


def test_enroll_sms_code(snap_compare, svc, monkeypatch):
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    _sms_code_fixed(monkeypatch)
    _carded(svc)

    async def sent(pilot):
        await start_on(pilot, "enroll-sms", "alice", STRONG)
        await type_into(pilot, "#number", "015123456789", keys=True)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "We sent" in str(pilot.app.screen.query_one("#sent-to").visual))

    assert snap_compare(make_app(svc), run_before=sent, terminal_size=SIZE)


def _texting(svc):
    from method_drivers import Sms

    Sms(svc, svc.accounts.get("alice").id).enroll()


def test_challenge_sms_panel(snap_compare, svc):
    _texting(svc)

    async def challenged(pilot):
        await sign_in(pilot, "alice", STRONG)
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#sms-send")))
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=challenged, terminal_size=SIZE)


def test_challenge_sms_sent(snap_compare, svc, monkeypatch):
    _texting(svc)
    _sms_code_fixed(monkeypatch)

    async def sent(pilot):
        await sign_in(pilot, "alice", STRONG)
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#sms-send")))
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "We sent" in str(pilot.app.screen.query_one("#challenge-lead").visual))

    assert snap_compare(make_app(svc), run_before=sent, terminal_size=SIZE)


def _push_fixed(monkeypatch, svc):
    """A fixed pairing code and prompt numbers (push_protocol draws them with ``secrets``), and
    a push API address."""
    import itertools
    from dataclasses import replace

    import secconsole.core.push_protocol as proto
    from push_helpers import API

    letters, numbers = itertools.cycle("7KQ4M2XD9WRT"), itertools.cycle([37, 2, 75, 61, 20])
    monkeypatch.setattr(proto.secrets, "choice", lambda seq: next(letters))
    monkeypatch.setattr(proto.secrets, "randbelow", lambda n: next(numbers) % n)
    svc.config = replace(svc.config, push_api_url=API)


def test_enroll_push_pairing(snap_compare, svc, monkeypatch):
    _push_fixed(monkeypatch, svc)

    async def opened(pilot):
        await start_on(pilot, "enroll-push", "alice", STRONG)
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#qr")))
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=opened, terminal_size=SIZE)


def test_challenge_push_panel(snap_compare, svc, monkeypatch):
    from method_drivers import Push

    _push_fixed(monkeypatch, svc)
    Push(svc, svc.accounts.get("alice").id).enroll()
    svc.clock.advance(seconds=301)

    async def challenged(pilot):
        await sign_in(pilot, "alice", STRONG)
        await wait_until(pilot, lambda: "Waiting" in str(pilot.app.screen.query_one("#push-status").visual))
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=challenged, terminal_size=SIZE)


HOSTILE_NAME = "iPad [bold]x[/] [link=https://evil.example]tap[/link]"


def test_enroll_push_pairing_with_two_devices(snap_compare, svc, monkeypatch):
    """Beside the QR code at 80x24, two devices listed: nothing scrolls."""
    from push_helpers import Phone

    _push_fixed(monkeypatch, svc)
    alice = svc.accounts.get("alice")
    Phone(svc.way("push"), alice.id, name="Pixel 8")
    Phone(svc.way("push"), alice.id, name=HOSTILE_NAME)

    async def opened(pilot):
        await start_on(pilot, "enroll-push", "alice", STRONG)
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#qr")) and len(pilot.app.screen.query(
            "#devices .device-row")) == 2)
        await settle(pilot)
        assert pilot.app.screen.query_one("#pair-text").max_scroll_y == 0

    assert snap_compare(make_app(svc), run_before=opened, terminal_size=SIZE)


def test_push_device_list(snap_compare, svc, monkeypatch):
    """Mobile app prompts on: the wizard opens on the paired devices (Settings' Manage devices)."""
    from method_drivers import Push
    from push_helpers import Phone

    _push_fixed(monkeypatch, svc)
    alice = svc.accounts.get("alice")
    Push(svc, alice.id).enroll()
    Phone(svc.way("push"), alice.id, name=HOSTILE_NAME)

    async def opened(pilot):
        await start_on(pilot, "enroll-push", "alice", STRONG)
        await wait_until(pilot, lambda: len(pilot.app.screen.query("#device-list .device-row")) == 2)
        await settle(pilot)

    assert snap_compare(make_app(svc), run_before=opened, terminal_size=SIZE)
