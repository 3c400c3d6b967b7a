"""People's text made safe to put on a terminal: the one sanitiser the TUI and the CLI share.

A stored name, an audit source or a configured issuer may hold anything (rows written by another
host or an older version, an operator's setting). Written raw, ESC starts escape sequences (OSC 52
sets the clipboard, OSC 0 the window title, CSI clears the screen), NUL and C1 controls confuse
terminals, and bidi overrides or zero-width characters make text read as something it is not.
``printable`` shows each such character as a visible escape (``\\x1b``, ``\\u202e``) instead."""

from __future__ import annotations

import unicodedata

#: Control (C0, DEL, C1), format (bidi overrides and isolates, zero-width), surrogate and
#: line/paragraph-separator characters: never written to a terminal as they are.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def printable(text: object, *, newlines: bool = False) -> str:
    """``text`` with every hidden character shown as an escape; ``newlines`` keeps ``\\n``."""
    s = str(text)
    if s.isprintable():  # the common case, checked in C
        return s
    return "".join(c if (newlines and c == "\n") or unicodedata.category(c) not in _HIDDEN else _escape(c)
                   for c in s)


def _escape(c: str) -> str:
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


#: What a text field drops from what is typed, pasted or pre-filled (say an SSH user name):
#: characters that drive the terminal or reorder text. Zero-width joiners stay (some scripts
#: type them), and the validators refuse them where a name must be plain.
_DROPPED = frozenset({"Cc", "Cs", "Zl", "Zp"})
_BIDI = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def typeable(text: str) -> str:
    """``text`` without control, surrogate, line-separator and bidi-override characters."""
    if text.isprintable():
        return text
    return "".join(c for c in text if c not in _BIDI and unicodedata.category(c) not in _DROPPED)
