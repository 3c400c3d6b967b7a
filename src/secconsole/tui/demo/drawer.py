"""Demo mode only: the Dev drawer (F12, or F2 in a browser), a panel over the right of whatever screen is open: the
outbox, the authenticator code with its countdown, the waiting app prompt with Approve and Deny
(answered by ``DemoDevice`` through the push API), the latest audit events and each counter's lock
with an Unlock. Re-read every second in a thread (``demo.drawer.snapshot``); all text is text.

It is a widget on the screen, not a screen of its own: a screen under it (the challenge) must be
able to finish and close itself while the drawer is open. It follows the presenter to each new
screen until closed."""

from __future__ import annotations

from textual import work
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from secconsole.demo import DEMO_ACCOUNTS
from secconsole.errors import SecConsoleError
from secconsole.tui.text import plain
from secconsole.tui.widgets.action_button import ActionButton

NAMES = [d.username for d in DEMO_ACCOUNTS]
WIDTH = 48


class DrawerState:
    """Kept on the app: whether the drawer is open, the account chosen, and the demo phone."""

    def __init__(self, app) -> None:
        from secconsole.tui.demo.device import DemoDevice

        self.open = False
        self.focus_before = None
        self.chosen: str | None = None
        self.device = DemoDevice(app)
        app.screen_change_signal.subscribe(app, lambda screen: self.follow(app, screen))

    def follow(self, app, screen) -> None:
        if self.open and not screen.query(DevDrawer):
            screen.mount(DevDrawer(self))


def toggle(app) -> None:
    """Open the drawer on the current screen, or close it."""
    if not app.config.demo:
        raise RuntimeError("the dev drawer outside demo mode")
    state = getattr(app, "_demo_drawer_state", None)
    if state is None:
        state = app._demo_drawer_state = DrawerState(app)
    state.open = not state.open
    for screen in app.screen_stack:
        screen.query(DevDrawer).remove()
    if state.open:
        # The keys go to the drawer (Tab moves between its buttons); closing gives them back.
        state.focus_before = app.focused
        drawer = DevDrawer(state)
        app.screen.mount(drawer)
        app.call_after_refresh(drawer.focus_first)
    elif state.focus_before is not None and state.focus_before.is_attached:
        state.focus_before.focus()


def _clock(moment) -> str:
    return f"{moment:%H:%M:%S}"


def _fit(line: str, width: int = WIDTH - 4) -> str:
    """One line of the drawer: long subjects and sources are cut, not wrapped."""
    return line if len(line) <= width else line[: width - 1] + "…"


class DevDrawer(VerticalScroll):
    DEFAULT_CSS = """
    DevDrawer {
        dock: right;
        layer: demo-drawer;
        overlay: screen;
        width: 48;
        height: 1fr;
        background: $panel;
        border-left: tall $accent;
        padding: 0 1;
        scrollbar-size-vertical: 1;

        /* under 80 columns (the screen is -narrow): the whole width */
        &.-full { width: 100%; border-left: none; }

        .drawer-title { text-style: bold; color: $accent; }
        .drawer-heading { text-style: bold; margin-top: 1; }
        .drawer-row { height: 1; }
        #drawer-locks .drawer-row { height: auto; }
        .drawer-row Static { width: 1fr; }
        .drawer-row ActionButton { width: auto; }
        .drawer-buttons { height: 1; }
        #drawer-locks { height: auto; }
        #drawer-status { color: $warning; }
        #drawer-status.-empty { display: none; }
    }
    """

    def __init__(self, state: DrawerState) -> None:
        super().__init__(id="demo-drawer")
        self.state = state
        self.locks_built = False

    def compose(self):
        yield Static(plain("DEV DRAWER · demo only · F12 or F2 closes"), classes="drawer-title")
        with Horizontal(classes="drawer-row"):
            yield Static("", id="drawer-account")
            yield ActionButton("Next account", id="drawer-next")
        yield Static("", id="drawer-status", classes="-empty")
        yield Static(plain("Authenticator app"), classes="drawer-heading")
        yield Static("", id="drawer-totp")
        yield Static(plain("App prompt"), classes="drawer-heading")
        yield Static("", id="drawer-prompt")
        with Horizontal(classes="drawer-buttons"):
            yield ActionButton("Approve", id="drawer-approve")
            yield ActionButton("Deny", id="drawer-deny")
            yield ActionButton("Pair demo phone", id="drawer-pair")
        yield Static(plain("Locks"), classes="drawer-heading")
        yield Vertical(id="drawer-locks")
        yield Static("", id="drawer-locks-summary")
        yield Static(plain("Outbox (newest first)"), classes="drawer-heading")
        yield Static("", id="drawer-outbox")
        yield Static(plain("Latest audit events"), classes="drawer-heading")
        yield Static("", id="drawer-events")

    def on_mount(self) -> None:
        self.set_interval(1.0, self.reload)
        self.reload()

    def focus_first(self) -> None:
        if self.is_attached:
            self.query_one("#drawer-next").focus()

    def _fit_width(self) -> None:
        """The whole width on a -narrow screen (checked with each reload: within a second of a resize)."""
        self.set_class(self.screen.has_class("-narrow"), "-full")

    # -- which account --------------------------------------------------------------------

    @property
    def username(self) -> str:
        """The chosen demo account, else the one signed in or being challenged, else alice."""
        if self.state.chosen:
            return self.state.chosen
        for account in (self.app.account, getattr(self.screen, "account", None)):
            name = getattr(account, "username", None)
            if isinstance(name, str) and name.lower() in NAMES:
                return name
        return NAMES[0]

    # -- reading ----------------------------------------------------------------------------

    @work(exclusive=True, group="demo-drawer")
    async def reload(self) -> None:
        from secconsole.demo.drawer import snapshot

        self._fit_width()
        services = self.app.loaded_services
        if services is None:
            return
        try:
            view = await self.app.run_core(snapshot, services, self.username)
        except SecConsoleError as exc:
            self._say(str(exc))
            return
        try:
            await self._show(view)
        except NoMatches:
            pass  # the screen under it closed meanwhile (the challenge, signed in): its drawer went with it

    async def _show(self, view) -> None:
        follow = "" if self.state.chosen else " (auto)"
        self.query_one("#drawer-account", Static).update(plain(f"Account: {view.username}{follow}"))
        self.query_one("#drawer-outbox", Static).update(plain("\n".join(
            f"{_clock(m.at)} {m.channel} {m.to}\n  {_fit(m.gist)}" for m in view.outbox) or "Empty."))
        if view.totp is None:
            totp = "Off for this account."
        else:
            code, left = view.totp
            half = len(code) // 2
            totp = f"{code[:half]} {code[half:]}   {left} s left"
        self.query_one("#drawer-totp", Static).update(plain(totp))
        self.query_one("#drawer-prompt", Static).update(plain(self._prompt_line(view)))
        waiting = view.prompt is not None and view.prompt.status == "pending"
        for button in self.query("#drawer-approve, #drawer-deny"):
            button.disabled = not waiting
        # Before app prompts are on (the pairing wizard is open): the demo phone can pair itself.
        self.query_one("#drawer-pair").display = not view.push_on
        self.query_one("#drawer-events", Static).update(plain("\n".join(
            _fit(f"{_clock(at)} {what} ({source})") for at, what, source in view.events) or "None yet."))
        await self._show_locks(view.locks)

    def _prompt_line(self, view) -> str:
        prompt = view.prompt
        if not view.push_on and prompt is None:
            return "App prompts are off for this account."
        if prompt is None:
            return "None sent yet."
        if prompt.status == "pending":
            left = max(int((prompt.expires_at - self.app.loaded_services.clock.now()).total_seconds()), 0)
            return f"Waiting: the console shows {prompt.number} · {left} s left"
        return f"Newest prompt: {prompt.status.capitalize()}"

    async def _show_locks(self, locks) -> None:
        box = self.query_one("#drawer-locks")
        if not self.locks_built:
            self.locks_built = True  # before the await: a reload meanwhile must not mount them twice
            await box.mount_all([Horizontal(Static("", id=f"lock-{lock.counter}"),
                                            ActionButton("Unlock", id=f"unlock-{lock.counter}"), classes="drawer-row")
                                 for lock in locks])
        try:
            self._update_locks(locks)
        except NoMatches:
            return  # still being mounted (the reload that mounted them was cancelled): next second

    def _update_locks(self, locks) -> None:
        for lock in locks:
            if lock.locked:
                state = "LOCKED" + (f" for {lock.retry_after} s" if lock.retry_after else "")
            elif lock.retry_after:
                state = f"wait {lock.retry_after} s"
            else:
                state = "open"
            failures = f", {lock.failures} failed" if lock.failures else ""
            self.query_one(f"#lock-{lock.counter}", Static).update(plain(f"{lock.label}\n  {state}{failures}"))
            # Only the counters with something to unlock get a row; the rest are summed up.
            self.query_one(f"#unlock-{lock.counter}").parent.display = bool(lock.failures or lock.locked)
        shown = sum(bool(lock.failures or lock.locked) for lock in locks)
        summary = "Every way is open, no failed tries." if not shown else "Every other way is open."
        self.query_one("#drawer-locks-summary", Static).update(plain(summary))

    def _say(self, line: str) -> None:
        if not self.is_attached:
            return  # gone with its screen while the phone answered
        status = self.query_one("#drawer-status", Static)
        status.update(plain(line))
        status.set_class(not line, "-empty")

    # -- acting -----------------------------------------------------------------------------

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button == "drawer-next":
            current = self.state.chosen
            self.state.chosen = NAMES[(NAMES.index(current) + 1) % len(NAMES)] if current else NAMES[0]
            self.reload()
        elif button in ("drawer-approve", "drawer-deny"):
            self.answer("approve" if button == "drawer-approve" else "deny")
        elif button == "drawer-pair":
            self.pair()
        elif button.startswith("unlock-"):
            self.unlock(button.removeprefix("unlock-"))

    @work(exclusive=True, group="demo-drawer-act")
    async def answer(self, decision: str) -> None:
        self._say("The demo phone is answering…")
        result = await self.state.device.answer(self.username, decision)
        self._say({"approved": "Approved.", "denied": "Denied."}.get(result, result))
        self.reload()

    @work(exclusive=True, group="demo-drawer-act")
    async def pair(self) -> None:
        self._say("The demo phone is pairing…")
        self._say(await self.state.device.pair(self.username))
        self.reload()

    @work(exclusive=True, group="demo-drawer-act")
    async def unlock(self, counter: str) -> None:
        from secconsole.demo.drawer import unlock

        services = await self.app.services()
        try:
            cleared = await self.app.run_core(unlock, services, self.username, counter)
        except SecConsoleError as exc:
            self._say(str(exc))
            return
        self._say("Unlocked." if cleared else "Nothing to unlock.")
        self.reload()
