"""TOTP (RFC 6238) on HOTP (RFC 4226), through pyotp: codes by time step, key URIs, code input."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from secconsole.errors import ValidationError

if TYPE_CHECKING:
    from secconsole.core.methods.base import WaySpec

ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
SECRET_CHARS = 32  # base32: 160 bits, RFC 4226's recommended length


@dataclass(frozen=True)
class TotpParams:
    """SHA1, 6 digits, 30 seconds is what every app supports; the rest is for the curious."""

    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValidationError(f"Unknown algorithm {self.algorithm!r}: use SHA1, SHA256 or SHA512.")
        if self.digits not in (6, 8):
            raise ValidationError("Codes have 6 or 8 digits.")
        if not 15 <= self.period <= 120:
            raise ValidationError("The period is 15 to 120 seconds.")

    @property
    def is_default(self) -> bool:
        return self == TotpParams()

    def as_dict(self) -> dict:
        return {"algorithm": self.algorithm, "digits": self.digits, "period": self.period}


def new_secret() -> str:
    import pyotp

    return pyotp.random_base32(SECRET_CHARS)


def step_at(when: datetime, params: TotpParams) -> int:
    return int(when.timestamp()) // params.period


def code_for_step(secret: str, step: int, params: TotpParams) -> str:
    import pyotp

    return pyotp.HOTP(secret, digits=params.digits, digest=ALGORITHMS[params.algorithm]).at(step)


def code_at(secret: str, when: datetime, params: TotpParams) -> str:
    return code_for_step(secret, step_at(when, params), params)


def matching_step(secret: str, code: str, steps, params: TotpParams) -> int | None:
    """The first of ``steps`` whose code equals ``code`` (compared in constant time)."""
    for step in steps:
        if hmac.compare_digest(code_for_step(secret, step, params), code):
            return step
    return None


def key_uri(secret: str, account_name: str, issuer: str, params: TotpParams) -> str:
    """Google's Key URI format; parameters equal to the defaults are left out (a smaller QR)."""
    import pyotp

    return pyotp.TOTP(
        secret, digits=params.digits, digest=ALGORITHMS[params.algorithm], interval=params.period,
    ).provisioning_uri(name=account_name, issuer_name=issuer)


def grouped(secret: str) -> str:
    """``ABCD EFGH ...``: easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def clean_code(text: str, digits: int, spec: WaySpec) -> str:
    """Digits only; spaces and dashes (as pasted from apps) are ignored. Messages name ``spec``'s
    way (the authenticator app, the email code)."""
    code = re.sub(r"[\s\-]", "", text)
    if not code:
        raise ValidationError(spec.ask_for(digits), field="code")
    if not code.isascii() or not code.isdigit():
        raise ValidationError(spec.malformed("has digits only"), field="code")
    if len(code) != digits:
        raise ValidationError(spec.malformed(f"has {digits} digits; you typed {len(code)}"), field="code")
    return code
