"""Second-step methods behind one interface.

Each method (authenticator app, text message, app prompt) registers an implementation of
``SecondStepMethod`` in ``REGISTRY`` when its issue lands; the settings screen, the challenge and
``user show`` read only this module, so a new method slots in without touching them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class MethodKind(str, enum.Enum):
    PUSH = "push"
    TOTP = "totp"
    SMS = "sms"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    MethodKind.PUSH: "Mobile app prompt",
    MethodKind.SMS: "Text message",
    MethodKind.TOTP: "Authenticator app code",
}

#: Most secure first: the challenge starts on the first enabled one.
SECURITY_ORDER = (MethodKind.PUSH, MethodKind.TOTP, MethodKind.SMS)
#: As listed on Settings › Password and Security (the source text's order).
DISPLAY_ORDER = (MethodKind.PUSH, MethodKind.SMS, MethodKind.TOTP)


@dataclass(frozen=True)
class MethodState:
    """What the UI shows about one method of one account."""

    kind: MethodKind
    enabled: bool = False
    enabled_at: datetime | None = None
    #: Public detail, e.g. ``{"phone_last2": "42"}``; never a secret.
    detail: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.kind.label


class SecondStepMethod(Protocol):
    """What every method provides. Enrollment and verification signatures arrive with the first
    method; this is the part the rest of the product already relies on."""

    kind: MethodKind

    def unavailable_reason(self, account) -> str | None:
        """Why this account cannot turn the method on yet (None: it can)."""
        ...


#: Implemented methods, by kind. Empty until the first method's issue lands.
REGISTRY: dict[MethodKind, SecondStepMethod] = {}
