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

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


DEMO_ACCOUNTS = (
    # Stories say what each account has today; they grow as each method lands (alice: every
    # method; bob: authenticator app only; dave: text message and app prompts).
    DemoAccount(
        "alice", "Tulip-Harbor-42!", "question: Biscuit", identity_verified=True,
        question=("What was the name of your first pet?", "Biscuit"),
    ),
    DemoAccount("bob", "Maple-Rocket-17?", "a plain account"),
    DemoAccount("carol", "Cobalt-Meadow-88#", "identity not verified"),
    DemoAccount("dave", "Granite-Owl-63$!", "email fallback off", identity_verified=True, email_fallback_enabled=False),
)

DEMO_SOURCE = "demo seed"


def seed(services: Services) -> list[str]:
    """Create the demo accounts that are missing. Returns the names created."""
    from secconsole.core.errors import NotFoundError

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
        created.append(demo.username)
    return created


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
