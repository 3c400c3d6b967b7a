"""Settings by keyboard: up and down walk its controls, focus shows without colour, and every
switch is visible in both themes, a disabled one too."""

from __future__ import annotations

import pytest

from secconsole.tui.screens.settings import SettingsScreen

from conftest import STRONG
from tui_helpers import enroll_totp, make_app, start_on

SIZE = (80, 24)
THEMES = ["textual-dark", "textual-light"]
#: The controls of alice's page (authenticator app on, a question, recovery codes), in order; the
#: app prompt and text messages cannot be turned on here, so their switches take no focus.
ORDER = ["switch-push", "switch-totp", "question", "remove-question", "recovery", "switch-email", "change-password"]


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    enroll_totp(sqlite_services, "alice")
    alice = sqlite_services.accounts.get("alice")
    sqlite_services.way("question").set(alice.id, "In what city were you born?", "Paris", source="test")
    sqlite_services.way("recovery").generate(alice.id, source="test")
    return sqlite_services


def in_view(screen, widget) -> bool:
    body = screen.query_one("#settings-body").content_region
    return body.contains_region(widget.region)


def markers_shown(screen) -> list[str]:
    """The ids of the controls whose focus marker is visible."""
    shown = []
    for marker in screen.query(".focus-marker"):
        if marker.styles.visibility == "visible":
            control = [w for w in marker.parent.children if w.focusable]
            shown.append(control[0].id if control else marker.parent.id)
    return shown


@pytest.mark.parametrize("size", [SIZE, (60, 20)], ids=["80x24", "60x20"])
async def test_down_and_up_move_the_focus_through_the_controls_in_order(svc, size):
    app = make_app(svc)
    async with app.run_test(size=size) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        screen = app.screen
        body = screen.query_one("#settings-body")
        assert app.focused.id == ORDER[0]
        for expected in ORDER[1:]:
            await pilot.press("down")
            assert app.focused.id == expected
            assert in_view(screen, app.focused), expected
            assert markers_shown(screen) == [expected]
        await pilot.press("down")  # past the last control: the rest of the page, the focus stays
        assert app.focused.id == ORDER[-1] and body.scroll_y == body.max_scroll_y > 0
        for expected in reversed(ORDER[:-1]):
            await pilot.press("up")
            assert app.focused.id == expected
            assert in_view(screen, app.focused), expected
        await pilot.press("up")  # before the first: the top of the page
        assert app.focused.id == ORDER[0] and body.scroll_y == 0
        assert isinstance(app.screen, SettingsScreen)


async def test_arrow_keys_in_a_burst_each_move_one_control(svc):
    """A held arrow key sends keys faster than the screen refreshes."""
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        body = app.screen.query_one("#settings-body")
        for _ in range(3):
            body.action_step(1)
        await pilot.pause()
        assert app.focused.id == ORDER[3]


@pytest.mark.parametrize("theme", THEMES)
async def test_the_focused_row_is_marked_and_reversed_not_only_tinted(svc, theme):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        app.theme = theme
        await pilot.pause()
        screen = app.screen
        assert markers_shown(screen) == ["switch-push"]
        marker = screen.query_one("#row-push .focus-marker")
        assert str(marker.visual) == "▶"
        name = screen.query_one("#row-push .setting-name")
        assert name.styles.text_style.reverse and name.styles.text_style.bold
        other = screen.query_one("#row-sms .setting-name")
        assert not other.styles.text_style.reverse


def shown_colour(app, x: int, y: int):
    """The colour a cell shows as its background once composited (reverse swaps the two); None
    when it has none of its own (the terminal's default: nothing drawn)."""
    style = app.screen._compositor.get_style_at(x, y)
    colour = style.color if style.reverse else style.bgcolor
    return None if colour is None else tuple(colour.get_truecolor())


def distance(cell, background) -> int:
    return 0 if cell is None else sum(abs(p - q) for p, q in zip(cell, background))


@pytest.mark.parametrize("theme", THEMES)
async def test_a_switch_that_cannot_be_turned_on_is_disabled_and_still_visible(svc, theme):
    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        await start_on(pilot, "settings", "alice", STRONG)
        app.theme = theme
        app.screen.query_one("#switch-totp").focus()  # as before the push row could take the focus
        await pilot.pause()
        screen = app.screen
        for kind in ("sms", "push", "totp", "email"):
            switch = screen.query_one(f"#switch-{kind}")
            assert switch.disabled == (kind == "sms"), kind
            region = switch.region
            background = switch.parent.background_colors[1].rgb  # the row's, as composited
            cells = [shown_colour(app, x, region.y) for x in range(region.x, region.right)]
            # Both halves (the knob and the track) stand out from the row: the switch is seen.
            assert min(distance(c, background) for c in cells) >= 60, (kind, theme, background, cells)


def _luminance(color) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = color.rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(fg, bg) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", THEMES)
async def test_a_focused_button_reads_clearly_in_both_themes(svc, theme):
    """Text on the accent colour: at least WCAG's 4.5:1 (it was light grey on orange, 1.5:1)."""
    from textual.color import Color

    app = make_app(svc)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        await start_on(pilot, "settings", "alice", STRONG)
        button = app.screen.query_one("#question")
        button.focus()
        await pilot.pause()
        style = button.rich_style
        fg, bg = Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)
        assert contrast(fg, bg) >= 4.5, (theme, fg, bg)
