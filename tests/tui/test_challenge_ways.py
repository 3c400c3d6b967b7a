"""The challenge screen, way by way (issue 12): each way's messages name that way, the code box
has a label, "Try another way" only when there is one, and the security question's "I don't
know the answer" and tries left."""

from __future__ import annotations

import pytest

from conftest import STRONG, make_config
from method_drivers import KINDS, enrolled_way
from secconsole.core.methods import registry
from tui_helpers import make_app, start_on, text_of, type_into, wait_until

SIZE = (80, 24)

#: What names each way in a message, and a malformed answer for it.
NAMES = {"totp": "authenticator app", "email": "email code", "recovery": "recovery code",
         "question": "security question", "pin": "PIN", "sms": "text message"}
MALFORMED = {"totp": "12", "email": "12", "recovery": "abc", "question": "  ", "pin": "12", "sms": "12"}


@pytest.fixture(params=KINDS)
def enrolled(request, tmp_path, clock):
    with enrolled_way(request, make_config(tmp_path), clock, request.param) as (spec, services, driver):
        yield spec, services, driver


async def open_challenge(pilot, kind: str):
    """The step-up challenge for alice, on ``kind``'s panel."""
    from secconsole.tui.screens.challenge import STEP_UP, ChallengeScreen

    app = pilot.app
    await start_on(pilot, "home", "alice", STRONG, method=kind)
    app.push_screen(ChallengeScreen(app.account, purpose=STEP_UP, reason="Settings"))
    await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen) and app.screen.way is not None)
    await app.screen._go(registry.get(kind))
    await wait_until(pilot, lambda: app.screen.way.kind == kind)
    await pilot.pause()
    return app.screen


def _typed(spec):
    from secconsole.core.methods import Answer

    if spec.capabilities.answer is Answer.NONE:
        pytest.skip(f"{spec.kind}: nothing is typed (tests/tui/test_tui_push.py covers its panel)")


async def test_empty_and_malformed_answers_name_the_way(enrolled):
    spec, services, _driver = enrolled
    _typed(spec)
    app = make_app(services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_challenge(pilot, spec.kind)
        field = "#" + screen.panel.field_id
        others = [name for kind, name in NAMES.items() if kind != spec.kind]
        for typed in ("", MALFORMED[spec.kind]):
            await type_into(pilot, field, typed)
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.query_one("#challenge-error").display)
            message = text_of(app, "#challenge-error")
            assert NAMES[spec.kind] in message, (typed, message)
            assert not any(name in message for name in others), (typed, message)
            screen.query_one("#challenge-error").clear()


async def test_every_way_labels_its_answer_field(enrolled):
    spec, services, _driver = enrolled
    _typed(spec)
    app = make_app(services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_challenge(pilot, spec.kind)
        label = screen.query_one("#answer-label")
        assert label.display and label.region.height == 1
        assert str(label.visual) == (spec.field_label or spec.label)  # hostile text shown as it is
        # Right above the field.
        field = screen.query_one("#" + screen.panel.field_id)
        assert label.region.y + 1 == field.region.y


# -- item 8: one way only; the question's "I don't know the answer" and tries left --------------


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    return sqlite_services


def _footer_keys(app) -> set[str]:
    return {binding.action for _node, binding, enabled, _tip in app.screen.active_bindings.values()
            if enabled and binding.show}


async def _challenged(pilot, svc):
    from secconsole.tui.screens.challenge import ChallengeScreen
    from tui_helpers import sign_in

    await sign_in(pilot, "alice", STRONG)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChallengeScreen) and pilot.app.screen.way)
    await pilot.pause()
    return pilot.app.screen


async def test_with_one_way_only_try_another_way_is_not_offered(svc):
    from secconsole.tui.dialogs.ways import WaysDialog
    from tui_helpers import enroll_totp

    enroll_totp(svc, "alice")
    svc.accounts.set_email_fallback(svc.accounts.get("alice").id, False, source="t")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _challenged(pilot, svc)
        assert screen.way.kind == "totp"
        assert "other_way" not in _footer_keys(app)
        assert not screen.query_one("#other-way").display
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        assert app.screen is screen and not isinstance(app.screen, WaysDialog)
        assert text_of(app, "#answer-label") == "Authenticator app code"


async def test_try_another_way_comes_and_goes_with_the_other_ways(svc):
    from tui_helpers import enroll_totp

    enroll_totp(svc, "alice")
    svc.way("question").set(svc.accounts.get("alice").id, "What was the name of your first pet?", "Biscuit",
                            source="t")
    svc.accounts.set_email_fallback(svc.accounts.get("alice").id, False, source="t")
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _challenged(pilot, svc)
        assert "other_way" in _footer_keys(app)
        # Giving the app up leaves the question only: ^O goes from the footer.
        screen.query_one("#give-up").press()
        await wait_until(pilot, lambda: screen.way.kind == "question")
        await pilot.pause()
        assert "other_way" not in _footer_keys(app)


async def test_the_question_shows_the_tries_before_its_lock_when_those_are_fewer(svc):
    from throttle_helpers import set_failures
    from tui_helpers import enroll_totp

    from secconsole.core import throttle

    enroll_totp(svc, "alice")
    alice = svc.accounts.get("alice")
    svc.way("question").set(alice.id, "What was the name of your first pet?", "Biscuit", source="t")
    set_failures(svc, throttle.way_key("question", alice.id), svc.profile.lockout.lock_after - 2)
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _challenged(pilot, svc)
        screen.query_one("#give-up").press()
        await wait_until(pilot, lambda: screen.way.kind == "question")
        await wait_until(pilot, lambda: "tries left" in text_of(app, "#tries-left"))
        assert text_of(app, "#tries-left") == "2 tries left before the security question locks."


async def test_the_question_offers_i_dont_know_and_counts_down_its_tries(svc):
    from tui_helpers import enroll_totp

    enroll_totp(svc, "alice")
    alice = svc.accounts.get("alice")
    svc.way("question").set(alice.id, "What was the name of your first pet?", "Biscuit", source="t")
    lock_after = svc.profile.lockout.lock_after
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _challenged(pilot, svc)
        screen.query_one("#give-up").press()
        await wait_until(pilot, lambda: screen.way.kind == "question")
        await wait_until(pilot, lambda: "tries left" in text_of(app, "#tries-left"))
        here = registry.get("question").capabilities.tries  # the challenge moves on after these
        assert here < lock_after
        assert text_of(app, "#tries-left") == f"{here} tries left for the security question this time."
        give_up = screen.query_one("#give-up")
        assert give_up.display and str(give_up.visual) == "I don't know the answer"
        assert text_of(app, "#answer-label") == "Your answer"

        await type_into(pilot, "#answer", "Rex")
        await pilot.press("enter")
        await wait_until(pilot, lambda: text_of(app, "#tries-left").startswith(f"{here - 1} tries"))

        # "I don't know the answer" gives the question up like "I can't use this" gives up a method:
        # the challenge moves on (here to the email code, the last resort).
        give_up.press()
        await wait_until(pilot, lambda: screen.way.kind == "email")
        assert "question" in screen.challenge.exhausted
