"""The Textual application: paints the sign-in screen first, then opens the database in a thread."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from textual.app import App, SystemCommand
from textual.binding import Binding

from secconsole.config import Config
from secconsole.core.text import printable
from secconsole.errors import SecConsoleError
from secconsole.tui.screens.signin import SignInScreen
from secconsole.tui.session import Session
from secconsole.tui.styles import stylesheet

if TYPE_CHECKING:
    from secconsole.core.views import AccountView
    from secconsole.core.clock import Clock
    from secconsole.services import Services

T = TypeVar("T")


class SecConsoleApp(App[None]):
    TITLE = "SecConsole"
    # Textual reads a pushed screen's CSS_PATH, but not the default screen's (get_default_screen):
    # the app reads the sign-in sheet itself.
    CSS_PATH = [stylesheet("app"), *SignInScreen.CSS_PATH]
    # Screens' sheets lay out narrower windows (60 to 79 columns) under `.-narrow`.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("ctrl+t", "toggle_theme", "Light/dark", id="app.toggle_theme", show=False),
        # Priority, so focus moves the moment Tab arrives: otherwise keys typed right after it
        # (a fast typist, a password manager, a slow link) are already queued for the old field.
        Binding("tab", "focus_next", "Next field", id="app.focus_next", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "Previous field", id="app.focus_previous", show=False, priority=True),
        # Demo mode only (the action does nothing otherwise): the Dev drawer, tui/demo/drawer.py.
        # F2 too: in a browser tab (serve-web) F12 opens the browser's own tools.
        Binding("f12,f2", "demo_drawer", "Dev drawer", id="demo.drawer", show=False),
    ]

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        services: Services | None = None,
        start_as: str | None = None,
        open_screen: str | None = None,
        state: str | None = None,
        prefill_username: str = "",
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.config = config
        self.cursor_blink_enabled = cursor_blink
        self.prefill_username = prefill_username
        self.session = Session(self)
        self._clock = clock
        self._services = services
        self._load_error: BaseException | None = None
        self._services_event = asyncio.Event()
        self._start_as = start_as
        self._pending_route = open_screen
        #: A demo state preset (``demo.states``) to put an account in before starting.
        self._state = state
        #: Stops the push API this console started for itself (demo mode), when it exits.
        self._stop_api = None

    # -- start-up -------------------------------------------------------------------------

    def get_default_screen(self) -> SignInScreen:
        return SignInScreen()

    def on_ready(self) -> None:
        """After the first frame: a loader thread started earlier would slow that frame down."""
        from secconsole.tui import server_notices, size_guard

        server_notices.listen(self)
        self.screen_change_signal.subscribe(self, lambda screen: size_guard.check(self, screen))
        self.session.changed.subscribe(self, self._account_changed)
        size_guard.check(self)
        if self._services is None:
            self.run_worker(self._open_services, thread=True, group="services", exit_on_error=False)
        else:
            self._start_push_api(self._services)
            self._services_ready()

    def on_resize(self, event) -> None:
        """Below the smallest size it is laid out for, the console says so in one line."""
        from secconsole.tui import size_guard

        if self.screen_stack:
            size_guard.check(self, size=event.size)

    def _open_services(self) -> None:
        """Runs in a thread after the first paint: SQLAlchemy, argon2 and migrations cost ~0.4 s."""
        from secconsole.services import open_services

        try:
            services = open_services(self.config, clock=self._clock)
            if self.config.demo:
                from secconsole.demo.seed import seed

                seed(services)
        except BaseException as exc:  # shown on screen; the traceback goes to the log
            self.call_from_thread(self._services_failed, exc)
            return
        self._services = services
        self._warn_about_files(services.warnings)
        try:
            self._start_push_api(services)
        except Exception as exc:  # the console works without it; the pairing wizard says it is not running
            from secconsole import errorlog

            errorlog.write(exc, self.config.error_log)
        self.call_from_thread(self._services_ready)

    def _warn_about_files(self, warnings: list[str]) -> None:
        """Files others can read: into the operator's log, and on screen at a local terminal
        (an SSH or browser user cannot fix the server's files)."""
        from secconsole import errorlog

        for warning in warnings:
            errorlog.note(warning, self.config.error_log)
            if self.config.source.startswith("local"):
                self.call_from_thread(self.notify, warning, title="File permissions", severity="warning",
                                      timeout=30, markup=False)

    def _services_failed(self, exc: BaseException) -> None:
        from secconsole.tui.screens.problem import ProblemScreen

        self._load_error = exc
        self._services_event.set()
        self.push_screen(ProblemScreen(self.describe_error(exc)))

    def _start_push_api(self, services) -> None:
        """Demo mode: each console has its own throwaway database, so its own push API, on an
        ephemeral loopback port; the pairing link carries its address. Before the services are
        announced, so a wizard opened at start finds it. A kept demo database (``--db``) gets the
        port it had last time when that is free, so the phones paired with it still reach it."""
        if not self.config.demo or self.config.push_api_url or self._stop_api is not None:
            return
        from secconsole.api.server import start_again_in_process

        _url, self._stop_api = start_again_in_process(services)

    def on_unmount(self) -> None:
        if self._stop_api is not None:
            self._stop_api()

    def _services_ready(self) -> None:
        self._services_event.set()
        if self._start_as or self._state:
            from secconsole.tui.demo.start import demo_start

            self.run_worker(demo_start(self, self._start_as, self._state), group="start")
        elif self._pending_route and not self._route_needs_account(self._pending_route):
            # Opened now, and only once: a sign-in later (say the account made there) goes Home.
            route, self._pending_route = self._pending_route, None
            self.open_route(route)

    @property
    def loaded_services(self) -> Services | None:
        """The services if they have loaded (for timers that must not wait)."""
        return self._services

    async def services(self) -> Services:
        """The services, once the background load has finished."""
        await self._services_event.wait()
        if self._services is None:
            raise SecConsoleError(self.describe_error(self._load_error))
        return self._services

    # -- calling the core -----------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        """Every toast (screens' ``notify`` comes here): a message that quotes people's text, such as
        an error, never writes a control or bidi character to the terminal. A screen with a
        ``take_notice`` method (the authenticator wizard's scan step) may show it instead."""
        message, title = printable(message, newlines=True), printable(title)
        take = getattr(self.screen, "take_notice", None) if self.screen_stack else None
        if take is not None and take(message, title=title, severity=kwargs.get("severity", "information"),
                                     timeout=kwargs.get("timeout")):
            return  # a screen where a toast would be in the way shows it on a line of its own
        super().notify(message, title=title, **kwargs)

    async def run_core(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking core call in a thread. User errors pass through; anything else is
        logged and becomes a user error, so no traceback ever reaches the screen."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except SecConsoleError:
            raise
        except Exception as exc:
            raise SecConsoleError(self.describe_error(exc)) from exc

    def describe_error(self, exc: BaseException | None) -> str:
        if isinstance(exc, SecConsoleError):
            return str(exc)
        from secconsole import errorlog

        return f"Something went wrong ({type(exc).__name__}). {errorlog.where(exc, self.config.error_log)}"

    # -- session --------------------------------------------------------------------------

    def signed_in(self, account: AccountView, *, then: str | None = None) -> None:
        """Home for ``account``, then the route asked for (``then``, or ``--open``'s). An account
        that must change its password (a prompt was reported as not you) gets that form first,
        and nothing else until it is changed (``open_route`` refuses) or the session signs out."""
        from secconsole.tui.screens.change_password import ForcedPasswordChangeScreen

        self.session.signed_in(account, self._services.clock.now())
        route, self._pending_route = then or self._pending_route, None
        if account.password_change_required:
            self.push_screen(ForcedPasswordChangeScreen(account),
                             lambda changed: self._go_home(route, changed=True) if changed else None)
            return
        self._go_home(route)

    def _account_changed(self, account: AccountView) -> None:
        """A session signed in before a prompt was reported learns it when a page re-reads the
        account: the forced change goes on top of whatever is open."""
        from secconsole.tui.screens.change_password import ForcedPasswordChangeScreen
        from secconsole.tui.screens.home import HomeScreen

        stack = self.screen_stack
        if (account.password_change_required and any(isinstance(s, HomeScreen) for s in stack)
                and not any(isinstance(s, ForcedPasswordChangeScreen) for s in stack)):
            self.push_screen(ForcedPasswordChangeScreen(account))

    def _go_home(self, route: str | None, *, changed: bool = False) -> None:
        from secconsole.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen(self.account))
        if route and route != "home" and not (changed and route == "change-password"):
            self.open_route(route)

    async def sign_out(self) -> None:
        account = self.session.signed_out()
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        self.screen.reset()
        if account is not None:
            services = await self.services()
            await self.run_core(services.signin.sign_out, account.id, source=self.config.source)
        self.notify("You are signed out.")

    def _route_needs_account(self, name: str) -> bool:
        from secconsole.tui.routes import ROUTES

        return ROUTES[name].needs_account

    def open_route(self, name: str) -> None:
        """Push the screen a route names: with the account when it needs one (nothing when no
        one is signed in), behind step-up when it is protected."""
        from secconsole.tui.routes import ROUTES

        route = ROUTES[name]
        if (route.screen is None or route.challenge is not None or not route.offered(self.config)
                or self.password_change_due):
            return
        if not route.needs_account:
            self.push_screen(route.load()())
        elif self.account is not None:
            if route.protected:
                self.open_protected(name)
            else:
                self.push_screen(self._screen_for(name))

    def _screen_for(self, name: str):
        """The screen of a route that needs the account, on the wizard step it names."""
        from secconsole.tui.routes import ROUTES

        route = ROUTES[name]
        return route.load()(self.account, **({"start_step": route.step} if route.step else {}))

    # -- step-up --------------------------------------------------------------------------

    @property
    def account(self) -> AccountView | None:
        """The signed-in account (``session.account``)."""
        return self.session.account

    @property
    def password_change_due(self) -> bool:
        """The signed-in account must change its password before anything else."""
        return self.account is not None and self.account.password_change_required

    def step_up_is_fresh(self) -> bool:
        if self._services is None:
            return False
        return not self.session.step_up_due(self._services.clock.now(), self.config.step_up_minutes)

    def open_protected(self, name: str) -> None:
        """Settings and Payments: straight in within the step-up window, else confirm it's you
        (with the second step when the account has one, else the password)."""
        from secconsole.tui.screens.challenge import STEP_UP, ChallengeScreen
        from secconsole.tui.screens.stepup import StepUpScreen

        from secconsole.tui.routes import DEFAULT_PURPOSE, PURPOSES, ROUTES

        if self.account is None:
            return
        if ROUTES[name].step_up:
            self.session.check_due()

        def show() -> None:
            parent = ROUTES[name].parent
            if parent:  # the screen it is opened from, beneath it
                self.push_screen(self._screen_for(parent))
            (self.push_wizard if name.startswith("enroll-") else self.push_screen)(self._screen_for(name))

        if self.step_up_is_fresh():
            show()
            return

        def confirmed(result) -> None:
            if result:
                self.session.verified(self._services.clock.now())
                show()

        purpose = PURPOSES.get(ROUTES[name].parent or name, DEFAULT_PURPOSE)
        if self.account.has_second_step:
            self.push_screen(ChallengeScreen(self.account, purpose=STEP_UP, reason=purpose), confirmed)
        else:
            self.push_screen(StepUpScreen(self.account, purpose), confirmed)

    def push_wizard(self, wizard) -> None:
        """A method's wizard; if it turns on the account's first second step, recovery codes are
        offered next (``recovery_offer``), wherever the wizard was opened from."""
        from secconsole.tui.recovery_offer import offer_codes, wants_offer

        before = self.account

        def done(turned_on) -> None:
            if before is not None and wants_offer(before, bool(turned_on)):
                self.run_worker(offer_codes(self, self.account or before), group="recovery-offer", exclusive=True)

        self.push_screen(wizard, done)

    # -- actions --------------------------------------------------------------------------

    def get_system_commands(self, screen):
        """The command palette (^P): Textual's own commands plus the ones that fit this moment."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Light or dark", "Switch between the light and the dark theme (^T)", self.action_toggle_theme)
        from secconsole.tui.routes import ROUTES

        for route in () if self.password_change_due else ROUTES.values():
            if route.command and route.needs_account == (self.account is not None) and route.offered(self.config):
                yield SystemCommand(route.command, route.summary[:1].upper() + route.summary[1:],
                                    lambda name=route.name: self.open_route(name))
        if self.account is not None:
            yield SystemCommand("Sign out", "Sign out of this console", lambda: self.run_worker(self.sign_out()))

    def action_demo_drawer(self) -> None:
        if self.config.demo:  # outside demo mode the drawer's module is never imported
            from secconsole.tui.demo.drawer import toggle

            toggle(self)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
