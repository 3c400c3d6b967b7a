"""The authenticator app wizard and the sign-in challenge, by keyboard at 80x24."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from secconsole.core.qr import rasterize
from secconsole.core.totp import TotpParams, code_at
from secconsole.store.models import MethodEnrollment
from secconsole.tui.screens.challenge import ChallengeScreen
from secconsole.tui.methods.totp import EnrollTotpScreen
from secconsole.tui.screens.home import HomeScreen
from secconsole.tui.screens.settings import SettingsScreen
from secconsole.tui.screens.signin import SignInScreen
from secconsole.tui.widgets.qr import QrCode

from conftest import STRONG
from tui_helpers import enroll_totp, make_app, not_now, pass_challenge, sign_in, text_of, type_into, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("carol", "carol@example.com", STRONG, source="test")
    return sqlite_services


async def open_wizard(pilot):
    await sign_in(pilot, "carol", STRONG)
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen))
    pilot.app.screen.query_one("#switch-totp").focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, EnrollTotpScreen))


def enrollments(svc):
    with svc.db.transaction() as session:
        return session.exec(select(MethodEnrollment)).all()


async def test_the_settings_switch_runs_the_wizard_and_a_code_turns_it_on(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_wizard(pilot)
        await pilot.press("enter")  # Continue
        await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
        pending = app.screen.pending
        qr = app.screen.query_one("#qr", QrCode)
        assert qr.region.height <= 21 and qr.region.width <= 45  # the whole code is on screen at 80x24
        assert text_of(app, "#secret-key").replace(" ", "") == pending.secret
        await pilot.press("enter")  # Next: enter a code
        await type_into(pilot, "#code", "12a", keys=True)
        assert app.screen.query_one("#code").value == "12"  # letters never get in
        await pilot.press("enter")
        await wait_until(pilot, lambda: "6 digits; you typed 2" in text_of(app, "#verify-error"))
        await type_into(pilot, "#code", "000 000")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "not correct" in text_of(app, "#verify-error"))
        assert enrollments(svc) == []
        code = code_at(pending.secret, svc.clock.now(), pending.params)
        await type_into(pilot, "#code", f"{code[:3]}-{code[3:]}")  # pasted with a dash
        await pilot.press("enter")
        await not_now(pilot)
        await wait_until(pilot, lambda: text_of(app, "#row-totp .setting-detail").startswith("On since"))
    assert svc.accounts.get("carol").method("totp").enabled


@pytest.mark.parametrize("step", ["intro", "advanced", "scan", "verify"])
async def test_escape_at_any_step_leaves_nothing(svc, step):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot)
        if step == "advanced":
            app.screen.query_one("#to-advanced").press()
            await pilot.pause()
        if step in ("scan", "verify"):
            await pilot.press("enter")
            await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
        if step == "verify":
            await pilot.press("enter")
            await type_into(pilot, "#code", "123456")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert not app.screen.query_one("#switch-totp").value
    assert enrollments(svc) == []


async def test_advanced_settings_make_an_eight_digit_sha256_code(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot)
        app.screen.query_one("#to-advanced").press()
        await pilot.pause()
        assert "Google Authenticator" in text_of(app, "#advanced .warning")
        app.screen.query_one("#algorithm").value = "SHA256"
        app.screen.query_one("#digits").value = 8
        app.screen.query_one("#advanced-done").press()
        await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
        pending = app.screen.pending
        assert pending.params == TotpParams("SHA256", 8) and "digits=8" in pending.uri
        await pilot.press("enter")
        await type_into(pilot, "#code", code_at(pending.secret, svc.clock.now(), pending.params))
        await pilot.press("enter")
        await not_now(pilot)
    assert svc.accounts.get("carol").method("totp").detail["digits"] == 8


async def test_the_drawn_code_decodes_to_the_key_uri(svc, tmp_path):
    import shutil
    import subprocess

    if not shutil.which("zbarimg"):
        pytest.skip("zbarimg is not installed (apt-get install zbar-tools)")
    app = make_app(svc)
    async with app.run_test(size=(140, 48)) as pilot:
        await open_wizard(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
        for large in (False, True):
            if large:
                await pilot.press("l")
                await pilot.pause()
            qr = app.screen.query_one("#qr", QrCode)
            assert qr.large is large
            lines = [strip.text for strip in qr.render_lines(qr.region.reset_offset)]
            pixels = rasterize(lines, large=large)
            image = tmp_path / f"qr{large}.pgm"
            image.write_bytes(b"P5 %d %d 255\n" % (len(pixels[0]), len(pixels)) + bytes(v for r in pixels for v in r))
            out = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True)
            assert out.stdout.strip() == app.screen.pending.uri


async def test_the_large_code_is_offered_only_when_it_fits(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_wizard(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
        assert not app.screen.query_one("#large").display
        await pilot.press("l")
        assert not app.screen.query_one("#qr", QrCode).large
        await pilot.press("c")
        assert "clipboard" in text_of(app, "#scan-notice")  # on its line, not in a toast over the code


async def test_sign_in_asks_for_the_code_and_refuses_it_twice(svc):
    secret = enroll_totp(svc, "carol")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG)
        assert isinstance(app.screen, ChallengeScreen)
        await pass_challenge(pilot, secret)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await sign_in(pilot, "carol", STRONG)
        await pass_challenge(pilot, secret)
        assert isinstance(app.screen, ChallengeScreen)
        assert "already used" in text_of(app, "#challenge-error")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert app.account is None


async def test_a_phone_three_minutes_fast_gets_the_clock_advice(svc):
    secret = enroll_totp(svc, "carol")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG)
        await type_into(pilot, "#code", code_at(secret, svc.clock.now() + timedelta(minutes=3), TotpParams()))
        await pilot.press("enter")
        await wait_until(pilot, lambda: "3 minutes fast" in text_of(app, "#challenge-error"))
        assert "Set Automatically" in text_of(app, "#challenge-error")
        assert isinstance(app.screen, ChallengeScreen)


async def test_step_up_uses_the_second_step(svc):
    secret = enroll_totp(svc, "carol")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG, totp=secret)
        svc.clock.advance(minutes=15)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen))
        assert "Payments asks for a fresh check" in text_of(app, ".form-note")
        await pass_challenge(pilot, secret)
        from secconsole.tui.screens.payments import PaymentsScreen

        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))


async def test_demo_challenge_shows_the_seeded_code(svc):
    from secconsole.demo.seed import seed

    seed(svc)
    app = make_app(svc, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "bob", "Maple-Rocket-17?")
        assert isinstance(app.screen, ChallengeScreen)
        hint = text_of(app, "#demo-code")
        code = hint.split("show ")[1].split(" ·")[0].replace(" ", "")
        await type_into(pilot, "#code", code)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))


# -- issue 5: other ways, the email last resort, support ----------------------------------------


async def fail(pilot, field: str, text: str, times: int) -> None:
    """Wrong answers at a person's pace: each after any back-off has passed."""
    for _ in range(times):
        pilot.app.loaded_services.clock.advance(minutes=5)
        await type_into(pilot, f"#{field}", text)
        await pilot.press("enter")
        await pilot.pause(0.05)
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ChallengeScreen)
                         or pilot.app.screen.query_one("#challenge-error").display)


@pytest.fixture
def alice(svc):
    svc.accounts.create("alice", "alice@example.com", STRONG, source="test")
    secret = enroll_totp(svc, "alice")
    svc.way("question").set(svc.accounts.get("alice").id, "What was the name of your first pet?", "Biscuit", source="t")
    return secret


async def test_try_another_way_then_answer_the_question(svc, alice):
    from secconsole.tui.dialogs.ways import WaysDialog

    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        assert app.screen.way.kind == "totp"
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, WaysDialog))
        await pilot.press("enter")  # the only other way: the question
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen) and app.screen.way.kind == "question")
        assert text_of(app, "#question-text") == "What was the name of your first pet?"
        await type_into(pilot, "#answer", "  biscuit ")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert svc.accounts.get("alice").preferred_method == "question"


async def test_email_only_after_code_and_question_fail_then_it_signs_in(svc, alice):
    from secconsole.core.delivery import recent_outbox

    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        await fail(pilot, "code", "000000", 4)
        assert app.screen.way.kind == "totp"
        await fail(pilot, "code", "000000", 1)  # fifth wrong code: the app code is used up
        await wait_until(pilot, lambda: app.screen.way.kind == "question")
        assert "last try with the authenticator app" in text_of(app, "#challenge-error")
        assert not [m for m in recent_outbox(svc.db, svc.box) if "code is" in m.body]  # no email code yet (setup's notices only)
        await fail(pilot, "answer", "Rex", 3)
        await wait_until(pilot, lambda: app.screen.way.kind == "email")
        await wait_until(pilot, lambda: "We emailed a 6-digit code to a•••e@example.com" in text_of(app, "#challenge-lead"))
        body = recent_outbox(svc.db, svc.box)[0].body
        code = body.split("code is ")[1][:6]
        await type_into(pilot, "#code", code)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
    subjects = [m.subject for m in recent_outbox(svc.db, svc.box)]
    assert subjects[0] == "Your SecConsole email code was used"


async def test_with_email_fallback_off_it_ends_at_contact_support(svc, alice):
    from secconsole.tui.screens.support import ContactSupportScreen

    svc.accounts.set_email_fallback(svc.accounts.get("alice").id, False, source="t")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        app.screen.query_one("#give-up").press()  # "I can't use this"
        await wait_until(pilot, lambda: app.screen.way.kind == "question")
        await fail(pilot, "answer", "Rex", 3)
        await wait_until(pilot, lambda: isinstance(app.screen, ContactSupportScreen))
        ref = app.screen.ref
        assert ref in text_of(app, "#support-ref")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
    events = svc.accounts.recent_events("alice")
    assert events[0].kind == "challenge.exhausted" and events[0].ref == ref


async def test_make_recovery_codes_in_settings_then_sign_in_with_one(svc, alice):
    from secconsole.tui.dialogs.recovery_codes import RecoveryCodesDialog
    from secconsole.tui.dialogs.ways import WaysDialog

    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG, totp=alice)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert text_of(app, "#recovery-detail").startswith("None yet")
        app.screen.query_one("#recovery").press()
        await wait_until(pilot, lambda: isinstance(app.screen, RecoveryCodesDialog))
        codes = app.screen.codes
        assert len(codes) == 10 and codes[0] in text_of(app, "#codes")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen) and "10 of 10" in text_of(app, "#recovery-detail"))
        await pilot.press("escape", "o")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await sign_in(pilot, "alice", STRONG)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, WaysDialog))
        await pilot.press("down", "enter")  # question, then recovery code
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen) and app.screen.way.kind == "recovery")
        await type_into(pilot, "#recovery", codes[3])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert svc.way("recovery").remaining(svc.accounts.get("alice").id) == 9


async def test_in_demo_mode_the_verify_step_shows_what_the_phone_would_and_the_box_is_labelled(sqlite_services):
    """The demo has no phone: its wizard shows the code for the key on screen, like the challenge."""
    from secconsole.demo.seed import seed

    seed(sqlite_services)
    app = make_app(sqlite_services, demo=True, start_as="carol", open_screen="enroll-totp")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, EnrollTotpScreen))
        await pilot.press("enter")  # Continue
        await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
        await pilot.press("enter")  # Next: enter a code
        pending = app.screen.pending
        code = code_at(pending.secret, sqlite_services.clock.now(), pending.params)
        await wait_until(pilot, lambda: f"the app would show {code[:3]} {code[3:]}" in text_of(app, "#demo-code"))
        assert text_of(app, "#code-label") == "Code from your app"
