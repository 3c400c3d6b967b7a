"""Drivers for the method contract suite (tests/unit/test_method_contract.py and its TUI half,
tests/tui/test_method_contract_tui.py): per way, what a person would know: how to get it, its
right and wrong answers. A new way joins the suite with a driver here."""

from __future__ import annotations

import contextlib
import re

from secconsole.core.methods import Setup, registry
from tui_helpers import enroll_totp


class Driver:
    """What the test knows that a person would: how to get the way, its right and wrong answers."""

    def __init__(self, services, account_id: int) -> None:
        self.s, self.account_id = services, account_id

    def enroll(self) -> None: ...
    def right(self) -> str: ...
    def wrong(self) -> str: ...
    def next_right(self) -> str:
        """A fresh right answer after one was used (the next time step, the next code)."""
        return self.right()


class Totp(Driver):
    def enroll(self):
        self.secret = enroll_totp(self.s, "alice")

    def right(self):
        from secconsole.core.totp import TotpParams, code_at

        return code_at(self.secret, self.s.clock.now(), TotpParams())

    def wrong(self):
        return "000000" if self.right() != "000000" else "111111"

    def next_right(self):
        self.s.clock.advance(seconds=30)
        return self.right()


class Question(Driver):
    def enroll(self):
        self.s.way("question").set(self.account_id, "What was the name of your first pet?", "Biscuit", source="t")

    def right(self):
        return "biscuit"

    def wrong(self):
        return "Rex"


class Recovery(Driver):
    def enroll(self):
        self.codes = self.s.way("recovery").generate(self.account_id, source="t")
        self.used = 0

    def right(self):
        return self.codes[self.used]

    def next_right(self):
        self.used += 1
        return self.right()

    def wrong(self):
        return "zzzzz-zzzzz"


class Email(Driver):
    def enroll(self):
        pass  # the fallback is on for a new account

    def right(self):
        from secconsole.core.delivery import recent_outbox

        if not hasattr(self, "sent"):
            self.s.way("email").begin(self.account_id, source="t")
            self.sent = True
        bodies = [m.body for m in recent_outbox(self.s.db, self.s.box, account_id=self.account_id, limit=5)]
        return next(m.group(1) for m in map(re.compile(r"code is (\d{6})").search, bodies) if m)

    def next_right(self):
        self.s.clock.advance(seconds=61)
        del self.sent
        return self.right()

    def wrong(self):
        self.right()
        return "000000" if self.right() != "000000" else "111111"


class Sms(Driver):
    """A German mobile number, after a card on file (the source text's prerequisite); codes are
    read from the outbox, as a phone would show them."""

    NUMBER = ("01512 3456789", "DE")

    def enroll(self):
        self.s.payments.add_card(self.account_id, "Alice Liddell", "4242 4242 4242 4242", "12/30", source="t")
        way = self.s.way("sms")
        number = way.check_number(self.account_id, *self.NUMBER)
        way.send_enrollment_code(self.account_id, number, source="t")
        assert way.confirm(self.account_id, number, sms_code(self.s, self.account_id), source="t").ok
        self.s.clock.advance(seconds=61)

    def right(self):
        if not hasattr(self, "sent"):
            self.s.way("sms").begin(self.account_id, source="t")
            self.sent = True
        return sms_code(self.s, self.account_id)

    def next_right(self):
        self.s.clock.advance(seconds=61)
        del self.sent
        return self.right()

    def wrong(self):
        return "000000" if self.right() != "000000" else "111111"


def sms_code(services, account_id: int) -> str:
    """The code in the newest text message to the account (the outbox keeps them sealed)."""
    from secconsole.core.delivery import recent_outbox

    sms = [m for m in recent_outbox(services.db, services.box, account_id=account_id, limit=10) if m.channel == "sms"]
    return re.search(r"code: (\d{6})", sms[0].body).group(1)


class Push(Driver):
    """A phone paired through the core, the test prompt approved, then ``confirm``. Nothing is
    typed: the right answer is the phone approving with the number the console shows, the wrong
    one the phone denying; both return "" (what the console submits)."""

    def enroll(self):
        from push_helpers import Phone

        self.way = self.s.way("push")
        self.phone = Phone(self.way, self.account_id)
        self._prompt()
        self.phone.approve(self.way.prompt(self.account_id).number)
        assert self.way.confirm(self.account_id, source="t").ok

    def _prompt(self):
        """A new prompt, after any wait a denial set off (5 s, doubling, at most 5 min)."""
        from secconsole.core.methods.push import BACKOFF_MAX

        self.s.clock.advance(seconds=BACKOFF_MAX + 1)
        self.way.begin(self.account_id, source="t", again=True)

    def right(self):
        self._prompt()
        self.phone.approve(self.way.prompt(self.account_id).number)
        return ""

    def wrong(self):
        self._prompt()
        self.phone.deny()
        return ""


class Pin(Driver):
    def enroll(self):
        self.s.way("pin").enroll(self.account_id, "4711", source="t")

    def right(self):
        return "4711"

    def wrong(self):
        return "1234"


DRIVERS = {"push": Push, "totp": Totp, "sms": Sms, "question": Question, "recovery": Recovery, "email": Email, "pin": Pin}
KINDS = [s.kind for s in registry.all_ways() if s.available] + ["pin"]
#: The ways a Settings switch turns on (a wizard) and off (the two-step dialog).
WIZARD_KINDS = [k for k in KINDS if k == "pin" or registry.get(k).capabilities.setup is Setup.WIZARD]


@contextlib.contextmanager
def enrolled_way(request, config, clock, kind: str):
    """alice on a new database (the throwaway PIN registered too) with ``kind`` set up by its
    driver: ``(spec, services, driver)``; closed afterwards."""
    from conftest import STRONG, open_test_services
    from throwaway_method import registered

    with registered():
        services = open_test_services(request, config, clock)
        try:
            account = services.accounts.create("alice", "alice@example.com", STRONG, source="t")
            driver = DRIVERS[kind](services, account.id)
            driver.enroll()
            yield registry.get(kind), services, driver
        finally:
            services.close()
