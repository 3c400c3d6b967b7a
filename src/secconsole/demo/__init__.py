"""Demo mode: four seeded accounts whose passwords the sign-in screen shows.

The constants here are cheap, so the sign-in screen can show them on its first paint; ``seed``
(the accounts) and ``hints`` (what each way's device or inbox would show) load only in demo mode.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    #: A fictional number (``demo.phones``) that text messages go to.
    sms: str | None = None

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


DEMO_ACCOUNTS = (
    # Stories say what each account has today; they grow as each method lands (alice: every
    # method; bob: authenticator app only; dave: text message and app prompts besides the app code).
    DemoAccount(
        "alice", "Tulip-Harbor-42!", "app code, pet: Biscuit", identity_verified=True,
        question=("What was the name of your first pet?", "Biscuit"), totp=True,
    ),
    DemoAccount("bob", "Maple-Rocket-17?", "authenticator app", totp=True),
    DemoAccount("carol", "Cobalt-Meadow-88#", "no second step yet"),
    DemoAccount(
        "dave", "Granite-Owl-63$!", "app code, text message, no email fallback", identity_verified=True,
        email_fallback_enabled=False, totp=True, sms="+447700900123",
    ),
)

DEMO_SOURCE = "demo seed"


def is_demo_name(username: str) -> bool:
    """One of the seeded accounts (by name, as usernames compare): the only ones whose codes demo
    mode shows and which ``demo --as`` signs in to, even in a demo database holding others."""
    from secconsole.core.validation import username_key

    return username_key(username) in {username_key(d.username) for d in DEMO_ACCOUNTS}
