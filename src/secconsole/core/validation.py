"""Usernames and email addresses: what is accepted, and the message when it is not."""

from __future__ import annotations

import re
import unicodedata

from secconsole.errors import ValidationError

USERNAME_MIN, USERNAME_MAX = 3, 32
_USERNAME_CHARS = re.compile(r"[A-Za-z0-9._-]")


def username_key(username: str) -> str:
    """The case-insensitive identity of a username, as stored in ``account.username_key``."""
    return unicodedata.normalize("NFKC", username).strip().lower()


def validate_username(username: str) -> str:
    """Return the username as it will be stored, or raise with the first thing wrong with it."""
    name = unicodedata.normalize("NFKC", username).strip()
    if not name:
        raise ValidationError("Enter a username.", field="username")
    bad = next((c for c in name if not _USERNAME_CHARS.fullmatch(c)), None)
    if bad is not None:
        shown = repr(bad) if bad.isprintable() else f"U+{ord(bad):04X}"
        raise ValidationError(
            f"Usernames may use letters, digits, '.', '_' and '-' only, not {shown}.", field="username"
        )
    if not name[0].isalnum():
        raise ValidationError("A username must start with a letter or a digit.", field="username")
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        raise ValidationError(
            f"A username has {USERNAME_MIN} to {USERNAME_MAX} characters (this one has {len(name)}).",
            field="username",
        )
    return name


def validate_email(email: str) -> str:
    """Return the normalised address (domain lower-cased), or raise saying what is wrong."""
    from email_validator import EmailNotValidError
    from email_validator import validate_email as _validate

    text = email.strip()
    if not text:
        raise ValidationError("Enter an email address.", field="email")
    try:
        return _validate(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(f"That email address is not valid: {exc}", field="email") from None
