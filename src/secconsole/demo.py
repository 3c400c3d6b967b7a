"""Demo mode: four seeded accounts whose passwords the sign-in screen shows.

Only ``secconsole demo`` imports the seeding; the constants are cheap so the sign-in screen can
show them on its first paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secconsole.core.accounts import AccountView
    from secconsole.services import Services


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    #: A few words on what this account shows off.
    story: str
    identity_verified: bool = False
    email_fallback_enabled: bool = True
    #: A security question and its answer, as a backup step.
    question: tuple[str, str] | None = None
    totp: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


DEMO_ACCOUNTS = (
    # Stories say what each account has today; they grow as each method lands (alice: every
    # method; bob: authenticator app only; dave: text message and app prompts, not the app code).
    DemoAccount(
        "alice", "Tulip-Harbor-42!", "app code, pet: Biscuit", identity_verified=True,
        question=("What was the name of your first pet?", "Biscuit"), totp=True,
    ),
    DemoAccount("bob", "Maple-Rocket-17?", "authenticator app", totp=True),
    DemoAccount("carol", "Cobalt-Meadow-88#", "no second step yet"),
    DemoAccount(
        "dave", "Granite-Owl-63$!", "app code, no email fallback", identity_verified=True,
        email_fallback_enabled=False, totp=True,
    ),
)

DEMO_SOURCE = "demo seed"


def seed(services: Services) -> list[str]:
    """Create the demo accounts that are missing. Returns the names created."""
    from secconsole.errors import NotFoundError

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
            services.questions.set(account.id, *demo.question, source=DEMO_SOURCE)
        if demo.totp:
            enroll_totp(services, account.id, demo.username)
        created.append(demo.username)
    return created


def current_code(services: Services, account_id: int) -> tuple[str, int]:
    """Demo mode only: the code a seeded account's phone would show now, and seconds left."""
    if not services.config.demo:
        raise RuntimeError("demo codes outside demo mode")
    import json

    from sqlmodel import select

    from secconsole.errors import ValidationError
    from secconsole.core.totp import TotpParams, code_at
    from secconsole.store.models import MethodEnrollment

    with services.db.transaction(readonly=True) as session:
        row = session.exec(
            select(MethodEnrollment).where(MethodEnrollment.account_id == account_id, MethodEnrollment.kind == "totp")
        ).first()
    if row is None:
        raise ValidationError("No authenticator app.")
    params = TotpParams(**json.loads(row.detail))
    secret = services.box.open(row.secret, f"totp:{account_id}".encode()).decode()
    now = services.clock.now()
    return code_at(secret, now, params), params.period - int(now.timestamp()) % params.period


def latest_outbox_line(services: Services, account_id: int) -> str:
    """Demo mode only: the line of the newest outbox message that carries a code."""
    if not services.config.demo:
        raise RuntimeError("demo outbox outside demo mode")
    from secconsole.core.delivery import recent_outbox

    for message in recent_outbox(services.db, account_id=account_id, limit=5):
        for line in message.body.splitlines():
            if "code is" in line:
                return line.strip()
    return ""


def enroll_totp(services: Services, account_id: int, username: str) -> None:
    """Seed an authenticator app as if a phone had scanned it a step ago (so the current code
    is still unused when the demo starts)."""
    from datetime import timedelta

    from secconsole.core.totp import code_at

    pending = services.totp.start(account_id, username)
    earlier = services.clock.now() - timedelta(seconds=pending.params.period)
    result = services.totp.confirm(pending, code_at(pending.secret, earlier, pending.params), source=DEMO_SOURCE)
    if not result.ok:
        raise RuntimeError(result.message)


def sign_in_as(services: Services, username: str) -> AccountView:
    """``demo --as USER``: skip the password. Exists only for demo mode and refuses elsewhere."""
    if not services.config.demo:
        raise RuntimeError("demo sign-in outside demo mode")
    from secconsole.core import audit

    account = services.accounts.get(username)
    with services.db.transaction() as session:
        audit.record(
            session, at=services.clock.now(), kind=audit.SIGNIN_SUCCEEDED, source=services.config.source,
            account_id=account.id, username=account.username, step="demo --as",
        )
    return account
