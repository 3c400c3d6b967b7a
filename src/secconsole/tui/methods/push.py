"""Mobile app prompts in the console: its part of the challenge (the number to tap, big, with its
countdown, until the phone answers) and what the pairing wizard (``push_wizard``, which its
Settings switch runs) shares with it.

A worker per screen waits for the account's prompts or devices to change (``Follow``: the core's
``push_wake`` listener, LISTEN/NOTIFY on PostgreSQL, a short poll on SQLite) and then re-reads
them, all through ``app.run_core`` (a thread), never on the event loop. The countdowns tick once
a second from the services' clock without touching the database; times come from that clock."""

from __future__ import annotations

from contextlib import suppress

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Digits, Static

from secconsole.core.clock import seconds_until
from secconsole.errors import SecConsoleError
from secconsole.tui.methods.panel import WayPanel
from secconsole.tui.text import plain
from secconsole.tui.widgets.action_button import ActionButton

#: A waiting worker re-reads at least this often even when nothing wakes it (a lost connection).
REREAD_SECONDS = 10.0
PENDING, EXPIRED = "pending", "expired"
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
            # The reason shows once, on the error line (``Refused``); here only what it means.
            self.query_one("#challenge-lead", Static).update("No prompt was sent.")
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


def show_waiting(node, prefix: str, prompt, now) -> None:
    """A prompt just sent, on the panel (``push-*``) or the wizard's test step (``test-*``): the
    number to tap, "waiting", and the time left."""
    node.query_one(f"#{prefix}-number", Digits).update(str(prompt.number))
    node.query_one(f"#{prefix}-status", Static).update("Waiting for your answer…")
    node.query_one(f"#{prefix}-countdown", Static).update(f"Expires in {seconds_until(prompt.expires_at, now)} s")



def __getattr__(name: str):
    """The pairing wizard (``EnrollScreen``, what Settings' switch opens) lives in ``push_wizard``,
    loaded when asked for."""
    if name in ("EnrollScreen", "EnrollPushScreen"):
        from secconsole.tui.methods.push_wizard import EnrollPushScreen

        return EnrollPushScreen
    raise AttributeError(name)
