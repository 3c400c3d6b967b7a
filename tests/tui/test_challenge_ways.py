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
         "question": "security question", "pin": "PIN"}
MALFORMED = {"totp": "12", "email": "12", "recovery": "abc", "question": "  ", "pin": "12"}


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


async def test_empty_and_malformed_answers_name_the_way(enrolled):
    spec, services, _driver = enrolled
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
