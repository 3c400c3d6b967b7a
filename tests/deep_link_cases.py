"""Per demo deep link (``demo --as USER --open SCREEN``): who opens it, what is set up first and
what shows it opened. Shared by the deep-link tests (80x24) and the minimum-size test."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, Input

from secconsole.tui.routes import ROUTES


def screen_is(name):
    return lambda app: isinstance(app.screen, ROUTES[name].load())


def step(name, which):
    return lambda app: screen_is(name)(app) and app.screen.query_one("#steps", ContentSwitcher).current == which


def over(name, parent):
    """``name``'s screen, opened from ``parent``'s (beneath it, as a person gets there)."""
    return lambda app: screen_is(name)(app) and isinstance(app.screen_stack[-2], ROUTES[parent].load())


def on_way(kind):
    from secconsole.tui.screens.challenge import ChallengeScreen

    return lambda app: isinstance(app.screen, ChallengeScreen) and app.screen.way is not None \
        and app.screen.way.kind == kind


def signin_with(name):
    from secconsole.tui.screens.signin import SignInScreen

    return lambda app: (isinstance(app.screen, SignInScreen) and app.account is None
                        and app.screen.query_one("#username", Input).value == name)


def _pair_phone(svc, username):
    from secconsole.demo.paired_phone import turn_on_prompts

    turn_on_prompts(svc, svc.accounts.get(username).id, source="test")


def demo_numbers(svc):
    """The fictional numbers pass, as in a demo console (the services were opened without demo mode)."""
    from dataclasses import replace

    from secconsole.services import phone_rules

    svc.way("sms").rules = phone_rules(replace(svc.config, demo=True))


def _recovery_codes(svc, username):
    svc.way("recovery").generate(svc.accounts.get(username).id, source="test")


#: Per route: who opens it (None: no --as), what must be set up first, and what shows it opened.
SCREENS = {
    "signin": ("bob", None, signin_with("bob")),
    "create-account": (None, None, screen_is("create-account")),
    "home": ("carol", None, screen_is("home")),
    "change-password": ("carol", None, screen_is("change-password")),
    "settings": ("alice", None, screen_is("settings")),
    "payments": ("alice", None, screen_is("payments")),
    "enroll-totp": ("carol", None, step("enroll-totp", "intro")),
    "enroll-totp-advanced": ("carol", None, step("enroll-totp", "advanced")),
    "enroll-totp-scan": ("carol", None, lambda app: step("enroll-totp", "scan")(app) and bool(app.screen.query("#qr"))),
    "enroll-totp-code": ("carol", None, lambda app: step("enroll-totp", "verify")(app) and app.focused.id == "code"),
    "enroll-sms": ("carol", None, screen_is("enroll-sms")),
    "enroll-sms-code": ("alice", demo_numbers, lambda app: step("enroll-sms", "code-step")(app) and app.focused.id == "code"),
    "enroll-push": ("carol", None, screen_is("enroll-push")),
    "add-card": ("carol", None, over("add-card", "payments")),
    "verify-identity": ("carol", None, over("verify-identity", "payments")),
    "security-question": ("carol", None, over("security-question", "settings")),
    "contact-support": ("bob", None, screen_is("contact-support")),
    "step-up": ("bob", None, lambda app: on_way("totp")(app) and app.screen.purpose == "step-up"),
    "challenge": ("bob", None, on_way("totp")),
    "challenge-totp": ("alice", None, on_way("totp")),
    "challenge-sms": ("dave", None, on_way("sms")),
    "challenge-push": ("carol", lambda svc: _pair_phone(svc, "carol"), on_way("push")),
    "challenge-question": ("alice", None, on_way("question")),
    "challenge-recovery": ("bob", lambda svc: _recovery_codes(svc, "bob"), on_way("recovery")),
    "challenge-email": ("alice", None, on_way("email")),
}
