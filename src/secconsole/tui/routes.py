"""Screens that ``--open`` can name. Plain data, so the CLI can check a name without Textual."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    name: str
    summary: str
    #: Opens only once someone is signed in (after sign-in, or at once with ``demo --as``).
    needs_account: bool


ROUTES = {
    r.name: r
    for r in (
        Route("signin", "the sign-in screen, the default", False),
        Route("create-account", "create a new account", False),
        Route("home", "the account home screen", True),
        Route("change-password", "change the password", True),
        Route("settings", "Settings › Password and Security", True),
        Route("payments", "billing methods and identity", True),
        Route("enroll-totp", "turn on the authenticator app", True),
    )
}
