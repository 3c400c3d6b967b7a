"""Demo mode only: what each way's device or inbox would show now, keyed by the way's kind.

The production path never imports this module, so it never computes another account's current
code. A way with nothing to show has no entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from secconsole.demo import is_demo_name

if TYPE_CHECKING:
    from secconsole.services import Services


def _totp(services: Services, account_id: int) -> str:
    from secconsole.core.totp import code_at

    secret, params = services.way("totp").secret_and_params(account_id)
    now = services.clock.now()
    code = code_at(secret, now, params)
    left = params.period - int(now.timestamp()) % params.period
    half = len(code) // 2
    return f"the app would show {code[:half]} {code[half:]} · {left} s left"


def _outbox_code(services: Services, account_id: int, subject: str) -> str:
    """The code line of the newest message with this subject among the account's last few."""
    from secconsole.core.delivery import recent_outbox

    for message in recent_outbox(services.db, services.box, account_id=account_id, limit=5):
        if message.subject != subject:
            continue
        for line in message.body.splitlines():
            if "code is" in line:
                return f"outbox: {line.strip()}"
        break
    return ""


def _outbox(services: Services, account_id: int) -> str:
    return _outbox_code(services, account_id, "Your SecConsole sign-in code")


def _verification(services: Services, account_id: int) -> str:
    return _outbox_code(services, account_id, "Verify your SecConsole email address")


def _text_message(services: Services, account_id: int) -> str:
    """The newest text message to the account, as its phone would show it."""
    from secconsole.core.delivery import recent_outbox

    for message in recent_outbox(services.db, services.box, account_id=account_id, limit=10):
        if message.channel != "sms":
            continue
        code = message.body.partition("code: ")[2][:6]
        if code and services.way("sms").waiting(account_id, code):
            return f"the phone {message.to} got: {message.body}"
        return ""  # the newest text's code was used or expired: nothing to show
    return ""


#: kind -> (services, account_id) -> one line ("" for nothing to show).
HINTS: dict[str, Callable[[Services, int], str]] = {"totp": _totp, "email": _outbox, "sms": _text_message}
#: Hints for any account, seeded or not: only the signed-in owner sees them, and they prove nothing
#: but an address (the code that verifies the email address of an account made in the demo).
OWN_HINTS: dict[str, Callable[[Services, int], str]] = {"verify_email": _verification}


def hint(services: Services, kind: str, account_id: int) -> str:
    """The line for ``kind``; refuses outside demo mode, and shows nothing for an account that
    is not one of the seeded ones (someone may have created their own in the demo)."""
    if not services.config.demo:
        raise RuntimeError("demo hints outside demo mode")
    if kind in OWN_HINTS:
        return OWN_HINTS[kind](services, account_id)
    show = HINTS.get(kind)
    if show is None or not is_demo_name(services.accounts.get_by_id(account_id).username):
        return ""
    return show(services, account_id)
