"""The smallest window (issue 12, item 16): every screen is usable at 60x20, with its focused
control and its footer on screen; below that, one line asks for a bigger window."""

from __future__ import annotations

import pytest
from textual.widgets import Footer

from secconsole.demo.seed import seed
from secconsole.tui.routes import ROUTES
from secconsole.tui.screens.signin import SignInScreen
from secconsole.tui.size_guard import MINIMUM

from conftest import STRONG
from deep_link_cases import SCREENS
from tui_helpers import make_app, settle, start_on, text_of, wait_until


@pytest.fixture
def svc(sqlite_services):
    seed(sqlite_services)
    return sqlite_services


def footer_of(screen):
    return screen.query_one("#signin-keys") if isinstance(screen, SignInScreen) else screen.query_one(Footer)


def on_screen(screen, widget) -> bool:
    return widget.display and widget.region.height > 0 and screen.region.contains_region(widget.region)


def deep(name: str) -> bool:
    """A demo deep link that ``start_on`` cannot open: its screen is not the route's own."""
    return ROUTES[name].challenge is not None or ROUTES[name].step_up


async def open_route(pilot, name: str) -> None:
    app = pilot.app
    if deep(name):  # opened at start (demo --as USER --open challenge...)
        await wait_until(pilot, lambda: SCREENS[name][2](app))
    elif name == "signin":
        await app.services()
    elif not ROUTES[name].needs_account:
        await app.services()
        app.open_route(name)
        await wait_until(pilot, lambda: isinstance(app.screen, ROUTES[name].load()))
    else:
        await start_on(pilot, name, "carol", "Cobalt-Meadow-88#")
    await settle(pilot)


@pytest.mark.parametrize("name", list(ROUTES))
async def test_every_screen_is_usable_at_the_minimum(svc, name):
    user, setup, _shown = SCREENS[name]
    if setup:
        setup(svc)
    app = make_app(svc, demo=True, **({"start_as": user, "open_screen": name} if deep(name) else {}))
    async with app.run_test(size=MINIMUM) as pilot:
        await open_route(pilot, name)
        screen = app.screen
        footer = footer_of(screen)
        assert on_screen(screen, footer), f"footer at {footer.region}"
        focused = app.focused
        assert focused is not None
        assert on_screen(screen, focused), f"{focused} at {focused.region}"
        assert not focused.region.overlaps(footer.region)
        assert not screen.has_class("-too-small")
        # The footer's own keys may run past the edge (Textual's Footer scrolls); nothing else.
        cut = [w for w in screen.query("*") if w.region.width and w.region.right > screen.region.right
               and not any(isinstance(a, Footer) for a in w.ancestors)]
        assert not cut, f"cut off at the right: {cut}"
        assert not clipped_buttons(screen)


def clipped_buttons(screen) -> list:
    """Buttons wider than what their row shows: "Create account     Cance"."""
    from secconsole.tui.widgets.action_button import ActionButton

    return [b for b in screen.query(ActionButton) if b.display and b.region.width
            and b.region.right > b.parent.content_region.right]


async def test_the_challenge_fits_the_minimum_with_every_button_whole(svc):
    from secconsole.tui.screens.challenge import ChallengeScreen
    from tui_helpers import sign_in

    app = make_app(svc, demo=True)
    async with app.run_test(size=MINIMUM) as pilot:
        await sign_in(pilot, "alice", "Tulip-Harbor-42!")
        await wait_until(pilot, lambda: isinstance(app.screen, ChallengeScreen) and app.screen.way is not None)
        await settle(pilot)
        assert not clipped_buttons(app.screen)
        app.screen.query_one("#give-up").press()  # on to the question: "I don't know the answer"
        await wait_until(pilot, lambda: app.screen.way.kind == "question")
        await settle(pilot)
        assert not clipped_buttons(app.screen)


async def test_below_the_minimum_one_line_asks_for_a_bigger_window(svc):
    app = make_app(svc, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.services()
        field = app.screen.query_one("#username")
        assert app.focused is field
        await pilot.resize_terminal(50, 15)
        await pilot.pause(0.2)
        line = app.screen.query_one("#too-small")
        assert on_screen(app.screen, line)
        assert text_of(app, "#too-small") == "secconsole needs at least 60x20; this window is 50x15."
        assert not field.region.height  # the screen's own widgets are hidden
        await pilot.press("x", "ctrl+n")  # typed blind: nothing happens
        assert isinstance(app.screen, SignInScreen) and field.value == ""
        await pilot.resize_terminal(*MINIMUM)
        await pilot.pause(0.2)
        assert not app.screen.query_one("#too-small").display
        assert app.focused is field and on_screen(app.screen, field)
