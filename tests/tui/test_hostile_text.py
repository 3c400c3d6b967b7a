"""Hostile text through the screens and dialogs (Pilot at 80x24): markup, escape sequences (OSC 52
clipboard, OSC 0 title, CSI clear screen), bidi override and zero-width characters, NUL and a
10,000-character string, whether stored (rows written by another host or an older version), typed,
pre-filled from an SSH user name, or set by the operator (the issuer). The app stays alive, shows
the text literally (control and bidi characters as visible escapes), and what it would write to
the terminal holds no escape sequence but its own colours and cursor moves."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlmodel import select

from conftest import STRONG
from secconsole.core.text import printable
from secconsole.store.models import Account, AuditEvent, BillingMethod
from tui_helpers import enroll_totp, make_app, settle, sign_in, type_into, wait_until

SIZE = (80, 24)
OSC52, TITLE, CLEAR = "\x1b]52;c;aGk=\x07", "\x1b]0;pwned\x07", "\x1b[2J"
HOSTILE = {
    "markup": "[/] [b]bold [@click=app.quit]x[/]",
    "osc52": f"clip{OSC52}board",
    "title": f"ti{TITLE}tle",
    "clear": f"cl{CLEAR}ear",
    "bidi": "abc\u202eevil\u200bzero",
    "nul": "nu\x00l\x7f\x9b",
    "long": "W" * 10_000,
}
#: What Textual itself writes: colours (SGR) and cursor positions (CUP). Anything else is a leak.
_OURS = re.compile(r"\x1b\[[0-9;:]*[mH]")


def terminal_output(app) -> str:
    """What the app would write to the terminal for a full repaint of the current screen."""
    return app.screen._compositor.render_update(full=True).render_segments(app.console)


def assert_clean(app) -> None:
    assert app.is_running
    leftover = _OURS.sub("", terminal_output(app))
    leaked = {c for c in leftover if (c < " " and c != "\n") or "\x7f" <= c < "\xa0" or c == "\u202e"}
    assert not leaked, f"raw {sorted(leaked)!r} reach the terminal: {leftover[leftover.find(min(leaked)) - 40:][:80]!r}"


def shown(app) -> str:
    """The screen's text without Textual's own sequences."""
    return _OURS.sub("", terminal_output(app))


@pytest.fixture
def alice(sqlite_services):
    return sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")


def store_hostile(services, account_id: int, evil: str) -> None:
    """Write ``evil`` where only another host or an older version could: past every validator."""
    services.way("question").set(account_id, "What was the name of your first pet?", "Biscuit", source="t")
    services.payments.add_card(account_id, "Al Ice", "4242 4242 4242 4242", "04/29", source="t")
    with services.db.transaction() as session:
        account = session.get(Account, account_id)
        account.username, account.email = f"al{evil}"[:20_000], f"{evil}@example.com"
        account.security_question = f"Q {evil}"
        for card in session.exec(select(BillingMethod)).all():
            card.holder_name = evil
        for event in session.exec(select(AuditEvent)).all():
            event.source = f"ssh {evil}"


@pytest.mark.parametrize("evil", ["".join(v for k, v in HOSTILE.items() if k != "long"), HOSTILE["long"]],
                         ids=["every-kind", "long"])
async def test_stored_text_on_home_settings_and_payments(sqlite_services, alice, evil):
    store_hostile(sqlite_services, alice.id, evil)
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        await settle(pilot)
        assert_clean(app)
        if evil != HOSTILE["long"]:  # the long one is cut by the layout; the others show literally
            assert "al[/] [b]bold" in shown(app) and "\\x1b]52;c;" in shown(app)
        for key in ("s", "escape", "p"):
            await pilot.press(key)
            await settle(pilot)
            assert_clean(app)


async def test_text_typed_or_pasted_into_fields_never_reaches_the_terminal(sqlite_services, alice):
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        for evil in HOSTILE.values():
            await type_into(pilot, "#username", evil)
            assert_clean(app)
        await sign_in(pilot, HOSTILE["title"], HOSTILE["osc52"])
        assert_clean(app)
        await pilot.press("ctrl+n")
        for field in ("#username", "#email"):
            await type_into(pilot, field, HOSTILE["clear"] + HOSTILE["bidi"])
        await pilot.press("enter")
        await settle(pilot)
        assert_clean(app)


async def test_a_prefilled_ssh_user_name_cannot_drive_the_terminal(sqlite_services):
    app = make_app(sqlite_services, prefill_username=f"root{TITLE}{OSC52}")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#username").value == "root]0;pwned]52;c;aGk="
        assert_clean(app)


async def test_toasts_quoting_hostile_text(sqlite_services):
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.notify(f"There is no account named {HOSTILE['title']}", title=HOSTILE["osc52"], markup=False)
        await settle(pilot)
        assert_clean(app)
        assert "\\x1b]0;pwned\\x07" in shown(app)


async def test_a_hostile_issuer_in_the_challenge(sqlite_services, alice):
    enroll_totp(sqlite_services, "alice")
    sqlite_services.config = replace(sqlite_services.config, issuer=f"Acme [/] {TITLE}\u202e")
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        await settle(pilot)
        assert_clean(app)
        assert "[/] \\x1b]0;pwned\\x07\\u202e (alice)" in shown(app)


async def test_a_hostile_issuer_on_the_enrollment_screen(sqlite_services, alice):
    sqlite_services.config = replace(sqlite_services.config, issuer=f"Acme [/] [@click=app.quit]x[/] {TITLE}")
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        app.open_route("enroll-totp")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrollTotpScreen")
        await settle(pilot)
        for _ in range(3):
            await pilot.press("enter")
            await settle(pilot)
        assert_clean(app)
