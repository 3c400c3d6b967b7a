"""Recovery codes made and shown once, and offered right after an account's first second step is
on, however its wizard was reached (Settings' switch, ``--open enroll-…``, the command palette).

Both run in a worker (they wait on dialogs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from secconsole.errors import SecConsoleError

if TYPE_CHECKING:
    from secconsole.core.views import AccountView

OFFER_TITLE = "Make recovery codes now?"
OFFER_TEXT = ("Your account now asks for a second step. Recovery codes let you in when your phone is away: ten "
              "codes, each working once, shown only this once.")


def wants_offer(before: AccountView, turned_on: bool) -> bool:
    """A wizard turned a method on for an account that had no second step and no codes."""
    return turned_on and not before.has_second_step and not before.recovery_codes_left


async def make_codes(app, account: AccountView) -> bool:
    """Make new codes and show them once (a local console can also save them to a file)."""
    from secconsole.tui.dialogs.recovery_codes import RecoveryCodesDialog, is_local

    config = app.config
    try:
        services = await app.services()
        codes = await app.run_core(services.way("recovery").generate, account.id, source=config.source)
    except SecConsoleError as exc:
        app.notify(str(exc), severity="error", markup=False)
        return False
    await app.push_screen_wait(RecoveryCodesDialog(
        codes, username=account.username, issuer=config.issuer, made=services.clock.now(),
        can_save=is_local(config.source),
    ))
    return True


async def offer_codes(app, account: AccountView) -> None:
    """"Make recovery codes now?" ("Not now" skips)."""
    from secconsole.tui.dialogs.confirm import ConfirmDialog

    want = await app.push_screen_wait(ConfirmDialog(OFFER_TITLE, OFFER_TEXT, confirm="Make recovery codes",
                                                    cancel="Not now"))
    if want:
        await make_codes(app, account)
