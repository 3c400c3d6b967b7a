"""Styles cannot leak from one screen to another.

Textual reads a screen's CSS_PATH into the app's one stylesheet the first time the screen is shown,
and it stays there: a rule in styles/home.tcss that is not nested under HomeScreen styles every
screen shown after Home. So each sheet nests its rules under the types that load it (or their
subclasses), app.tcss holds only the short list below, and a plain screen shown after every other
screen looks exactly as it did before any of them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.css.model import SelectorType
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static, Switch

import secconsole.phone as phone
import secconsole.tui as tui
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.fields import TextField

from conftest import STRONG
from tui_helpers import make_app, settle, sign_in, wait_until

STYLES = Path(__file__).resolve().parents[2] / "styles"
#: The global sheet: the app's own CSS_PATH, read for every screen.
GLOBAL_SHEET = "app.tcss"
#: Every selector app.tcss may hold: classes every screen uses. Add one only if it truly is global.
GLOBAL_SELECTORS = {".card", ".card-title", ".buttons",
                    # demo mode's device/inbox hint: one look wherever a screen shows one
                    ".demo-hint",
                    # below the smallest window (tui/size_guard.py) every screen shows one line only
                    "Screen.-too-small > *", "Screen.-too-small > TooSmall"}


def _our_classes() -> set[type[DOMNode]]:
    found = set()
    modules = [*pkgutil.walk_packages(tui.__path__, prefix="secconsole.tui."),
               *pkgutil.walk_packages(phone.__path__, prefix="secconsole.phone.")]  # the phone app's sheets
    for module in modules:
        loaded = importlib.import_module(module.name)
        for _, obj in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(obj, DOMNode) and obj.__module__.startswith("secconsole."):
                found.add(obj)
    return found


def _owners() -> dict[str, set[type[Screen]]]:
    """Sheet file name -> the screen classes whose own CSS_PATH names it."""
    owners: dict[str, set[type[Screen]]] = {}
    for cls in _our_classes():
        if issubclass(cls, Screen):
            for path in cls.__dict__.get("CSS_PATH") or []:
                owners.setdefault(Path(path).name, set()).add(cls)
    return owners


def _allowed_types(sheet: str) -> set[str]:
    """The owners of a sheet and their subclasses: the types its rules may be nested under."""
    owners = _owners()[sheet]
    return {cls.__name__ for cls in _our_classes() if issubclass(cls, tuple(owners))}


def _selector_sets(sheet: str):
    """Every selector of the sheet as Textual flattens it (nested rules come out as
    ``OwnerType .child``), with its text."""
    stylesheet = Stylesheet(variables=App().get_css_variables())
    stylesheet.read(STYLES / sheet)
    stylesheet.parse()
    for rule in stylesheet.rules:
        for selector_set in rule.selector_set:
            yield selector_set, selector_set.css


SCREEN_SHEETS = sorted(p.name for p in STYLES.glob("*.tcss") if p.name != GLOBAL_SHEET)


def test_every_sheet_is_loaded_by_a_screen_or_is_the_global_one():
    owners = _owners()
    assert set(owners) == set(SCREEN_SHEETS)
    assert all((STYLES / sheet).is_file() for sheet in owners)
    from secconsole.tui.app import SecConsoleApp

    assert Path(SecConsoleApp.CSS_PATH[0]).name == GLOBAL_SHEET


@pytest.mark.parametrize("sheet", SCREEN_SHEETS)
def test_every_rule_of_a_screen_sheet_is_nested_under_a_type_that_loads_it(sheet):
    allowed = _allowed_types(sheet)
    for selector_set, text in _selector_sets(sheet):
        first = selector_set.selectors[0]
        assert first.type == SelectorType.TYPE and first.name in allowed, (
            f"styles/{sheet}: {text!r} is not nested under {' or '.join(sorted(allowed))}: "
            f"it would style every screen shown after this one"
        )


def test_the_global_sheet_holds_only_the_global_classes():
    found = {text for _, text in _selector_sets(GLOBAL_SHEET)}
    assert found <= GLOBAL_SELECTORS, f"app.tcss styles every screen: {found - GLOBAL_SELECTORS}"


def test_widget_styles_stay_scoped_to_their_widget():
    """Textual scopes a widget's DEFAULT_CSS to the widget unless SCOPED_CSS is False."""
    for cls in _our_classes():
        assert cls.__dict__.get("SCOPED_CSS", True), cls.__name__
        assert not cls.__dict__.get("CSS"), f"{cls.__name__}.CSS: use a nested sheet in styles/"


# -- behaviour: a screen shown after all the others looks as it did before them -------------------


def _names_in_screen_sheets() -> tuple[list[str], str]:
    """Every id, and every class (as one class string), that a screen sheet styles."""
    ids, classes = set(), set()
    global_classes = {s.lstrip(".") for s in GLOBAL_SELECTORS}
    for sheet in SCREEN_SHEETS:
        for selector_set, _ in _selector_sets(sheet):
            for selector in selector_set.selectors:
                if selector.type == SelectorType.ID:
                    ids.add(selector.name)
                elif selector.type == SelectorType.CLASS and selector.name not in global_classes:
                    classes.add(selector.name)
    return sorted(ids), " ".join(sorted(classes))


class ProbeScreen(Screen[None]):
    """Not an owner of any sheet: for every id a screen sheet names, a container with that id and
    every class the sheets name, holding one of each widget kind the sheets style inside a
    container (so descendant rules such as ``.setting-row Switch`` would match too)."""

    def __init__(self, ids: list[str], classes: str) -> None:
        super().__init__()
        self.ids = ids
        self.probe_classes = classes

    def _leaves(self):
        c = self.probe_classes
        return [
            Static("s", classes=c), Label("l", classes=c), Input(classes=c), TextField(classes=c),
            Switch(classes=c, animate=False), Select([("a", 1)], allow_blank=False, classes=c, compact=True),
            ActionButton("b", id=None, primary=True), ActionButton("b", id=None),
        ]

    def compose(self) -> ComposeResult:
        for probe_id in [None, *self.ids]:
            yield Vertical(Vertical(*self._leaves(), classes=self.probe_classes), id=probe_id, classes=self.probe_classes)


def _styles_of(screen: Screen) -> list[tuple[str, dict[str, str]]]:
    """What CSS set on each node (as text: a Layout, for one, has no equality)."""
    return [
        (repr(node), {k: str(v) for k, v in node._css_styles.get_rules().items()})
        for node in screen.walk_children(with_self=True)
    ]


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    sqlite_services.clock.advance(days=120)  # Home and Settings show the password reminder banner
    return sqlite_services


async def test_a_plain_screen_shown_after_every_other_screen_is_styled_as_before(svc):
    from secconsole.tui.dialogs.confirm import ConfirmDialog
    from secconsole.tui.dialogs.ways import WaysDialog
    from secconsole.tui.screens.add_card import AddCardScreen
    from secconsole.tui.methods.totp import EnrollTotpScreen
    from secconsole.tui.screens.home import HomeScreen
    from secconsole.tui.screens.payments import PaymentsScreen
    from secconsole.tui.screens.problem import ProblemScreen
    from secconsole.tui.screens.settings import SettingsScreen

    ids, classes = _names_in_screen_sheets()
    assert {"home-body", "dialog", "steps", "settings-body", "signin-card"} <= set(ids)
    assert {"banner", "section", "setting-row", "form-card", "warning"} <= set(classes.split())

    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ProbeScreen(ids, classes))
        await settle(pilot)
        before = _styles_of(app.screen)
        app.pop_screen()

        # Every screen sheet into the stylesheet, the way a user would load them.
        await sign_in(pilot, "alice", STRONG)
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await app.push_screen(ConfirmDialog("Sure?", "Really.", confirm="Yes"))
        await pilot.press("n")
        await app.push_screen(WaysDialog([]))
        await pilot.press("escape")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PaymentsScreen))
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddCardScreen))
        await pilot.press("escape")
        await app.push_screen(EnrollTotpScreen(app.account))
        await settle(pilot)
        app.pop_screen()
        from secconsole.tui.methods.sms import EnrollSmsScreen

        await app.push_screen(EnrollSmsScreen(app.account))
        await settle(pilot)
        app.pop_screen()
        from secconsole.tui.methods.push import EnrollPushScreen

        await app.push_screen(EnrollPushScreen(app.account))
        await settle(pilot)
        app.pop_screen()
        await app.push_screen(ProblemScreen("a problem"))
        await settle(pilot)
        app.pop_screen()
        loaded = {Path(path).name for path, _ in app.stylesheet.source if path.endswith(".tcss")}
        # phone*.tcss belong to the phone app (secconsole.phone), a separate App with its own stylesheet
        assert loaded == {GLOBAL_SHEET, *(s for s in SCREEN_SHEETS if not s.startswith("phone"))}

        await app.push_screen(ProbeScreen(ids, classes))
        await settle(pilot)
        after = _styles_of(app.screen)

    assert len(after) == len(before)
    for (node, was), (_, now) in zip(before, after):
        changed = {k: (was.get(k), now.get(k)) for k in was.keys() | now.keys() if was.get(k) != now.get(k)}
        assert not changed, f"{node} is styled by another screen's sheet: {changed}"
