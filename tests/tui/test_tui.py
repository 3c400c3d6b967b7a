"""Pilot tests of every screen at 80x24, driven by the keyboard as a person would."""

from __future__ import annotations

import pytest
from sqlmodel import select

from secconsole.core import audit
from secconsole.store.models import Account
from secconsole.tui.screens.change_password import ChangePasswordScreen
from secconsole.tui.screens.create_account import CreateAccountScreen
from secconsole.tui.screens.home import HomeScreen
from secconsole.tui.screens.signin import SignInScreen

from conftest import STRONG, STRONG_2
from tui_helpers import make_app, settle, sign_in, text_of, type_into, wait_until

SIZE = (80, 24)


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    return sqlite_services


async def test_sign_in_reaches_home(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        assert isinstance(app.screen, HomeScreen)
        assert "Signed in as alice (alice@example.com)" in text_of(app, "#home-greeting")
        assert "Off: turn a method on in Settings" in text_of(app, "#home-summary")


async def test_wrong_password_and_unknown_user_get_the_same_message(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", "wrong-password")
        first = text_of(app, "#signin-error")
        assert app.screen.query_one("#password").value == ""
        await sign_in(pilot, "mallory", "wrong-password")
        assert text_of(app, "#signin-error") == first == "That username and password do not match."
        assert isinstance(app.screen, SignInScreen)


async def test_empty_fields_are_named(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")
        assert text_of(app, "#signin-error") == "Enter your username."
        await type_into(pilot, "#username", "alice", keys=True)
        await pilot.press("enter", "enter")
        assert text_of(app, "#signin-error") == "Enter your password."
        assert app.focused.id == "password"


async def test_markup_in_a_typed_username_is_harmless(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "[@click=app.quit]x", "[/]")
        assert app.is_running
        assert text_of(app, "#signin-error") == "That username and password do not match."


@pytest.mark.parametrize("evil", ["[/]", "[@click=app.quit]x", "a[b]c"])
async def test_markup_in_stored_names_renders_literally(svc, evil):
    """Rows written by another host or an older version may hold anything: render it as text."""
    with svc.db.transaction() as session:
        account = session.exec(select(Account)).one()
        account.username = evil
        account.email = f"{evil}@example.com"
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        assert f"Signed in as {evil} ({evil}@example.com)" in text_of(app, "#home-greeting")
        assert text_of(app, "#topbar") == f"SecConsole · Account · {evil}"
        await pilot.click("#topbar")
        assert app.is_running


async def test_create_account_with_live_checklist(sqlite_services):
    app = make_app(sqlite_services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, CreateAccountScreen)
        await type_into(pilot, "#username", "erin")
        await type_into(pilot, "#email", "erin@example.com")
        await type_into(pilot, "#password", "erin", keys=True)
        await settle(pilot)
        checklist = text_of(app, "#checklist")
        assert "✗ At least 10 characters" in checklist and "✗ Not your username or email" in checklist
        await type_into(pilot, "#password", STRONG)
        await type_into(pilot, "#confirm", STRONG)
        await settle(pilot)
        assert "✗" not in text_of(app, "#checklist")
        await pilot.press("enter")
        from secconsole.tui.screens.verify_email import VerifyEmailScreen

        await wait_until(pilot, lambda: isinstance(app.screen, VerifyEmailScreen))
        await pilot.press("escape")  # later
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert sqlite_services.accounts.get("erin").email == "erin@example.com"


async def test_create_account_errors_point_at_the_field(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")
        await type_into(pilot, "#username", "[/]")
        await type_into(pilot, "#email", "x@example.com")
        await type_into(pilot, "#password", STRONG)
        await type_into(pilot, "#confirm", STRONG)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.query_one("#create-error").display)
        assert "not '['" in text_of(app, "#create-error")
        assert app.focused.id == "username"
        await type_into(pilot, "#username", "ALICE")
        await pilot.click("#submit")
        await wait_until(pilot, lambda: "taken" in text_of(app, "#create-error"))
        await type_into(pilot, "#username", "frank")
        await type_into(pilot, "#confirm", STRONG + "x")
        await pilot.click("#submit")
        await wait_until(pilot, lambda: "do not match" in text_of(app, "#create-error"))
        assert app.focused.id == "confirm"
        await pilot.press("escape")
        assert isinstance(app.screen, SignInScreen)
    assert [a.username for a in svc.accounts.list()] == ["alice"]


async def test_change_password_then_sign_out_and_back_in(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await sign_in(pilot, "alice", STRONG)
        await pilot.press("c")
        assert isinstance(app.screen, ChangePasswordScreen)
        await type_into(pilot, "#current", "not-it")
        await type_into(pilot, "#new", STRONG_2)
        await type_into(pilot, "#confirm", STRONG_2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "not correct" in text_of(app, "#change-error"))
        await type_into(pilot, "#current", STRONG)
        await type_into(pilot, "#new", STRONG)
        await type_into(pilot, "#confirm", STRONG)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "last 5 passwords" in text_of(app, "#change-error"))
        await type_into(pilot, "#new", STRONG_2)
        await type_into(pilot, "#confirm", STRONG_2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert any("password was changed" in str(n.message) for n in app._notifications)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert app.screen.query_one("#username").value == ""
        assert app.focused.id == "username"
        await sign_in(pilot, "alice", STRONG)
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, "alice", STRONG_2)
        assert isinstance(app.screen, HomeScreen)
    kinds = [e.kind for e in svc.accounts.recent_events("alice", limit=50)]
    assert {audit.PASSWORD_CHANGED, audit.PASSWORD_CHANGE_FAILED, audit.SIGNED_OUT} <= set(kinds)


async def test_home_menu_works_by_arrow_keys(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await sign_in(pilot, "alice", STRONG)
        await pilot.press("down", "down", "enter")
        assert isinstance(app.screen, ChangePasswordScreen)
        await pilot.press("escape")
        await pilot.press("home", "enter")
        from secconsole.tui.screens.settings import SettingsScreen

        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))


async def test_theme_toggles_and_palette_opens(svc):
    from textual.command import CommandPalette

    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"create acc", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CreateAccountScreen))


async def test_palette_signs_out(svc):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "alice", STRONG)
        await pilot.press("ctrl+p")
        await pilot.press(*"sign out")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert app.account is None


async def test_demo_start_as_and_open(svc):
    from secconsole.demo.seed import seed

    seed(svc)
    app = make_app(svc, demo=True, start_as="bob", open_screen="change-password")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangePasswordScreen))
        assert text_of(app, "#topbar-demo") == "DEMO"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen) and app.account.username == "bob"
    step = svc.accounts.recent_events("bob")[0]
    assert step.kind == audit.SIGNIN_SUCCEEDED and step.detail == {"step": "demo --as"}


async def test_demo_sign_in_helper_refuses_outside_demo_mode(svc):
    from secconsole.demo.seed import sign_in_as

    with pytest.raises(RuntimeError):
        sign_in_as(svc, "alice")


async def test_open_create_account_without_signing_in(svc):
    app = make_app(svc, open_screen="create-account")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CreateAccountScreen))


async def test_services_load_in_the_background_and_demo_is_seeded(tmp_path):
    from conftest import make_config
    from secconsole.tui.app import SecConsoleApp

    app = SecConsoleApp(make_config(tmp_path, demo=True), cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, SignInScreen)  # painted before the database opened
        await sign_in(pilot, "carol", "Cobalt-Meadow-88#")
        assert isinstance(app.screen, HomeScreen)
        (await app.services()).close()


async def test_a_lost_key_shows_the_reason_and_quits_with_an_error(tmp_path, clock):
    from conftest import make_config
    from secconsole.services import open_services
    from secconsole.tui.app import SecConsoleApp
    from secconsole.tui.screens.problem import ProblemScreen

    config = make_config(tmp_path)
    open_services(config, clock=clock).close()
    config.key_file.unlink()
    app = SecConsoleApp(config, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ProblemScreen))
        assert "is missing, but this database holds secrets" in text_of(app, "#problem-message")
        await pilot.press("enter")
    assert app.return_code == 1


def test_every_binding_has_an_id():
    """Every screen, dialog and widget of ours, found by walking the package."""
    import importlib
    import inspect
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import secconsole.tui as tui

    owners = set()
    for module in pkgutil.walk_packages(tui.__path__, prefix="secconsole.tui."):
        loaded = importlib.import_module(module.name)
        for _, obj in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(obj, DOMNode) and obj.__module__.startswith("secconsole."):
                owners.add(obj)
    assert len(owners) >= 20
    for owner in owners:
        for binding in owner.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding) and binding.id, (owner.__name__, binding)


@pytest.mark.parametrize(("throwaway", "says"), [(True, "Data is thrown away on exit."),
                                                 (False, "Data is kept between sessions.")])
async def test_the_demo_panel_says_whether_data_is_kept(svc, throwaway, says):
    app = make_app(svc, demo=True, throwaway=throwaway)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert says in text_of(app, "#demo-panel")
