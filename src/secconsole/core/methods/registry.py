"""Every way to confirm it's you, declared in one place. Listing them imports no service: a
line names its service as ``module:Class``, loaded when the services are built.

A new method is its own modules plus one line in ``WAYS``. Tests may ``register`` a way of
their own (and must ``unregister`` it)."""

from __future__ import annotations

import importlib

from secconsole.core.methods.base import Answer, Capabilities, Role, Setup, Start, WaySpec

_PKG = "secconsole.core.methods"

#: In the order Settings lists them (the source text's); the challenge orders by ``SECURITY``.
WAYS: tuple[WaySpec, ...] = (
    WaySpec(
        "push", "Mobile app prompt", "Get a prompt in the mobile app", "app prompts", Role.METHOD,
        f"{_PKG}.push:MobilePrompts",
        Capabilities(start=Start.PROMPT, answer=Answer.NONE),
        lead="We sent a prompt to your mobile app: open it and tap the number shown here.",
        failures="mobile app prompts",
        ask="Open the prompt in your mobile app and tap the number shown here.", entry="A mobile app prompt",
        field_label="Number to tap in the app",
        audit={"push.paired": "A device was paired for mobile app prompts",
               "push.removed": "A device was removed from mobile app prompts",
               "push.sent": "Mobile app prompt sent", "push.approved": "Mobile app prompt approved",
               "push.denied": "Mobile app prompt denied", "push.reported": "Mobile app prompt reported: it wasn't me",
               "push.refused": "A device request was refused"},
    ),
    WaySpec(
        "sms", "Text message", "Get a code by text message", "text messages", Role.METHOD,
        f"{_PKG}.sms:TextMessages",
        Capabilities(start=Start.SEND_CODE, needs_identity_or_billing=True),
        lead="We can text a 6-digit code to your phone: send it (s), then enter it here.",
        failures="text message codes",
        ask="Enter the $digits-digit code from the text message.", entry="A text message code",
        field_label="Code from the text message",
        audit={
            "sms.sent": "Text message code sent",
            "sms.send_failed": "A text message could not be sent",
            "sms.failed": "Wrong text message code",
            "sms.used": "Text message code used",
        },
    ),
    WaySpec(
        "totp", "Authenticator app code", "Enter a code from your authenticator app", "the authenticator app",
        Role.METHOD, f"{_PKG}.totp:AuthenticatorApp",
        lead="Enter the $digits-digit code from your authenticator app for $issuer ($user).",
        failures="authenticator app codes",
        ask="Enter the $digits-digit code from your authenticator app.", entry="An authenticator app code",
        audit={
            "totp.failed": "Wrong authenticator app code",
            "totp.replayed": "An authenticator app code was used twice",
            "totp.drift_learned": "Adjusted for the authenticator device's clock",
            "totp.drift_reset": "The authenticator device's clock is right again: no longer adjusted for",
        },
    ),
    WaySpec(
        "question", "Security question", "Answer your security question", "the security question", Role.BACKUP,
        f"{_PKG}.question:SecurityQuestions",
        Capabilities(setup=Setup.FORM, answer=Answer.TEXT, single_use=False, tries=3, counts_under_nist=False),
        lead="Answer your security question. Case and spacing do not matter.",
        failures="security question answers",
        ask="Enter the answer to your security question.", entry="An answer to the security question",
        field_label="Your answer", give_up="I don't know the answer",
        audit={"question.failed": "Wrong answer to the security question",
               "question.passed": "Security question answered"},
    ),
    WaySpec(
        "recovery", "Recovery codes", "Use a recovery code", "recovery codes", Role.SPARE,
        f"{_PKG}.recovery:RecoveryCodes",
        Capabilities(setup=Setup.GENERATE, answer=Answer.CODE),
        lead="Enter one of the recovery codes you saved (like abcde-23456). Each works once.",
        failures="recovery codes",
        ask="Enter one of your recovery codes.", entry="A recovery code", field_label="Recovery code",
        audit={"recovery.generated": "Recovery codes made (any earlier ones stopped working)",
               "recovery.used": "A recovery code was used", "recovery.failed": "Wrong recovery code"},
    ),
    WaySpec(
        "email", "Email code", "Get a code by email", "the email code", Role.LAST_RESORT,
        f"{_PKG}.email:EmailFallback",
        Capabilities(setup=Setup.NONE, start=Start.SEND_CODE, to_email=True),
        lead="Every other way was used up, so we can email you a code as a last resort.",
        failures="email codes",
        ask="Enter the $digits-digit email code we sent you.", entry="An email code",
        audit={"email_code.sent": "Email code sent (last resort)", "email_code.failed": "Wrong email code",
               "email_code.used": "Signed in with the email code"},
    ),
)

#: Most secure first: a challenge starts on the first one the account has.
SECURITY = ("push", "totp", "sms")

#: Throttled counters that are not ways (identity details on Payments), with what they are called.
OTHER_THROTTLES = {"identity": "Identity verification", "verify_email": "Email address verification"}

_extra: dict[str, WaySpec] = {}
_loaded: dict[str, type] = {}


def all_ways() -> list[WaySpec]:
    return [*WAYS, *_extra.values()]


def get(kind: str) -> WaySpec:
    for spec in all_ways():
        if spec.kind == kind:
            return spec
    raise KeyError(f"no way named {kind!r}")


def kinds() -> list[str]:
    return [s.kind for s in all_ways()]


def methods() -> list[WaySpec]:
    """The second steps proper, as Settings lists them."""
    return [s for s in all_ways() if s.role is Role.METHOD]


def by_security(specs: list[WaySpec]) -> list[WaySpec]:
    rank = {k: i for i, k in enumerate(SECURITY)}
    return sorted(specs, key=lambda s: rank.get(s.kind, len(rank)))


def throttled() -> list[str]:
    """Every counter of an account's ways (what ``user unlock`` clears)."""
    return [*(s.throttle_name for s in all_ways() if s.available), *OTHER_THROTTLES]


def throttle_label(name: str) -> str:
    """What ``user show`` calls a counter of ``throttled()``."""
    if name in OTHER_THROTTLES:
        return OTHER_THROTTLES[name]
    return next((s.label for s in all_ways() if s.throttle_name == name), name)


def audit_description(kind: str) -> str | None:
    for spec in all_ways():
        if kind in spec.audit:
            return spec.audit[kind]
    return None


def service_class(spec: WaySpec) -> type:
    """Import the way's service (only when the services are built)."""
    if spec.service is None:
        raise LookupError(f"{spec.label} is not available in this version yet")
    cls = _loaded.get(spec.service)
    if cls is None:
        module, _, name = spec.service.partition(":")
        cls = _loaded[spec.service] = getattr(importlib.import_module(module), name)
    return cls


def register(spec: WaySpec) -> None:
    """Add a way that is not in ``WAYS`` (a test's throwaway method)."""
    if spec.kind in kinds():
        raise ValueError(f"a way named {spec.kind!r} exists already")
    _extra[spec.kind] = spec


def unregister(kind: str) -> None:
    _extra.pop(kind, None)
