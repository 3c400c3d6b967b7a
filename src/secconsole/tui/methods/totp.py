"""Turn on the authenticator app: intro, optional advanced settings, scan, verify.

The secret lives only in this screen until the code is verified; Escape at any step discards it."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Label, Select, Static

from secconsole.core.views import AccountView
from secconsole.core.methods.totp import PendingTotp
from secconsole.errors import SecConsoleError, ValidationError
from secconsole.core.totp import TotpParams, grouped
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import template
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.widgets.notice_line import NoticeLine
from secconsole.tui.widgets.qr import QrCode
from secconsole.tui.widgets.topbar import TopBar

INTRO = (
    "An authenticator app on your phone or tablet makes a new 6-digit code every 30 seconds "
    "(a time-based one-time passcode, TOTP). The codes come from a secret shared between "
    "SecConsole and your phone, no one else, and they work offline as long as the phone's "
    "time is right.\n\n"
    "Any TOTP app works: Google Authenticator, Microsoft Authenticator, 1Password, Bitwarden, "
    "Authy, FreeOTP, Aegis.\n\n"
    "If you get a new phone, turn this off and on again here to pair the new one."
)
ADVANCED_WARNING = (
    "SHA1, 6 digits and 30 seconds work in every app. Some apps (Google Authenticator among "
    "them) silently ignore other settings and then show codes that never work."
)


class EnrollTotpScreen(Screen[bool]):
    CSS_PATH = [stylesheet("enroll")]
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="enroll.cancel"),
        Binding("c", "copy_uri", "Copy link", id="enroll.copy"),
        Binding("l", "toggle_large", "Code size", id="enroll.large"),
    ]
    #: Columns the key and buttons need beside the large code before it is offered.
    TEXT_COLUMN = 30

    def __init__(self, account: AccountView, *, start_step: str | None = None) -> None:
        super().__init__()
        self.account = account
        #: Demo deep links: "advanced", "scan" or "verify", reached as a person would (Continue).
        self.start_step = start_step
        self.params = TotpParams()
        self.pending: PendingTotp | None = None
        self.leaving = False

    def compose(self) -> ComposeResult:
        yield TopBar("Authenticator app", username=self.account.username, demo=self.app.config.demo)
        with ContentSwitcher(initial="intro", id="steps"):
            with Vertical(id="intro", classes="card step"):
                yield Static("Use an authenticator app", classes="card-title")
                yield Static(INTRO, markup=False)
                with Horizontal(classes="buttons"):
                    yield ActionButton("Continue", id="to-scan", primary=True)
                    yield ActionButton("Advanced", id="to-advanced")
                    yield ActionButton("Cancel", id="cancel")
            with Vertical(id="advanced", classes="card step"):
                yield Static("Advanced settings", classes="card-title")
                yield Static(ADVANCED_WARNING, classes="warning", markup=False)
                yield Label("Algorithm")
                yield Select([(a, a) for a in ("SHA1", "SHA256", "SHA512")], value="SHA1",
                             allow_blank=False, id="algorithm", compact=True)
                yield Label("Digits")
                yield Select([("6", 6), ("8", 8)], value=6, allow_blank=False, id="digits", compact=True)
                with Horizontal(classes="buttons"):
                    yield ActionButton("Continue", id="advanced-done", primary=True)
                    yield ActionButton("Back", id="advanced-back")
            with Horizontal(id="scan"):
                yield Static(id="qr-slot")
                with VerticalScroll(id="scan-text"):
                    yield Static("Scan this code with your app", id="scan-title", classes="card-title")
                    yield Static("Or type this key:", id="scan-or", markup=False)
                    yield Static(id="secret-key")
                    yield Static(id="scan-detail")
                    yield Static(id="scan-note", classes="warning")
                    with Vertical(classes="scan-buttons"):
                        yield ActionButton("Next: enter a code", id="to-verify", primary=True)
                        yield ActionButton("Copy link (c)", id="copy")
                        yield ActionButton("Larger code (l)", id="large")
                        yield ActionButton("Cancel", id="cancel-scan")
                    # Notices while the code is up land here, never in a toast over the code.
                    yield NoticeLine(id="scan-notice")
            with Vertical(id="verify", classes="card step"):
                yield Static("Enter the code from your app", classes="card-title")
                yield Static(id="verify-hint")
                yield Label("Code from your app", id="code-label")
                yield TextField(id="code", max_length=12, compact=True, restrict=r"[0-9 \-]*")
                if self.app.config.demo:
                    yield Static(id="demo-code", classes="demo-hint")
                yield ErrorLine(id="verify-error")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Verify", id="check", primary=True)
                    yield ActionButton("Show the code again", id="back-to-scan")
                    yield ActionButton("Cancel", id="cancel-verify")
        yield Footer()

    def on_mount(self) -> None:
        if self.account.method("totp").enabled:
            self.app.notify("The authenticator app is already on. Turn it off first to pair a new phone.")
            self.dismiss(False)
            return
        self.query_one("#to-scan").focus()
        if self.start_step:
            self.run_worker(self._start_on(self.start_step), group="start-step")

    async def _start_on(self, step: str) -> None:
        if step == "advanced":
            self._advanced()
            return
        await self._scan()
        if step == "verify":
            self._verify_step()

    # -- steps ----------------------------------------------------------------------------

    def _show(self, step: str) -> None:
        self.query_one("#steps", ContentSwitcher).current = step
        if step != "scan":
            self.query_one("#scan-notice", NoticeLine).hand_back()
        self._show_bars()
        self.refresh_bindings()

    @property
    def scanning(self) -> bool:
        return self.query_one("#steps", ContentSwitcher).current == "scan"

    def take_notice(self, message: str, *, title: str, severity: str, timeout: float | None) -> bool:
        """The app's ``notify`` asks first: during the scan step a toast would cover the code's
        quiet zone and break the scan, so the notice goes to the line under the buttons."""
        if not self.is_mounted or not self.scanning or self.leaving:
            return False
        self.query_one("#scan-notice", NoticeLine).show(message, title=title, severity=severity, timeout=timeout)
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy_uri", "toggle_large"):
            if not self.scanning:
                return False
            if action == "toggle_large":
                return self._large_fits() or self._qr().large
        return True

    @on(ActionButton.Pressed, "#to-advanced")
    def _advanced(self) -> None:
        self._show("advanced")
        self.query_one("#algorithm").focus()

    @on(ActionButton.Pressed, "#advanced-back")
    def _advanced_back(self) -> None:
        self._show("intro")
        self.query_one("#to-scan").focus()

    @on(ActionButton.Pressed, "#advanced-done")
    async def _advanced_done(self) -> None:
        self.params = TotpParams(self.query_one("#algorithm", Select).value, self.query_one("#digits", Select).value)
        self.pending = None  # new settings, new secret
        await self._scan()

    @on(ActionButton.Pressed, "#to-scan")
    @on(ActionButton.Pressed, "#back-to-scan")
    async def _scan(self) -> None:
        if self.pending is None:
            services = await self.app.services()
            self.pending = await self.app.run_core(
                services.way("totp").start, self.account.id, self.account.username, self.params
            )
        slot = self.query_one("#qr-slot", Static)
        await slot.remove_children()
        large = self.query("#qr") and self.query_one("#qr", QrCode).large
        qr = QrCode(self.pending.uri, large=bool(large), id="qr")
        await slot.mount(qr)
        self.query_one("#secret-key", Static).update(template("[b]$key[/b]", key=grouped(self.pending.secret)))
        p = self.pending.params
        self.query_one("#scan-detail", Static).update(
            template(
                "Account: $issuer ($user)\nTime-based, $digits digits, every $period s, $algorithm",
                issuer=self.app.config.issuer, user=self.account.username, digits=p.digits,
                period=p.period, algorithm=p.algorithm,
            )
        )
        self._show("scan")
        self._check_fit()
        self.query_one("#to-verify").focus()

    @on(ActionButton.Pressed, "#to-verify")
    def _verify_step(self) -> None:
        digits = self.pending.params.digits
        self.query_one("#verify-hint", Static).update(template(
            "Type the $digits-digit code your app shows for $issuer ($user).",
            digits=digits, issuer=self.app.config.issuer, user=self.account.username,
        ))
        self._show("verify")
        self.query_one("#code").focus()
        if self.app.config.demo:
            self._demo_code()
            self.set_interval(1, self._demo_code)

    @work(thread=True, exclusive=True, group="demo-code")
    def _demo_code(self) -> None:
        """Demo mode only: the code the phone would show for the key on screen (the demo has no
        phone), computed in a thread like every other demo hint."""
        from secconsole.core.totp import code_at

        services, pending = self.app.loaded_services, self.pending
        if services is None or pending is None:
            return
        now = services.clock.now()
        code = code_at(pending.secret, now, pending.params)
        left = pending.params.period - int(now.timestamp()) % pending.params.period
        half = len(code) // 2
        line = f"DEMO · the app would show {code[:half]} {code[half:]} · {left} s left"
        self.app.call_from_thread(lambda: self.query_one("#demo-code", Static).update(line))

    @on(ActionButton.Pressed, "#cancel, #cancel-scan, #cancel-verify")
    def action_cancel(self) -> None:
        self.pending = None
        self._leave()
        self.dismiss(False)

    def _leave(self) -> None:
        """A notice still due on the scan step's line outlives the wizard as a toast."""
        self.leaving = True
        self.query_one("#scan-notice", NoticeLine).hand_back()

    # -- scan helpers ---------------------------------------------------------------------

    def _qr(self) -> QrCode:
        return self.query_one("#qr", QrCode)

    def _qr_fits(self) -> bool:
        cols, rows = self._qr().cells(large=False)
        return cols <= self.size.width and rows <= self.size.height

    def _large_fits(self) -> bool:
        cols, rows = self._qr().cells(large=True)
        return cols + self.TEXT_COLUMN <= self.size.width and rows <= self.size.height

    def _room_for_bars(self) -> bool:
        if not self.query("#qr") or not self._qr_fits():
            return True
        return self.size.height >= self._qr().cells()[1] + 2

    def _show_bars(self) -> None:
        bars = not self.scanning or self._room_for_bars()
        self.query_one(TopBar).display = bars
        self.query_one(Footer).display = bars

    def _check_fit(self) -> None:
        """The large code falls back to the small one when the window shrinks (and says so); where
        no code fits, the step gives way to the key and the copy link."""
        qr = self._qr()
        if qr.large and not self._large_fits():
            self._set_large(False)
            self.query_one("#scan-notice", NoticeLine).show(
                "The window got smaller: back to the smaller code.", severity="warning")
        fits = self._qr_fits()
        self.query_one("#qr-slot").display = fits
        self.query_one("#scan-or").display = fits
        self.query_one("#scan-title", Static).update(
            "Scan this code with your app" if fits else "Type this key in your app")
        self.query_one("#large").display = fits and (self._large_fits() or qr.large)
        cols, rows = qr.cells(large=False)
        note = "" if fits else (
            f"The window is too small for the QR code ({cols}x{rows} needed): type the key, "
            "copy the link (c), or make the window bigger to scan."
        )
        self.query_one("#scan-note", Static).update(note)
        self.query_one("#scan-note").display = bool(note)
        self._show_bars()
        self.refresh_bindings()

    def _set_large(self, large: bool) -> None:
        self._qr().set_large(large)
        self.query_one("#large", ActionButton).update("Smaller code (l)" if large else "Larger code (l)")

    def on_resize(self) -> None:
        if self.query("#qr"):
            self._check_fit()

    def action_copy_uri(self) -> None:
        if self.pending is None:
            return
        self.app.copy_to_clipboard(self.pending.uri)
        self.notify("The setup link was sent to your clipboard (OSC 52, works over SSH where the terminal allows).")

    @on(ActionButton.Pressed, "#copy")
    def _copy(self) -> None:
        self.action_copy_uri()

    @on(ActionButton.Pressed, "#large")
    def action_toggle_large(self) -> None:
        if not self.query("#qr"):
            return
        qr = self._qr()
        if not qr.large and not self._large_fits():
            self.notify("The window is too small for the larger code.")
            return
        self._set_large(not qr.large)
        self._check_fit()

    # -- verify ---------------------------------------------------------------------------

    @on(TextField.Submitted, "#code")
    @on(ActionButton.Pressed, "#check")
    async def _check(self) -> None:
        error = self.query_one("#verify-error", ErrorLine)
        try:
            services = await self.app.services()
            result = await self.app.run_core(
                services.way("totp").confirm, self.pending, self.query_one("#code", TextField).value,
                source=self.app.config.source,
            )
        except ValidationError as exc:
            error.show(str(exc))
            self.query_one("#code").focus()
            return
        except SecConsoleError as exc:
            error.show(str(exc))
            return
        if not result.ok:
            error.show(result.message)
            self.query_one("#code", TextField).value = ""
            self.query_one("#code").focus()
            return
        self.pending = None
        self.dismiss(True)
        self.app.notify("Authenticator app code is on. You will be asked for a code when you sign in.")


EnrollScreen = EnrollTotpScreen
