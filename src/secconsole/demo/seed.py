"""Demo mode's accounts, created on the demo's throwaway (or kept) database."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from secconsole.core import audit
from secconsole.core.totp import code_at
from secconsole.demo import DEMO_ACCOUNTS, DEMO_SOURCE, is_demo_name
from secconsole.errors import NotFoundError, ValidationError

DEMO_NAMES = ", ".join(d.username for d in DEMO_ACCOUNTS)

if TYPE_CHECKING:
    from secconsole.core.views import AccountView
    from secconsole.services import Services


def seed(services: Services) -> list[str]:
    """Create the demo accounts that are missing. Returns the names created."""
    created = []
    for demo in DEMO_ACCOUNTS:
        try:
            services.accounts.get(demo.username)
            continue
        except NotFoundError:
            pass
        account = services.accounts.create(
            demo.username,
            demo.email,
            demo.password,
            source=DEMO_SOURCE,
            identity_verified=demo.identity_verified,
            email_fallback_enabled=demo.email_fallback_enabled,
        )
        if demo.question:
            services.way("question").set(account.id, *demo.question, source=DEMO_SOURCE)
        if demo.totp:
            enroll_totp(services, account.id, demo.username)
        if demo.sms:
            enroll_sms(services, account.id, demo.sms)
        created.append(demo.username)
    return created


def enroll_totp(services: Services, account_id: int, username: str) -> None:
    """Seed an authenticator app as if a phone had scanned it a step ago (so the current code
    is still unused when the demo starts)."""
    app = services.way("totp")
    pending = app.start(account_id, username)
    earlier = services.clock.now() - timedelta(seconds=pending.params.period)
    result = app.confirm(pending, code_at(pending.secret, earlier, pending.params), source=DEMO_SOURCE)
    if not result.ok:
        raise RuntimeError(result.message)


def enroll_sms(services: Services, account_id: int, number: str) -> None:
    """Seed text messages the way a person turns them on: the number checked, a code sent (to the
    outbox: demo mode never uses a gateway) and entered."""
    from secconsole.core.delivery import recent_outbox

    from secconsole.core.phone import PhoneRules
    from secconsole.demo.phones import FICTIONAL

    way = services.way("sms")
    checked = PhoneRules(fixtures=FICTIONAL).check(number, "")  # fictional: demo mode's rules, whatever the config
    way.send_enrollment_code(account_id, checked, source=DEMO_SOURCE)
    text = next(m for m in recent_outbox(services.db, services.box, account_id=account_id, limit=5)
                if m.channel == "sms")
    code = text.body.split("code: ")[1][:6]
    result = way.confirm(account_id, checked, code, source=DEMO_SOURCE)
    if not result.ok:
        raise RuntimeError(result.message)


def sign_in_as(services: Services, username: str) -> AccountView:
    """``demo --as USER``: skip the password. Exists only for demo mode and refuses elsewhere."""
    return _demo_step(services, username, audit.SIGNIN_SUCCEEDED)


def password_step_as(services: Services, username: str) -> AccountView:
    """``demo --as USER --open challenge``: the password step passed (audited as such), the
    second step still to come. Demo mode only, like ``sign_in_as``."""
    return _demo_step(services, username, audit.SIGNIN_PASSWORD_OK)


def _demo_step(services: Services, username: str, kind: str) -> AccountView:
    if not services.config.demo:
        raise RuntimeError("demo sign-in outside demo mode")
    if not is_demo_name(username):
        raise ValidationError(f"--as takes one of the demo accounts ({DEMO_NAMES}), not {username!r}.")
    account = services.accounts.get(username)
    with services.db.transaction() as session:
        audit.record(
            session, at=services.clock.now(), kind=kind, source=services.config.source,
            account_id=account.id, username=account.username, step="demo --as",
        )
    return account


#: (stored hash, demo password) -> whether they match: a hash is checked once (argon2 costs ~50 ms
#: each), and a changed password is a new hash, so the answer is never stale.
_MATCHES: dict[tuple[str, str], bool] = {}


def password_states(services: Services) -> dict[str, bool | None]:
    """Whether each demo account's password is still the seeded one (None: no such account), so
    the sign-in screen's panel never shows a password someone has since changed. Checks hashes
    only: nothing is counted, audited or rehashed; each stored hash once (``_MATCHES``), so the
    panel's recheck each time the sign-in screen comes back costs a query. Runs in a thread."""
    from sqlmodel import select

    from secconsole.core.validation import username_key
    from secconsole.store.models import Account

    if not services.config.demo:
        raise RuntimeError("demo password check outside demo mode")
    keys = {username_key(d.username): d for d in DEMO_ACCOUNTS}
    with services.db.transaction() as session:
        stored = {a.username_key: a.password_hash
                  for a in session.exec(select(Account).where(Account.username_key.in_(keys)))}
    states: dict[str, bool | None] = {}
    for key, demo in keys.items():
        if key not in stored:
            states[demo.username] = None
            continue
        pair = (stored[key], demo.password)
        if pair not in _MATCHES:
            _MATCHES[pair] = services.hasher.verify(*pair)
        states[demo.username] = _MATCHES[pair]
    return states
