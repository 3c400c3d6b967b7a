"""Every screen that can be named: ``--open``, the command palette and step-up read this table.
Plain data, so the CLI can check a name without importing Textual; screens load on first use."""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    name: str
    summary: str
    #: Opens only once someone is signed in (after sign-in, or at once with ``demo --as``).
    needs_account: bool
    #: ``module:Class`` of the screen; it takes the signed-in account when ``needs_account``.
    screen: str | None = None
    #: Asks to confirm it's you again when the last check is older than the step-up window.
    protected: bool = False
    #: Exists only in demo mode.
    demo_only: bool = False
    #: Its entry in the command palette (None: not listed there).
    command: str | None = None
    #: Exists only while sign-up is open (``--signup``).
    signup: bool = False
    #: A wizard's later step to start on (the screen takes ``start_step``).
    step: str | None = None
    #: The sign-in challenge (password step passed) on this way ("": the account's first way,
    #: "support": every way given up); reached only at start, with ``demo --as``.
    challenge: str | None = None
    #: The route whose screen this one is opened from, opened beneath it (Payments › Add card).
    parent: str | None = None
    #: Opens as if the last check were older than the step-up window: confirm it's you first.
    step_up: bool = False

    def offered(self, config) -> bool:
        """Whether this console has the screen at all (demo mode, sign-up)."""
        return (config.demo or not self.demo_only) and (config.signup_open or not self.signup)

    def load(self) -> type:
        module, _, name = self.screen.partition(":")
        return getattr(importlib.import_module(module), name)


_S = "secconsole.tui.screens"
ROUTES = {
    r.name: r
    for r in (
        Route("signin", "the sign-in screen, the default", False),
        Route("create-account", "create a new account", False, f"{_S}.create_account:CreateAccountScreen",
              command="Create account", signup=True),
        Route("home", "the account home screen", True, f"{_S}.home:HomeScreen"),
        Route("change-password", "change the password", True, f"{_S}.change_password:ChangePasswordScreen",
              command="Change password"),
        Route("settings", "Settings › Password and Security", True, f"{_S}.settings:SettingsScreen", protected=True,
              command="Settings"),
        Route("payments", "billing methods and identity", True, f"{_S}.payments:PaymentsScreen", protected=True,
              command="Payments"),
        Route("enroll-totp", "turn on the authenticator app", True, "secconsole.tui.methods.totp:EnrollTotpScreen",
              protected=True),
        Route("enroll-sms", "turn on text messages, or change their number", True,
              "secconsole.tui.methods.sms:EnrollSmsScreen", protected=True, command="Text messages: set the number"),
        Route("enroll-push", "pair a phone for app prompts, or manage paired phones", True,
              "secconsole.tui.methods.push:EnrollPushScreen", protected=True,
              command="Mobile app prompts: paired devices"),
        Route("enroll-totp-advanced", "authenticator wizard: advanced (algorithm, digits)", True,
              "secconsole.tui.methods.totp:EnrollTotpScreen", protected=True, demo_only=True, step="advanced"),
        Route("enroll-totp-scan", "authenticator wizard: the QR code and key", True,
              "secconsole.tui.methods.totp:EnrollTotpScreen", protected=True, demo_only=True, step="scan"),
        Route("enroll-totp-code", "authenticator wizard: enter a code", True,
              "secconsole.tui.methods.totp:EnrollTotpScreen", protected=True, demo_only=True, step="verify"),
        Route("enroll-sms-code", "text-message wizard: a demo number sent, enter its code", True,
              "secconsole.tui.methods.sms:EnrollSmsScreen", protected=True, demo_only=True, step="code-step"),
        Route("add-card", "Payments › Add a card", True, f"{_S}.add_card:AddCardScreen", protected=True,
              demo_only=True, parent="payments"),
        Route("verify-identity", "Payments › Verify your identity", True, f"{_S}.verify_identity:VerifyIdentityScreen",
              protected=True, demo_only=True, parent="payments"),
        Route("security-question", "Settings › Security question: set or change it", True,
              f"{_S}.security_question:SecurityQuestionScreen", protected=True, demo_only=True, parent="settings"),
        Route("step-up", "confirm it's you before Settings (second step or password)", True,
              f"{_S}.settings:SettingsScreen", protected=True, demo_only=True, step_up=True),
        Route("challenge", "sign-in's second step (password passed), on the first way", True,
              f"{_S}.challenge:ChallengeScreen", demo_only=True, challenge=""),
        *(Route(f"challenge-{kind}", f"sign-in's second step, on {what}", True,
                f"{_S}.challenge:ChallengeScreen", demo_only=True, challenge=kind)
          for kind, what in (("totp", "the authenticator app code"), ("sms", "a text-message code"),
                             ("push", "a mobile app prompt"), ("question", "the security question"),
                             ("recovery", "a recovery code"), ("email", "an email code"))),
        Route("contact-support", "Contact support: every second-step way given up", True,
              f"{_S}.support:ContactSupportScreen", demo_only=True, challenge="support"),
    )
}

#: What step-up says it is for, by route.
PURPOSES = {"payments": "Payments"}
DEFAULT_PURPOSE = "Settings › Password and Security"
