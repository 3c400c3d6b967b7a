"""Text messages in the console: the wizard its Settings switch runs (country, number, code) and
its part of the challenge (a code sent when the person asks, with the resend countdown).

Every check of the number runs in the core before anything is sent (``TextMessages.check_number``);
the checked number lives only in this screen until the code is verified."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from secconsole.core.clock import seconds_until
from secconsole.core.methods import registry
from secconsole.core.phone import CheckedNumber, Country, as_you_type, country, country_of_pasted, search
from secconsole.core.views import AccountView
from secconsole.errors import SecConsoleError
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField
from secconsole.tui.methods.panel import WayPanel
from secconsole.tui.widgets.topbar import TopBar

INTRO = ("We text a 6-digit code to your phone when you sign in. Mobile and landline numbers work; "
         "internet (VoIP), toll-free and premium-rate numbers do not.")
PICKER_ROWS = 40


def locale_country() -> str:
    """The country of the terminal's locale (``en_GB.UTF-8``: GB), if it names one we know."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        region = value.split(".")[0].partition("_")[2].upper()
        if len(region) == 2:
            try:
                return country(region).iso
            except SecConsoleError:
                return ""
    return ""


class ResendCountdown(Static):
    """"You can ask for a new code in 42 s", counted on the services' clock (injected in tests);
    the button that sends is disabled until then."""

    def __init__(self, button: str, *, id: str) -> None:
        super().__init__(id=id)
        self.button = button
        self.until: datetime | None = None

    def on_mount(self) -> None:
        self.set_interval(1, self.tick)

    def _clock(self):
        services = self.app.loaded_services
        return services.clock if services is not None else None

    def start(self, seconds: int) -> None:
        clock = self._clock()
        self.until = clock.now() + timedelta(seconds=seconds) if clock is not None and seconds else None
        self.tick()

    def left(self) -> int:
        clock = self._clock()
        if self.until is None or clock is None:
            return 0
        return seconds_until(self.until, clock.now())

    def tick(self) -> None:
        left = self.left()
        self.update(plain(f"You can ask for a new code in {left} s." if left else ""))
        buttons = self.screen.query(f"#{self.button}")
        if buttons:
            buttons.first().disabled = bool(left)


class Panel(WayPanel):
    DEFAULT_CSS = """
    Panel #sms-send-row { height: auto; }
    Panel #sms-countdown { width: 1fr; padding: 0 2; color: $text-muted; }
    """

    """The challenge's text-message part: nothing is sent until the person asks (a code costs
    the operator money and the caps are tight); then the code field and the resend countdown."""

    sends_itself = True

    def lead(self):
        number = self.account.method("sms").detail.get("number", "your phone")
        prefix = f"{self.reason} asks for a fresh check. " if self.reason else ""
        return plain(f"{prefix}We can text a 6-digit code to {number}. Send it, then enter it below.")

    def compose_extra(self) -> ComposeResult:
        with Horizontal(classes="buttons", id="sms-send-row"):
            yield ActionButton("Text me a code", id="sms-send", primary=True)
            yield ResendCountdown("sms-send", id="sms-countdown")

    async def shown(self) -> None:
        try:
            services = await self.app.services()
            wait = await self.app.run_core(services.way("sms").resend_wait, self.account.id)
        except SecConsoleError:
            wait = 0
        if wait:  # a code went out moments ago (this challenge, or another): enter it
            number = self.account.method("sms").detail.get("number", "your phone")
            self.query_one("#challenge-lead", Static).update(
                plain(f"A code was texted to {number} a moment ago: enter it below, or ask for a new one."))
            self.query_one("#sms-send", ActionButton).update("Send a new code")
            self.query_one(ResendCountdown).start(wait)
            self.focus_field()
        else:
            self.query_one("#sms-send").focus()

    @on(ActionButton.Pressed, "#sms-send")
    async def _send(self) -> None:
        countdown = self.query_one(ResendCountdown)
        try:
            services = await self.app.services()
            sent = await self.app.run_core(services.way("sms").send_code, self.account.id,
                                           source=self.app.config.source)
        except SecConsoleError as exc:
            countdown.start(getattr(exc, "retry_after", 0))
            self.post_message(self.Refused(self.spec.kind, str(exc)))
            return
        self.query_one("#challenge-lead", Static).update(plain(sent.message))
        self.query_one("#sms-send", ActionButton).update("Send a new code")
        countdown.start(sent.retry_after)
        self.focus_field()


class EnrollSmsScreen(Screen[bool]):
    CSS_PATH = [stylesheet("sms")]
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="enroll_sms.cancel"),
    ]

    def __init__(self, account: AccountView, *, start_step: str | None = None) -> None:
        super().__init__()
        self.account = account
        #: Demo deep links: "code-step" types a fictional demo number and sends it, as a person would.
        self.start_step = start_step
        self.country: Country | None = None
        self.checked: CheckedNumber | None = None
        self._formatting = False
        self._choosing = False

    def compose(self) -> ComposeResult:
        yield TopBar("Text message", username=self.account.username, demo=self.app.config.demo)
        with ContentSwitcher(initial="number-step", id="steps"):
            with Vertical(id="prerequisite-step", classes="card step"):
                yield Static("Get codes by text message", classes="card-title")
                yield Static(id="missing", classes="warning")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Go to Payments", id="to-payments", primary=True)
                    yield ActionButton("Cancel", id="cancel-missing")
            with Vertical(id="number-step", classes="card step"):
                yield Static("Get codes by text message", classes="card-title")
                current = self.account.method("sms").detail.get("number") if self.account.method("sms").enabled else None
                intro = INTRO if current is None else (
                    f"Codes go to {current} now. A new number replaces it once its code is entered, "
                    "and the old number is told.")
                yield Static(intro, markup=False, classes="form-note", id="sms-intro")
                yield Label("Country", id="country-label")
                yield TextField(id="country-search", max_length=40, compact=True,
                                placeholder="Type a name, a code (DE) or +49")
                yield OptionList(id="countries", compact=True)
                yield Label("Phone number", id="number-label")
                yield TextField(id="number", max_length=24, compact=True, restrict=r"[0-9+ ()\-./]*")
                yield Static(id="sms-notices", classes="warning")
                yield ErrorLine(id="number-error")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Send code", id="send", primary=True)
                    if not self.account.method("totp").enabled:  # the safer method, offered here
                        yield ActionButton("Authenticator app instead", id="to-totp")
                    yield ActionButton("Cancel", id="cancel")
            with Vertical(id="code-step", classes="card step"):
                yield Static("Enter the code", classes="card-title")
                yield Static(id="sent-to")
                yield Label("6-digit code from the text message", id="code-label")
                yield TextField(id="code", max_length=12, compact=True, restrict=r"[0-9 \-]*")
                yield ResendCountdown("resend", id="resend-countdown")
                if self.app.config.demo:
                    from secconsole.tui.demo.hint import DemoHint

                    yield DemoHint(self.account.id)
                yield ErrorLine(id="code-error")
                with Horizontal(classes="buttons"):
                    yield ActionButton("Verify", id="check", primary=True)
                    yield ActionButton("New code", id="resend")
                    yield ActionButton("Change number", id="change")
                    yield ActionButton("Cancel", id="cancel-code")
        yield Footer()

    async def on_mount(self) -> None:
        missing = registry.get("sms").prerequisite_missing(self.account)
        if missing:
            self.query_one("#missing", Static).update(plain(
                "Text messages need a verified identity or a billing method first: add a card or verify "
                "your identity on Payments, then come back here."))
            self.query_one("#steps", ContentSwitcher).current = "prerequisite-step"
            self.query_one("#to-payments").focus()
            return
        self._fill_countries("")
        self._searching(False)
        home = locale_country()
        if home:
            self._choose(country(home))
        services = await self.app.services()
        self.query_one("#sms-notices", Static).update(plain(" ".join(services.way("sms").notices())))
        self.query_one("#country-search" if not home else "#number").focus()
        if self.start_step == "code-step":
            from secconsole.demo.phones import SPARE

            self._choose(country("GB"))
            self.query_one("#number", TextField).value = SPARE
            await self._send()

    # -- the number ---------------------------------------------------------------------------

    def _fill_countries(self, query: str) -> None:
        found = search(query, limit=PICKER_ROWS)
        picker = self.query_one("#countries", OptionList)
        picker.clear_options()
        picker.add_options([Option(plain(c.label), id=c.iso) for c in found])
        if found:
            picker.highlighted = 0

    @on(TextField.Changed, "#country-search")
    def _search(self, event: TextField.Changed) -> None:
        if self._choosing:
            return
        self._fill_countries(event.value)
        self._searching(True)

    @on(TextField.Submitted, "#country-search")
    def _take_first(self) -> None:
        picker = self.query_one("#countries", OptionList)
        if picker.option_count:
            self._choose(country(picker.get_option_at_index(picker.highlighted or 0).id))
            self.query_one("#number").focus()

    @on(OptionList.OptionSelected, "#countries")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._choose(country(event.option.id))
        self.query_one("#number").focus()

    def on_key(self, event) -> None:
        """Down from the search opens the list and moves into it."""
        if self.focused is self.query_one("#country-search") and event.key == "down":
            self._searching(True)
            self.query_one("#countries").focus()
            event.stop()

    def on_descendant_focus(self, event) -> None:
        """The list shows while a country is being chosen (the search or the list has the focus)."""
        if event.widget.id not in ("country-search", "countries"):
            self._searching(False)

    def _choose(self, chosen: Country) -> None:
        self.country = chosen
        search = self.query_one("#country-search", TextField)
        self._choosing = True
        try:
            search.value = chosen.label
        finally:
            self._choosing = False
        self.query_one("#countries").display = False
        self._reformat()

    def _searching(self, on: bool) -> None:
        self.query_one("#countries").display = on

    @on(TextField.Changed, "#number")
    def _typed(self) -> None:
        if self._formatting:
            return
        field = self.query_one("#number", TextField)
        pasted = country_of_pasted(field.value)
        if pasted and (self.country is None or pasted != self.country.iso):
            self._choose(country(pasted))
            return
        self._reformat()

    def _reformat(self) -> None:
        """The national number formatted as it is typed (phonenumbers' as-you-type formatter)."""
        field = self.query_one("#number", TextField)
        if self.country is None or not field.value or field.value.strip().startswith("+"):
            return
        shown = as_you_type(field.value, self.country.iso)
        if shown != field.value:
            self._formatting = True
            try:
                field.value = shown
                field.cursor_position = len(shown)
            finally:
                self._formatting = False

    @on(TextField.Submitted, "#number")
    @on(ActionButton.Pressed, "#send")
    async def _send(self) -> None:
        error = self.query_one("#number-error", ErrorLine)
        error.clear()
        region = self.country.iso if self.country else ""
        try:
            services = await self.app.services()
            way = services.way("sms")
            self.checked = await self.app.run_core(way.check_number, self.account.id,
                                                   self.query_one("#number", TextField).value, region)
            sent = await self.app.run_core(way.send_enrollment_code, self.account.id, self.checked,
                                           source=self.app.config.source)
        except SecConsoleError as exc:
            error.show(str(exc))
            field = "#country-search" if getattr(exc, "field", None) == "country" else "#number"
            self.query_one(field).focus()
            return
        self._to_code_step(sent.message, sent.retry_after)

    # -- the code -----------------------------------------------------------------------------

    def _to_code_step(self, said: str, wait: int) -> None:
        self.query_one("#sent-to", Static).update(plain(said))
        for hint in self.query("DemoHint"):
            hint.show("sms")
        self.query_one("#steps", ContentSwitcher).current = "code-step"
        self._start_countdown(wait)
        self.query_one("#code").focus()

    def _start_countdown(self, seconds: int) -> None:
        self.query_one(ResendCountdown).start(seconds)

    @on(ActionButton.Pressed, "#resend")
    async def _resend(self) -> None:
        error = self.query_one("#code-error", ErrorLine)
        error.clear()
        try:
            services = await self.app.services()
            sent = await self.app.run_core(services.way("sms").send_enrollment_code, self.account.id, self.checked,
                                           source=self.app.config.source)
        except SecConsoleError as exc:
            error.show(str(exc))
            self._start_countdown(getattr(exc, "retry_after", 0))
            return
        self._to_code_step(sent.message, sent.retry_after)

    @on(ActionButton.Pressed, "#change")
    def _change(self) -> None:
        self.checked = None
        self.query_one("#code", TextField).value = ""
        self.query_one("#code-error", ErrorLine).clear()
        self.query_one("#steps", ContentSwitcher).current = "number-step"
        self.query_one("#number").focus()

    @on(TextField.Submitted, "#code")
    @on(ActionButton.Pressed, "#check")
    async def _check(self) -> None:
        error = self.query_one("#code-error", ErrorLine)
        field = self.query_one("#code", TextField)
        try:
            services = await self.app.services()
            result = await self.app.run_core(services.way("sms").confirm, self.account.id, self.checked, field.value,
                                             source=self.app.config.source)
        except SecConsoleError as exc:
            error.show(str(exc))
            field.focus()
            return
        if not result.ok:
            error.show(result.message)
            field.value = ""
            field.focus()
            return
        self.checked = None
        self.dismiss(True)
        self.app.notify(result.message + " You will be asked for a code when you sign in.")

    @on(ActionButton.Pressed, "#to-totp")
    def _to_totp(self) -> None:
        self.dismiss(False)
        self.app.open_protected("enroll-totp")

    @on(ActionButton.Pressed, "#to-payments")
    def _to_payments(self) -> None:
        self.dismiss(False)
        self.app.open_protected("payments")

    @on(ActionButton.Pressed, "#cancel, #cancel-code, #cancel-missing")
    def action_cancel(self) -> None:
        self.checked = None
        self.dismiss(False)


EnrollScreen = EnrollSmsScreen
