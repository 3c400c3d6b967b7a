"""Text messages in the console at 80x24: the wizard (its prerequisite, the country picker, the
number formatted as typed, refusals before anything is sent, the code and its resend countdown)
and the challenge's panel (nothing sent until asked; a code works once)."""

from __future__ import annotations

import pytest

from secconsole.core.delivery import recent_outbox
from secconsole.tui.methods.sms import EnrollSmsScreen
from secconsole.tui.screens.challenge import ChallengeScreen
from secconsole.tui.screens.home import HomeScreen

from conftest import STRONG
from method_drivers import Sms, sms_code
from tui_helpers import make_app, not_now, settle, sign_in, start_on, text_of, type_into, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("carol", "carol@example.com", STRONG, source="test")
    return sqlite_services


def carded(svc):
    carol = svc.accounts.get("carol")
    svc.payments.add_card(carol.id, "Carol Kent", "4242 4242 4242 4242", "12/30", source="test")
    return carol


def texts(svc, account_id):
    return [m for m in recent_outbox(svc.db, svc.box, account_id=account_id, limit=50) if m.channel == "sms"]


async def test_without_a_card_or_identity_the_wizard_says_so_and_leads_to_payments(svc, monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "enroll-sms", "carol", STRONG)
        assert "verified identity or a billing method" in text_of(app, "#missing")
        assert app.focused.id == "to-payments"
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PaymentsScreen")


async def test_enroll_a_german_mobile_with_the_code_from_the_text(svc, monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    carol = carded(svc)
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start_on(pilot, "enroll-sms", "carol", STRONG)
        assert app.focused.id == "country-search"
        assert "Standard message and data rates may apply" in text_of(app, "#sms-notices")
        await type_into(pilot, "#country-search", "ger", keys=True)
        await pilot.press("enter")
        assert app.screen.query_one("#country-search").value == "Germany (DE) +49" and app.focused.id == "number"
        await type_into(pilot, "#number", "015123456789", keys=True)
        assert app.screen.query_one("#number").value == "01512 3456789"  # formatted as typed
        await pilot.press("enter")
        await wait_until(pilot, lambda: "+49 ••• ••• 6789" in text_of(app, "#sent-to"))
        assert "ask for a new code in 60 s" in text_of(app, "#resend-countdown")
        assert app.screen.query_one("#resend").disabled
        await type_into(pilot, "#code", sms_code(svc, carol.id), keys=True)
        await pilot.press("enter")
        await not_now(pilot, then=HomeScreen)  # recovery codes offered after the first second step
        assert svc.accounts.get("carol").method("sms").detail["number"] == "+49 ••• ••• 6789"


async def test_voip_is_refused_before_any_code_is_sent_and_a_paste_picks_the_country(svc, monkeypatch):
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    carol = carded(svc)
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "enroll-sms", "carol", STRONG)
        assert "Germany" in app.screen.query_one("#country-search").value and app.focused.id == "number"  # from the locale
        app.screen.query_one("#number").value = "+44 56 1234 5678"  # a pasted UK VoIP number
        await pilot.pause()
        assert "United Kingdom" in app.screen.query_one("#country-search").value
        await pilot.press("enter")
        await wait_until(pilot, lambda: "VoIP" in text_of(app, "#number-error"))
        assert texts(svc, carol.id) == []
        app.screen.query_one("#number").value = ""
        await type_into(pilot, "#number", "0151CALL", keys=True)
        assert app.screen.query_one("#number").value == "0151"  # letters never get in


async def test_the_challenge_sends_only_when_asked_and_a_code_works_once(svc, monkeypatch):
    carol = svc.accounts.get("carol")
    Sms(svc, carol.id).enroll()  # a card on file, then a German mobile
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG)
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen))
        await settle(pilot)
        before = len(texts(svc, carol.id))
        assert "+49 ••• ••• 6789" in text_of(app, "#challenge-lead") and app.focused.id == "sms-send"
        assert len(texts(svc, carol.id)) == before  # nothing sent yet
        await pilot.press("enter")
        await wait_until(pilot, lambda: "We sent a 6-digit code" in text_of(app, "#challenge-lead"))
        assert len(texts(svc, carol.id)) == before + 1 and app.focused.id == "code"
        assert "Code from the text message" in text_of(app, "#answer-label")
        code = sms_code(svc, carol.id)
        await type_into(pilot, "#code", code, keys=True)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert not svc.way("sms").verify(carol.id, code, source="t").ok


async def test_the_wizard_offers_the_safer_authenticator_app_and_the_ways_list_names_the_number(svc, monkeypatch):
    from secconsole.tui.dialogs.ways import WaysDialog
    from secconsole.tui.methods.totp import EnrollTotpScreen

    monkeypatch.setenv("LANG", "C.UTF-8")
    carded(svc)
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "enroll-sms", "carol", STRONG)
        app.screen.query_one("#to-totp").press()
        await wait_until(pilot, lambda: isinstance(app.screen, EnrollTotpScreen))
    carol = svc.accounts.get("carol")
    way = svc.way("sms")
    number = way.check_number(carol.id, "01512 3456789", "DE")
    way.send_enrollment_code(carol.id, number, source="t")
    assert way.confirm(carol.id, number, sms_code(svc, carol.id), source="t").ok
    from tui_helpers import enroll_totp

    enroll_totp(svc, "carol")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG)
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen) and app.screen.way is not None)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, WaysDialog))
        choices = [str(o.prompt) for o in app.screen.query_one("#ways").options]
        assert any("by text message to +49 ••• ••• 6789" in c for c in choices), choices


async def test_a_new_number_replaces_the_old_one_from_the_wizard(svc, monkeypatch):
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    carol = svc.accounts.get("carol")
    Sms(svc, carol.id).enroll()
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "enroll-sms", "carol", STRONG, method="sms")
        assert "Codes go to +49 ••• ••• 6789 now" in text_of(app, "#sms-intro")
        await type_into(pilot, "#number", "015223456780", keys=True)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "We sent" in text_of(app, "#sent-to"))
        await type_into(pilot, "#code", sms_code(svc, carol.id), keys=True)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert svc.accounts.get("carol").method("sms").detail["number"] == "+49 ••• ••• 6780"
    assert any(m.subject == "Number changed" and m.to == "+49 ••• ••• 6789" for m in texts(svc, carol.id))
