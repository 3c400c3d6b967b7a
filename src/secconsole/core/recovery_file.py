"""Saving new recovery codes to a file on this computer (a local console only: over SSH or the web
the file would land on the server). Made 0600 and never over an existing file."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from secconsole.errors import ValidationError


def default_path(username: str, home: Path | None = None) -> Path:
    """``~/secconsole-recovery-codes-NAME.txt`` (a name's odd characters become ``_``)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", username) or "account"
    return (home or Path.home()) / f"secconsole-recovery-codes-{safe}.txt"


def codes_text(codes: list[str], *, username: str, issuer: str, made: datetime) -> str:
    lines = [
        f"{issuer} recovery codes for {username}",
        f"Made {made:%Y-%m-%d %H:%M %Z}".rstrip() + ". Each code signs you in once; making new codes stops these.",
        "",
        *codes,
        "",
    ]
    return "\n".join(lines)


def save_codes(path_text: str, codes: list[str], *, username: str, issuer: str, made: datetime) -> Path:
    """Write the codes to a new file (mode 0600). Raises ``ValidationError`` saying what to do
    when the place is not right; nothing is written then."""
    if not path_text.strip():
        raise ValidationError("Type where to save the codes (a file name).", field="save-path")
    path = Path(path_text.strip()).expanduser()
    if path.is_dir():
        raise ValidationError(f"{path} is a folder: add a file name to it.", field="save-path")
    folder = path.parent
    if not folder.is_dir():
        raise ValidationError(f"There is no folder {folder}: make it first or choose another.", field="save-path")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise ValidationError(f"{path} already exists: choose another name (it was left as it is).",
                              field="save-path") from None
    except PermissionError:
        raise ValidationError(f"You may not make files in {folder}: choose another folder.", field="save-path") from None
    except OSError as exc:
        raise ValidationError(f"{path} could not be made: {exc.strerror}.", field="save-path") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(codes_text(codes, username=username, issuer=issuer, made=made))
    return path
