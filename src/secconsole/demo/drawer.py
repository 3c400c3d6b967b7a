"""Demo mode only: what the Dev drawer shows (``tui/demo/drawer.py``) and the one change it makes
itself (unlocking a counter). Plain data, read in one transaction per call; refuses outside demo
mode like ``hints``, so the production path can never show another account's codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from secconsole.demo import is_demo_name

if TYPE_CHECKING:
    from secconsole.core.methods.push import PromptView
    from secconsole.services import Services

OUTBOX_LIMIT = 5
EVENTS_LIMIT = 6
SOURCE = "demo drawer"


@dataclass(frozen=True)
class OutboxLine:
    at: datetime
    channel: str
    to: str
    #: The line that carries the code (or the subject when the message has none).
    gist: str


@dataclass(frozen=True)
class LockLine:
    counter: str
    label: str
    failures: int
    locked: bool
    #: Seconds until the next try is allowed (a back-off, or a lock that expires); 0: now or never.
    retry_after: int


@dataclass(frozen=True)
class DrawerView:
    username: str
    outbox: list[OutboxLine]
    #: The authenticator app's code now and its seconds left (None: the app is off).
    totp: tuple[str, int] | None
    push_on: bool
    #: Devices paired with the account (during the pairing wizard, before app prompts are on).
    devices: int
    prompt: PromptView | None
    events: list[tuple[datetime, str, str]]
    locks: list[LockLine]


def _require_demo(services: Services) -> None:
    if not services.config.demo:
        raise RuntimeError("the dev drawer outside demo mode")


def _gist(subject: str, body: str) -> str:
    """``code 412865 · subject`` for a message carrying a code, else the subject."""
    import re

    found = re.search(r"code(?: is)?:? (\d{6,8})\b", body)
    if found is None:
        return subject or (body.splitlines() or [""])[0]
    return f"code {found.group(1)}" + (f" · {subject}" if subject else "")


def snapshot(services: Services, username: str) -> DrawerView:
    """Everything the drawer shows for one seeded account (the outbox is everyone's: a presenter
    signing in as anyone needs the newest code)."""
    from secconsole.core.delivery import recent_outbox

    _require_demo(services)
    if not is_demo_name(username):
        raise RuntimeError("the dev drawer shows only the seeded accounts")
    account = services.accounts.get(username)
    on = {m.kind for m in account.methods if m.enabled}
    outbox = [OutboxLine(m.at, m.channel, m.to, _gist(m.subject, m.body))
              for m in recent_outbox(services.db, services.box, limit=OUTBOX_LIMIT)]
    totp = _totp(services, account.id) if "totp" in on else None
    push_on = "push" in on
    devices = len(services.push().devices(account.id))
    prompt = services.push().prompt(account.id) if push_on or devices else None
    events = [(e.at, e.description, e.source) for e in
              services.accounts.recent_events_by_id(account.id, limit=EVENTS_LIMIT)]
    return DrawerView(account.username, outbox, totp, push_on, devices, prompt, events,
                      locks(services, account.id, account.username))


def _totp(services: Services, account_id: int) -> tuple[str, int]:
    from secconsole.core.totp import code_at

    secret, params = services.way("totp").secret_and_params(account_id)
    now = services.clock.now()
    return code_at(secret, now, params), params.period - int(now.timestamp()) % params.period


def _counters(account_id: int, username_key: str) -> list[tuple[str, str]]:
    """(throttle key, counter name) of every counter of the account, password sign-in first."""
    from secconsole.core import throttle

    keys = throttle.account_keys(account_id, username_key)
    return [(key, key.partition(":")[0]) for key in keys]


def locks(services: Services, account_id: int, username: str) -> list[LockLine]:
    """Each counter's state: failures, locked, how long until the next try."""
    from secconsole.core import throttle
    from secconsole.core.methods import registry
    from secconsole.core.validation import username_key

    now, profile = services.clock.now(), services.profile
    lines = []
    with services.db.transaction(readonly=True) as session:
        for key, name in _counters(account_id, username_key(username)):
            rules = profile.signin_lockout if name == "signin" else profile.lockout
            gate = throttle.check(session, key, now, rules)
            label = "Password sign-in" if name == "signin" else registry.throttle_label(name)
            lines.append(LockLine(name, label, gate.failures, gate.locked, gate.retry_after))
    return lines


def unlock(services: Services, username: str, counter: str) -> bool:
    """Clear one counter's failures and lock, audited and told to the owner as support's unlock
    is (``AccountService.unlock``), but for this counter only. False: it had nothing to clear."""
    from secconsole.core import audit, throttle
    from secconsole.core.accounts import require_named

    _require_demo(services)
    if not is_demo_name(username):
        raise RuntimeError("the dev drawer unlocks only the seeded accounts")
    with services.db.transaction() as session:
        account = require_named(session, username)
        keys = dict((name, key) for key, name in _counters(account.id, account.username_key))
        if counter not in keys:
            raise ValueError(f"unknown counter {counter!r}")
        cleared = throttle.clear(session, keys[counter])
        services.notices.record(session, account, at=services.clock.now(), kind=audit.ACCOUNT_UNLOCKED,
                                source=SOURCE, cleared=[counter] if cleared else [])
    return cleared


def pairing_code(services: Services, username: str) -> tuple[str, str]:
    """A pairing code for the demo device of an account with app prompts on: (API URL, code)."""
    _require_demo(services)
    if not is_demo_name(username):
        raise RuntimeError("the dev drawer pairs only the seeded accounts")
    push = services.push()
    url = push.api_url()
    if not url:
        from secconsole.errors import SecConsoleError

        raise SecConsoleError("This console's push API is not running, so the demo device cannot pair.")
    offer = push.start_pairing(services.accounts.get(username).id, url)
    return url, offer.code


def prompt_of(services: Services, username: str) -> PromptView | None:
    _require_demo(services)
    return services.push().prompt(services.accounts.get(username).id)
