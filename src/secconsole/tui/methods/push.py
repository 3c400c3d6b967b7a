"""Mobile app prompts in the console: the pairing wizard its Settings switch runs (QR code and
code, the paired devices, the test prompt that turns the method on) and its part of the challenge
(the number to tap, big, with its countdown, until the phone answers).

A worker per screen waits for the account's prompts or devices to change (``Follow``: the core's
``push_wake`` listener, LISTEN/NOTIFY on PostgreSQL, a short poll on SQLite) and then re-reads
them, all through ``app.run_core`` (a thread), never on the event loop. The countdowns tick once
a second from the services' clock without touching the database; times come from that clock."""

from __future__ import annotations

from contextlib import suppress

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Digits, Footer, Static

from secconsole.core.clock import seconds_until
from secconsole.core.views import AccountView
from secconsole.errors import SecConsoleError
from secconsole.tui.methods.panel import WayPanel
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain, template
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.qr import QrCode
from secconsole.tui.widgets.topbar import TopBar

#: A waiting worker re-reads at least this often even when nothing wakes it (a lost connection).
REREAD_SECONDS = 10.0
PENDING, EXPIRED = "pending", "expired"
NO_API = ("The push API is not running, so no device can be paired now. Start it on a host the "
          "phones can reach with `secconsole serve-api`, then start the console with its address: "
          "--push-api-url https://push.example.com (or SECCONSOLE_PUSH_API_URL).")
TAP = "Open the prompt from your mobile app and tap the number below."


class Follow:
    """Wakes a worker when the account's prompts or devices change. ``async with`` puts the LISTEN
    in before the block's first read (so nothing committed after it is missed); ``wait()`` returns
    on a change, a ``poke()`` (the countdown reached zero) or after ``REREAD_SECONDS``; leaving the
    block, or the worker being cancelled, closes the listener without waiting for its thread."""

    def __init__(self, app, account_id: int) -> None:
        self.app, self.account_id = app, account_id
        self.listener = None

    async def __aenter__(self) -> Follow:
        services = await self.app.services()
        self.listener = services.push().wake.listener(self.account_id)
        try:
            await self.app.run_core(self.listener.open)
        except BaseException:
            self.listener.close()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        self.listener.close()

    async def wait(self) -> None:
        await self.app.run_core(self.listener.wait, REREAD_SECONDS)

    def poke(self) -> None:
        if self.listener is not None:
            self.listener.poke()


def clock_text(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


class PromptWatch:
    """One prompt on screen and its outcome, looked at whenever ``Follow`` wakes. Once decided,
    the core's ``finish`` (``verify`` to sign in, ``confirm`` to turn the method on) takes the
    decision and ``decided(result)`` gets its ``StepResult``, once."""

    def __init__(self, owner, account_id: int, decided, *, finish: str = "verify") -> None:
        self.owner, self.account_id, self.decided, self.finish = owner, account_id, decided, finish

    async def check(self, countdown: Static) -> bool:
        """One look: True once the prompt is decided."""
        app = self.owner.app
        services = await app.services()
        way = services.way("push")
        view = await app.run_core(way.prompt, self.account_id)
        if view is None or view.status == PENDING:
            return False
        result = await app.run_core(getattr(way, self.finish), self.account_id, source=app.config.source)
        if result.reason.value == "pending":
            return False
        countdown.update("")
        self.decided(result)
        return True


class Panel(WayPanel):
    """The challenge's part: a prompt goes out when the panel is shown; the number to tap, big;
    approval passes, a denial or expiry says so (Resend prompt sends a new one)."""

    DEFAULT_CSS = """
    Panel #push-number { width: auto; margin: 0 2; }
    Panel #push-row { height: auto; }
    Panel #push-side { width: 1fr; height: auto; }
    Panel #push-countdown { color: $text-muted; }
    Panel #push-status { height: auto; }
    """
    sends_itself = True
    answers_itself = True
    BINDINGS = [Binding("r", "resend", "Resend prompt", id="push.resend")]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.no_device = False
        self.waiting = None  # the prompt out, until decided
        self.follow: Follow | None = None

    def lead(self):
        prefix = f"{self.reason} asks for a fresh check. " if self.reason else ""
        return plain(f"{prefix}Sending a prompt to your mobile app…")

    def compose_extra(self) -> ComposeResult:
        with Horizontal(id="push-row"):
            yield Digits("", id="push-number")
            with Vertical(id="push-side"):
                yield Static(id="push-countdown")
                yield Static(id="push-status")
                yield ActionButton("Resend prompt (r)", id="push-resend")

    @property
    def error_focus(self) -> str:
        return "other-way" if self.no_device and self.screen.query_one("#other-way").display else "push-resend"

    async def shown(self) -> None:
        self.set_interval(1, self._tick)
        await self.start()

    async def start(self, again: bool = False) -> None:
        self.waiting = None
        self.workers.cancel_group(self, "push-follow")
        status = self.query_one("#push-status", Static)
        try:
            services = await self.app.services()
            prompt = await self.app.run_core(
                services.way("push").send, self.account.id, source=self.app.config.source,
                purpose="step-up" if self.reason else "sign-in", for_what=self.reason, again=again)
        except SecConsoleError as exc:
            self.no_device = "No paired device" in str(exc)
            self.query_one("#challenge-lead", Static).update(plain(str(exc)))
            status.update("")
            self.post_message(self.Refused(self.spec.kind, str(exc)))
            return
        self.no_device = False
        self.query_one("#challenge-lead", Static).update(plain(TAP))
        show_waiting(self, "push", prompt, services.clock.now())
        self.query_one("#push-resend").focus()
        self.waiting = prompt
        self._follow()

    def _tick(self) -> None:
        """The countdown, from the clock (no database); at zero the watch looks again (expired)."""
        services = self.app.loaded_services
        if self.waiting is None or services is None:
            return
        left = seconds_until(self.waiting.expires_at, services.clock.now())
        self.query_one("#push-countdown", Static).update(f"Expires in {left} s")
        if not left and self.follow is not None:
            self.follow.poke()

    @work(exclusive=True, group="push-follow")
    async def _follow(self) -> None:
        watch = PromptWatch(self, self.account.id, self._decided)
        async with Follow(self.app, self.account.id) as follow:
            self.follow = follow
            try:
                while not await watch.check(self.query_one("#push-countdown", Static)):
                    await follow.wait()
            except NoMatches:  # the screen is being taken down around the worker
                return
        self.waiting = self.follow = None

    def _decided(self, result) -> None:
        if result.ok:
            self.query_one("#push-status", Static).update("Approved.")
            self.post_message(self.Passed(self.spec.kind, result))
            return
        words = "Expired: no answer came in time." if result.reason.value == "expired" else "Denied."
        self.query_one("#push-status", Static).update(words)
        self.query_one("#push-number", Digits).update("")
        self.post_message(self.Refused(self.spec.kind, result.message, result))

    @on(ActionButton.Pressed, "#push-resend")
    async def action_resend(self) -> None:
        await self.start(again=True)

    async def submit(self) -> None:
        """Enter on the screen: nothing to type; the prompt's state is followed already."""


class EnrollPushScreen(Screen[bool]):
    """Pair a device (QR code and code), see and remove paired devices, and approve a test prompt,
    which turns the method on. Opened on a method that is on, it manages its devices."""

    CSS_PATH = [stylesheet("push")]
    BINDINGS = [
        Binding("escape", "cancel", "Close", id="enroll_push.cancel"),
        Binding("n", "new_code", "New code", id="enroll_push.new_code"),
    ]

    def __init__(self, account: AccountView) -> None:
        super().__init__()
        self.account = account
        self.offer = None
        self.devices: list = []
        self.testing = None  # the test prompt out, until decided
        self.follow: Follow | None = None
        self.approved = False

    def compose(self) -> ComposeResult:
        yield TopBar("Mobile app prompt", username=self.account.username, demo=self.app.config.demo)
        with ContentSwitcher(initial="pair-step", id="steps"):
            with Horizontal(id="pair-step"):
                yield Static(id="qr-slot")
                with VerticalScroll(id="pair-text"):
                    yield Static("Pair your mobile app", classes="card-title")
                    yield Static(id="pair-note")
                    yield Static(id="pair-code")
                    yield Static(id="pair-expiry")
                    yield Static("Paired devices", classes="section")
                    yield Vertical(id="devices")
                    yield ErrorLine(id="pair-error")
                    with Vertical(classes="pair-buttons"):
                        yield ActionButton("Send a test prompt", id="test", primary=True)
                        yield ActionButton("New code (n)", id="new-code")
                        yield ActionButton("Close", id="cancel")
            with Vertical(id="test-step", classes="card step"):
                yield Static("Approve the test prompt", classes="card-title")
                yield Static(TAP, id="test-lead")
                yield Digits("", id="test-number")
                yield Static(id="test-countdown")
                yield Static(id="test-status")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Send again", id="test-again", primary=True)
                    yield ActionButton("Back", id="test-back")
        yield Footer()

    async def on_mount(self) -> None:
        await self._new_code()
        self.set_interval(1, self._tick)
        self._follow()

    @work(exclusive=True, group="push-follow")
    async def _follow(self) -> None:
        """The devices as the API pairs them (another process) and the test prompt's outcome:
        looked at when the account changes (``Follow``), not on a timer."""
        async with Follow(self.app, self.account.id) as follow:
            self.follow = follow
            with suppress(NoMatches):  # the screen is being taken down around the worker
                await self._watch_account(follow)

    async def _watch_account(self, follow: Follow) -> None:
        while True:
            await self._look()
            testing = self.testing
            if testing is not None:
                watch = PromptWatch(self, self.account.id, self._test_decided, finish="confirm")
                if await watch.check(self.query_one("#test-countdown", Static)) and self.testing is testing:
                    self.testing = None
            if self.approved:  # the screen is being dismissed
                return
            await follow.wait()

    # -- pairing ------------------------------------------------------------------------------

    async def _new_code(self) -> None:
        url = await self._api_url()
        slot = self.query_one("#qr-slot", Static)
        await slot.remove_children()
        if not url:
            self.offer = None
            self.query_one("#pair-note", Static).update(plain(NO_API))
            self.query_one("#pair-code").display = self.query_one("#pair-expiry").display = False
            slot.display = False
            self.query_one("#new-code").display = False
            self._focus_first()
            return
        try:
            services = await self.app.services()
            self.offer = await self.app.run_core(services.way("push").start_pairing, self.account.id, url)
        except SecConsoleError as exc:
            self.query_one("#pair-error", ErrorLine).show(str(exc))
            return
        await slot.mount(QrCode(self.offer.link, id="qr"))
        self.query_one("#pair-note", Static).update(
            "Scan this code with the SecConsole mobile app, or type this code in it:")
        self.query_one("#pair-code", Static).update(template("[b]$code[/b]", code=self.offer.grouped))
        self._check_fit()
        self._tick()
        self._focus_first()

    def _focus_first(self) -> None:
        button = self.query_one("#test")
        (button if button.display else self.query_one("#new-code" if self.offer else "#cancel")).focus()

    def _check_fit(self) -> None:
        """The code needs its whole size to scan; where it does not fit, the typed code stands alone."""
        if not self.query("#qr"):
            return
        cols, rows = self.query_one("#qr", QrCode).cells()
        self.query_one("#qr-slot").display = cols + 24 <= self.size.width and rows + 2 <= self.size.height

    def on_resize(self) -> None:
        self._check_fit()

    def _tick(self) -> None:
        """The pairing code's and the test prompt's countdowns, from the clock (no database)."""
        services = self.app.loaded_services
        if services is None:
            return
        now = services.clock.now()
        if self.offer is not None:
            left = seconds_until(self.offer.expires_at, now)
            self.query_one("#pair-expiry", Static).update(
                f"Expires in {clock_text(left)}" if left else "This code expired: press n for a new one.")
        if self.testing is not None:
            left = seconds_until(self.testing.expires_at, now)
            self.query_one("#test-countdown", Static).update(f"Expires in {left} s")
            if not left and self.follow is not None:
                self.follow.poke()

    async def _look(self) -> None:
        services = await self.app.services()
        devices = await self.app.run_core(services.way("push").devices, self.account.id)
        if [d.id for d in devices] != [d.id for d in self.devices] or not self.query("#devices > *"):
            await self._show_devices(devices)
        self._tick()

    async def _show_devices(self, devices) -> None:
        had_focus = self.focused
        self.devices = devices
        box = self.query_one("#devices", Vertical)
        await box.remove_children()
        if not devices:
            await box.mount(Static("None yet.", classes="device-none"))
        for n, device in enumerate(devices):
            used = f"{device.last_used_at:%Y-%m-%d %H:%M}" if device.last_used_at else "never"
            line = template("[b]$name[/b]\nPaired $paired · last used $used", name=device.name,
                            paired=f"{device.created_at:%Y-%m-%d}", used=used)
            await box.mount(Horizontal(Static(line, classes="device-line"),
                                       ActionButton("Remove", id=f"remove-{n}"), classes="device-row"))
        self.query_one("#test").display = bool(devices)
        if had_focus is None or not had_focus.is_attached or had_focus.id == "new-code" and devices:
            self._focus_first()

    @on(ActionButton.Pressed, ".device-row ActionButton")
    @work(group="confirm", exclusive=True)
    async def _remove(self, event: ActionButton.Pressed) -> None:
        from secconsole.tui.dialogs.confirm import ConfirmDialog

        device = self.devices[int(event.button.id.removeprefix("remove-"))]
        sure = await self.app.push_screen_wait(ConfirmDialog(
            f"Remove {device.name}?", "It will get no more prompts and must be paired again to get them.",
            confirm="Remove"))
        if not sure:
            return
        try:
            services = await self.app.services()
            await self.app.run_core(services.way("push").remove_device, self.account.id, device.id,
                                    source=self.app.config.source)
        except SecConsoleError as exc:
            self.query_one("#pair-error", ErrorLine).show(str(exc))
            return
        self.notify(f"{device.name} was removed.", markup=False)
        await self._show_devices(await self.app.run_core(services.way("push").devices, self.account.id))

    @on(ActionButton.Pressed, "#new-code")
    async def action_new_code(self) -> None:
        if self.query_one("#steps", ContentSwitcher).current == "pair-step" and await self._api_url():
            await self._new_code()

    async def _api_url(self) -> str | None:
        """Where devices reach the push API: --push-api-url, else what the running API recorded
        (``serve-api``, or the demo console's own)."""
        if self.app.config.push_api_url:
            return self.app.config.push_api_url
        try:
            services = await self.app.services()
            return await self.app.run_core(services.push().api_url)
        except SecConsoleError:
            return None

    # -- the test prompt ----------------------------------------------------------------------

    @on(ActionButton.Pressed, "#test")
    @on(ActionButton.Pressed, "#test-again")
    async def _test(self, event: ActionButton.Pressed) -> None:
        self.testing = None
        self.query_one("#steps", ContentSwitcher).current = "test-step"
        status = self.query_one("#test-status", Static)
        try:
            services = await self.app.services()
            prompt = await self.app.run_core(services.way("push").send, self.account.id,
                                             source=self.app.config.source, purpose="sign-in",
                                             for_what="Test prompt", again=event.button.id == "test-again")
        except SecConsoleError as exc:
            status.update(plain(str(exc)))
            self.query_one("#test-number", Digits).update("")
            self.query_one("#test-again").focus()
            return
        self.query_one("#test-lead", Static).update(plain(
            f"Open the prompt from your mobile app and tap {prompt.number}."))
        show_waiting(self, "test", prompt, services.clock.now())
        self.query_one("#test-back").focus()
        self.testing = prompt
        if self.follow is not None:
            self.follow.poke()  # look at it now (SQLite and a lost connection: sooner than the re-read)

    def _test_decided(self, result) -> None:
        self.query_one("#test-number", Digits).update("")
        if not result.ok:
            words = "Expired: no answer came in time." if result.reason.value == "expired" else "Denied."
            self.query_one("#test-status", Static).update(f"{words} Send again when you are ready.")
            self.query_one("#test-again").focus()
            return
        self.approved = True
        self.dismiss(True)
        self.app.notify(result.message + " You will get a prompt when you sign in.", markup=False)

    @on(ActionButton.Pressed, "#test-back")
    def _back(self) -> None:
        self.testing = None
        self.query_one("#steps", ContentSwitcher).current = "pair-step"
        self._focus_first()

    @on(ActionButton.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.testing = None
        self.dismiss(False)




def show_waiting(node, prefix: str, prompt, now) -> None:
    """A prompt just sent, on the panel (``push-*``) or the wizard's test step (``test-*``): the
    number to tap, "waiting", and the time left."""
    node.query_one(f"#{prefix}-number", Digits).update(str(prompt.number))
    node.query_one(f"#{prefix}-status", Static).update("Waiting for your answer…")
    node.query_one(f"#{prefix}-countdown", Static).update(f"Expires in {seconds_until(prompt.expires_at, now)} s")


EnrollScreen = EnrollPushScreen
