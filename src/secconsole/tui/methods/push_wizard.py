"""The pairing wizard of mobile app prompts (Settings' switch and Manage devices): the QR code and
code, the paired devices (listed, removed), and the test prompt that turns the method on. One
worker follows the account as in ``push`` (``Follow``: woken by a change, then a re-read through
``app.run_core``); the countdowns tick from the clock."""

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
from secconsole.tui.methods.push import TAP, Follow, PromptWatch, clock_text, show_waiting
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain, template
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.qr import QrCode
from secconsole.tui.widgets.topbar import TopBar

NO_API = ("The push API is not running, so no device can be paired now. Start it on a host the "
          "phones can reach with `secconsole serve-api`, then start the console with its address: "
          "--push-api-url https://push.example.com (or SECCONSOLE_PUSH_API_URL).")
MANAGE_LEAD = "Each device gets your prompts. Remove one you no longer have (a lost tablet, an old phone)."
LAST_DEVICE = ("It is your only paired device. Mobile app prompts stay on in Settings, but no prompt can be "
               "answered until you pair another device: you will confirm it's you another way. To stop them, "
               "turn mobile app prompts off in Settings.")


class EnrollPushScreen(Screen[bool]):
    """Pair a device (QR code and code), see and remove paired devices, and approve a test prompt,
    which turns the method on. Opened on a method that is on (Settings' Manage devices), it starts
    on the device list (name, paired, last used, Remove, Pair another device)."""

    CSS_PATH = [stylesheet("push")]
    BINDINGS = [
        Binding("escape", "cancel", "Close", id="enroll_push.cancel"),
        Binding("n", "new_code", "New code", id="enroll_push.new_code"),
        Binding("a", "pair_another", "Pair another device", id="enroll_push.pair_another"),
    ]

    def __init__(self, account: AccountView) -> None:
        super().__init__()
        self.account = account
        self.offer = None
        self.devices: list = []
        self.testing = None  # the test prompt out, until decided
        self.follow: Follow | None = None
        self.approved = False
        #: The method is on: the screen starts on the device list, and pairing comes back to it.
        self.managing = account.method("push").enabled

    def compose(self) -> ComposeResult:
        yield TopBar("Mobile app prompt", username=self.account.username, demo=self.app.config.demo)
        with ContentSwitcher(initial="devices-step" if self.managing else "pair-step", id="steps"):
            with Vertical(id="devices-step", classes="card step"):
                yield Static("Paired devices", classes="card-title")
                yield Static(MANAGE_LEAD, id="devices-lead", markup=False)
                yield Vertical(id="device-list")
                yield ErrorLine(id="devices-error")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Pair another device (a)", id="pair-another", primary=True)
                    yield ActionButton("Close", id="devices-close")
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
        if self.managing:
            self.query_one("#pair-another").focus()
        else:
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

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        steps = self.query("#steps")
        if not steps:  # asked before the screen is composed, or while it closes
            return True
        step = steps.first(ContentSwitcher).current
        if action == "pair_another":
            return step == "devices-step"
        if action == "new_code":
            return step == "pair-step"
        return True

    @on(ActionButton.Pressed, "#pair-another")
    async def action_pair_another(self) -> None:
        if self.query_one("#steps", ContentSwitcher).current != "devices-step":
            return
        self._show_step("pair-step")
        await self._new_code()

    def _show_step(self, step: str) -> None:
        self.query_one("#steps", ContentSwitcher).current = step
        self.refresh_bindings()

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
        self.query_one("#pair-code", Static).update(  # a phone given the code alone needs the address too
            template("[b]$code[/b]\nserver $url", code=self.offer.grouped, url=url))
        self._check_fit()
        self._tick()
        self._focus_first()

    def _focus_first(self) -> None:
        if not self.query("#steps"):
            return  # the screen closed meanwhile (say a second Enter closed it while a removal ran)
        if self.query_one("#steps", ContentSwitcher).current == "devices-step":
            self.query_one("#pair-another").focus()
            return
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
        if services is None or not self.query("#pair-expiry"):
            return  # (the screen is closing)
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
        """The devices, as the API pairs them (another process)."""
        services = await self.app.services()
        devices = await self.app.run_core(services.way("push").devices, self.account.id)
        if not self.query("#devices"):
            return  # the screen closed while the core was asked
        if [d.id for d in devices] != [d.id for d in self.devices] or not self.query("#devices > *"):
            await self._show_devices(devices)
        elif [d.last_used_at for d in devices] != [d.last_used_at for d in self.devices]:
            self.devices = devices
            for n, device in enumerate(devices):
                self.query_one(f"#device-{n}", Static).update(device_text(device))
        self._tick()

    async def _show_devices(self, devices) -> None:
        try:
            await self._fill_device_boxes(devices)
        except NoMatches:  # the screen closed while the rows were mounted
            return

    async def _fill_device_boxes(self, devices) -> None:
        had_focus = self.focused
        self.devices = devices
        # The pairing step: one line each (the name), so the step fits beside the QR code at 80x24;
        # the device list: the name, when it was paired and last used.
        for box_id, prefix in (("#devices", "remove"), ("#device-list", "manage-remove")):
            box = self.query_one(box_id, Vertical)
            await box.remove_children()
            if not devices:
                await box.mount(Static("None yet." if prefix == "remove" else "None: pair one to get prompts.",
                                       classes="device-none"))
            for n, device in enumerate(devices):
                text = plain(device.name) if prefix == "remove" else device_text(device)
                extra = {} if prefix == "remove" else {"id": f"device-{n}"}
                await box.mount(Horizontal(Static(text, classes="device-line", **extra),
                                           ActionButton("Remove", id=f"{prefix}-{n}"), classes="device-row"))
        self.query_one("#test").display = bool(devices)
        if had_focus is None or not had_focus.is_attached or had_focus.id == "new-code" and devices:
            self._focus_first()

    @on(ActionButton.Pressed, ".device-row ActionButton")
    @work(group="confirm", exclusive=True)
    async def _remove(self, event: ActionButton.Pressed) -> None:
        from secconsole.tui.dialogs.confirm import ConfirmDialog

        device = self.devices[int(event.button.id.rsplit("-", 1)[1])]
        words = "It will get no more prompts and must be paired again to get them."
        if len(self.devices) == 1 and (self.app.account or self.account).method("push").enabled:
            words = LAST_DEVICE
        sure = await self.app.push_screen_wait(ConfirmDialog(f"Remove {device.name}?", words, confirm="Remove"))
        if not sure:
            return
        try:
            services = await self.app.services()
            await self.app.run_core(services.way("push").remove_device, self.account.id, device.id,
                                    source=self.app.config.source)
        except SecConsoleError as exc:
            self.query_one("#pair-error", ErrorLine).show(str(exc))
            self.query_one("#devices-error", ErrorLine).show(str(exc))
            return
        self.notify(f"{device.name} was removed.", markup=False)
        await self._show_devices(await self.app.run_core(services.way("push").devices, self.account.id))
        self._focus_first()

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
        self._show_step("test-step")
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
        self._show_step("pair-step")
        self._focus_first()

    @on(ActionButton.Pressed, "#cancel")
    @on(ActionButton.Pressed, "#devices-close")
    def action_cancel(self) -> None:
        self.testing = None
        if self.managing and self.query_one("#steps", ContentSwitcher).current != "devices-step":
            self._show_step("devices-step")  # pairing opened from the list goes back to it
            self._focus_first()
            return
        self.dismiss(False)


def device_text(device):
    """A paired device on the list: its name as its owner typed it (never markup), when it was
    paired and last used."""
    used = f"{device.last_used_at:%Y-%m-%d %H:%M}" if device.last_used_at else "never"
    return template("[b]$name[/b]\nPaired $paired · last used $used", name=device.name,
                    paired=f"{device.created_at:%Y-%m-%d}", used=used)


EnrollScreen = EnrollPushScreen
