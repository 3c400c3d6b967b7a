"""A tiny app that shows the phone's authenticator screen alone, with an injected clock and a
``save`` that counts (and can be told to fail), for Pilot and snapshot tests at 80x24."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import App

from secconsole.core.clock import ManualClock
from secconsole.phone.authenticator import Authenticator
from secconsole.phone.screens.authenticator import AuthenticatorScreen

START = datetime(2026, 1, 15, 12, 0, 7, tzinfo=timezone.utc)
KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LINK = f"otpauth://totp/ACME:bob%40example.com?secret={KEY}&issuer=ACME"


class PhoneAuthApp(App):
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, authenticator: Authenticator | None = None, clock: ManualClock | None = None) -> None:
        super().__init__()
        self.authenticator = authenticator if authenticator is not None else Authenticator()
        self.clock = clock or ManualClock(START)
        self.cursor_blink_enabled = False  # TextField reads it: no blinking cursor in snapshots
        self.saves = 0
        self.save_error: Exception | None = None

    def save(self) -> None:
        if self.save_error is not None:
            raise self.save_error
        self.saves += 1

    def on_mount(self) -> None:
        self.push_screen(AuthenticatorScreen(self.authenticator, self.save, self.clock))


def filled() -> Authenticator:
    """Two accounts, one with names that look like markup."""
    auth = Authenticator()
    auth.add_uri(LINK)
    auth.add_key("[red]x[/]", "[@click=app.quit]carol", "JBSW Y3DP EHPK 3PXP")
    return auth
