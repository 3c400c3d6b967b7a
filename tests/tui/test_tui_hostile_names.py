"""Issue 11, hole 9: operator-set and stored names are plain text on every screen of the
authenticator app's enrollment and challenge, at 80x24. A hostile issuer (``--issuer``, the
config) used to crash the verify step (``[/]``) or put a live action link on it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from secconsole.core.totp import code_at
from secconsole.store.models import Account
from secconsole.tui.methods.totp import EnrollTotpScreen
from secconsole.tui.screens.challenge import ChallengeScreen
from secconsole.tui.screens.settings import SettingsScreen

from conftest import STRONG, make_config, open_test_services
from tui_helpers import make_app, not_now, sign_in, text_of, type_into, wait_until

SIZE = (80, 24)
HOSTILE = [  # (issuer, username as stored by another host or an older version)
    ("Acme [/] a[b]c", "[@click=app.quit]y[/]"),
    ("[@click=app.quit]x[/]", "[/] Bob [i]x"),
]


@pytest.fixture(params=HOSTILE, ids=["issuer-close-tag", "issuer-click-action"])
def hostile(request, tmp_path, clock):
    issuer, name = request.param
    services = open_test_services(request, make_config(tmp_path, issuer=issuer), clock)
    services.accounts.create("carol", "carol@example.com", STRONG, source="test")
    with services.db.transaction() as session:
        session.exec(select(Account)).one().username = name  # the sign-in key stays "carol"
    yield services, issuer, name
    services.close()


async def no_live_links(pilot, *selectors: str, clicks_at: str) -> None:
    """No span of what is shown carries an action, and a click where the text is runs none (a
    live ``[@click=app.quit]`` would quit the app)."""
    for selector in selectors:
        widget = pilot.app.screen.query_one(selector)
        assert not [s for s in widget.visual.spans if "@" in str(s.style)], selector
        x = str(widget.visual).find(clicks_at)
        if 0 <= x < widget.region.width:
            await pilot.click(selector, offset=(x + 1, 0))
        assert pilot.app.is_running, f"a click on {selector} ran an action"


async def test_hostile_issuer_and_name_are_shown_as_typed_through_enrollment_and_sign_in(hostile):
    services, issuer, name = hostile
    app = make_app(services)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        app.screen.query_one("#switch-totp").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, EnrollTotpScreen))
        await pilot.press("enter")  # Continue: the code to scan
        await wait_until(pilot, lambda: bool(app.screen.query("#qr")))
        assert f"Account: {issuer} ({name})" in text_of(app, "#scan-detail")
        await pilot.press("enter")  # Next: enter a code
        await wait_until(pilot, lambda: app.screen.query_one("#steps").current == "verify")
        assert text_of(app, "#verify-hint") == f"Type the 6-digit code your app shows for {issuer} ({name})."
        await no_live_links(pilot, "#verify-hint", "#scan-detail", "#topbar", clicks_at=name)
        pending = app.screen.pending
        await type_into(pilot, "#code", code_at(pending.secret, services.clock.now(), pending.params))
        await pilot.press("enter")
        await not_now(pilot)  # the recovery codes offered after the first second step
        assert app.is_running
    services.clock.advance(seconds=60)
    app = make_app(services)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "carol", STRONG)
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen))
        assert f"for {issuer} ({name})" in text_of(app, "#challenge-lead")
        await no_live_links(pilot, "#challenge-lead", "#topbar", clicks_at=issuer)
    assert services.accounts.get("carol").method("totp").enabled
