"""The phone's authenticator app: time-based (TOTP) entries, their codes, a clock offset to play a
phone whose time is wrong, and a passphrase-encrypted export of the entries for a new phone (its
file format and cryptography: ``phone.export_file``).

Plain Python: no Textual and no database stack. The export holds the authenticator's entries only;
the device's push keys stay in the profile (a new phone pairs for prompts again)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from secconsole.core.text import printable
from secconsole.core.wording import plural

ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
DIGITS = (6, 7, 8)
PERIODS = range(10, 301)
#: 16 base32 characters: the shortest key sites hand out (pyotp alone asks for 112 bits).
MIN_SECRET_BITS = 80
MAX_NAME = 100
_STAND_IN = "A" * 32
#: A phone playing a wrong clock: up to a day either way.
MAX_OFFSET = 86_400
OFFSET_STEP = 30

VERSION = 1  # of the profile's authenticator dict


class AuthenticatorError(ValueError):
    """A problem the person can act on; ``str(error)`` is the message to show."""


class PhoneTotp:
    """pyotp's TOTP accepting 80-bit keys, as phone apps do (many sites still hand them out)."""

    _cls = None

    @classmethod
    def make(cls, entry: Entry):
        if cls._cls is None:
            import pyotp

            cls._cls = type("PhoneTOTP", (pyotp.TOTP,), {"min_secret_length_bits": MIN_SECRET_BITS})
        return cls._cls(entry.secret, digits=entry.digits, digest=ALGORITHMS[entry.algorithm],
                        interval=entry.period)


@dataclass(frozen=True)
class Entry:
    id: int
    issuer: str
    account: str
    secret: str  # base32, upper case, no padding
    digits: int = 6
    period: int = 30
    algorithm: str = "SHA1"

    @property
    def label(self) -> str:
        """``ACME (bob)``, or whichever of the two there is."""
        if self.issuer and self.account:
            return f"{self.issuer} ({self.account})"
        return self.issuer or self.account

    def same_key(self, other: Entry) -> bool:
        """The same codes: a duplicate, whatever it is called."""
        return (self.secret, self.digits, self.period, self.algorithm) == (
            other.secret, other.digits, other.period, other.algorithm)

    def code_at(self, timestamp: float) -> str:
        return PhoneTotp.make(self).at(int(timestamp))

    def fields(self) -> dict:
        """The entry without its id: what an export carries."""
        d = asdict(self)
        del d["id"]
        return d


@dataclass(frozen=True)
class Code:
    entry: Entry
    code: str
    seconds_left: int

    @property
    def grouped(self) -> str:
        """``123 456`` (``1234 5678`` for 8 digits, ``123 4567`` for 7)."""
        half = len(self.code) // 2
        return f"{self.code[:half]} {self.code[half:]}"


@dataclass(frozen=True)
class Merged:
    added: int
    skipped: int

    @property
    def message(self) -> str:
        text = f"Imported {plural(self.added, 'account')}"
        if self.skipped:
            text += f"; {plural(self.skipped, 'account was', 'accounts were')} already here and skipped"
        return text + "."


class Authenticator:
    def __init__(self, entries: list[Entry] | None = None, clock_offset: int = 0) -> None:
        self.entries: list[Entry] = list(entries or [])
        self._offset = 0
        self.clock_offset = clock_offset

    # -- the clock offset -----------------------------------------------------------------

    @property
    def clock_offset(self) -> int:
        """Seconds this phone's clock is ahead (negative: behind) of the real time."""
        return self._offset

    @clock_offset.setter
    def clock_offset(self, seconds: int) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise AuthenticatorError("The clock offset is a whole number of seconds.")
        if abs(seconds) > MAX_OFFSET:
            raise AuthenticatorError(f"The clock offset is at most {MAX_OFFSET} seconds (a day) either way.")
        self._offset = seconds

    def shift(self, seconds: int) -> int:
        """Move the clock by ``seconds`` (kept within a day either way); the new offset."""
        self.clock_offset = max(-MAX_OFFSET, min(MAX_OFFSET, self._offset + seconds))
        return self._offset

    def phone_time(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self._offset)

    # -- codes ----------------------------------------------------------------------------

    def codes(self, now: datetime) -> list[Code]:
        """Each entry's code at ``now`` + the offset, and the whole seconds left in its period."""
        t = self.phone_time(now).timestamp()
        return [Code(e, e.code_at(t), math.ceil((math.floor(t / e.period) + 1) * e.period - t))
                for e in self.entries]

    # -- adding and removing --------------------------------------------------------------

    def add_uri(self, uri: str) -> Entry:
        """Add the account an ``otpauth://totp/...`` link describes (as a QR code holds it)."""
        return self._add(self._entry(*parse_uri(uri)))

    def add_key(self, issuer: str, account: str, key_text: str) -> Entry:
        """Add an account from a key typed by hand: SHA1, 6 digits, 30 seconds (what sites show
        a key for). Spaces, dashes, padding and lower case are fine."""
        issuer, account = _name(issuer, "issuer"), _name(account, "account name")
        if not issuer and not account:
            raise AuthenticatorError("Name the account: the site (issuer), the account name, or both.")
        return self._add(self._entry(issuer, account, clean_secret(key_text)))

    def remove(self, entry_id: int) -> Entry:
        for i, entry in enumerate(self.entries):
            if entry.id == entry_id:
                return self.entries.pop(i)
        raise AuthenticatorError("That account is not in the authenticator (already removed?).")

    def get(self, entry_id: int) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def _entry(self, issuer: str, account: str, secret: str, digits: int = 6, period: int = 30,
               algorithm: str = "SHA1") -> Entry:
        return Entry(max((e.id for e in self.entries), default=0) + 1, issuer, account, secret, digits,
                     period, algorithm)

    def duplicate_of(self, entry: Entry) -> Entry | None:
        return next((e for e in self.entries if e.same_key(entry)), None)

    def _add(self, entry: Entry) -> Entry:
        if (twin := self.duplicate_of(entry)) is not None:
            raise AuthenticatorError(f"This key is already here, as {printable(twin.label)}.")
        self.entries.append(entry)
        return entry

    # -- the profile ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"version": VERSION, "clock_offset": self._offset, "entries": [asdict(e) for e in self.entries]}

    @classmethod
    def from_dict(cls, d: dict | None) -> Authenticator:
        """What ``to_dict`` gave; ``None`` or ``{}`` is an empty authenticator."""
        if not d:
            return cls()
        try:
            if d.get("version", VERSION) != VERSION:
                raise AuthenticatorError(f"The profile's authenticator is format {d.get('version')!r}; "
                                         f"this version reads format {VERSION}.")
            entries = [_checked(Entry(**e)) for e in d.get("entries", [])]
            if len({e.id for e in entries}) != len(entries):
                raise AuthenticatorError("Two of the profile's authenticator entries have the same id.")
            return cls(entries, d.get("clock_offset", 0))
        except (TypeError, AttributeError) as e:
            raise AuthenticatorError(f"The profile's authenticator entries cannot be read ({e}).") from None

    # -- a new phone ----------------------------------------------------------------------

    def export(self, passphrase: str, *, kdf: int | None = None) -> bytes:
        """The entries (not the clock offset, not any push key), encrypted with ``passphrase``."""
        from secconsole.phone import export_file

        export_file.check_passphrase(passphrase)
        if not self.entries:
            raise AuthenticatorError("There is nothing to export: add an account first.")
        return export_file.seal([e.fields() for e in self.entries], passphrase, kdf=kdf)

    @classmethod
    def import_(cls, data: bytes, passphrase: str) -> Authenticator:
        """A new authenticator holding an export's entries."""
        auth = cls()
        auth.merge(data, passphrase)
        return auth

    def merge(self, data: bytes, passphrase: str) -> Merged:
        """Add an export's entries to these, skipping keys already here. All or nothing."""
        from secconsole.phone.export_file import NOT_AN_EXPORT, open_sealed

        try:
            entries = [_checked(Entry(id=0, **fields)).fields() for fields in open_sealed(data, passphrase)]
        except (TypeError, KeyError, AttributeError):
            raise AuthenticatorError(NOT_AN_EXPORT) from None
        added = 0
        for fields in entries:
            entry = self._entry(**fields)
            if self.duplicate_of(entry) is None:
                self.entries.append(entry)
                added += 1
        return Merged(added, len(entries) - added)


# -- parsing ------------------------------------------------------------------------------


def parse_uri(uri: str) -> tuple[str, str, str, int, int, str]:
    """issuer, account, secret, digits, period, algorithm from an ``otpauth://totp/`` link, each
    problem named."""
    uri = uri.strip()
    parts = urlsplit(uri)
    if parts.scheme.lower() != "otpauth":
        shown = printable(uri[:30]) + ("…" if len(uri) > 30 else "")
        raise AuthenticatorError(f"That is not an otpauth:// link (it starts {shown!r}). Paste the link "
                                 "the site gives, or add the key by hand.")
    kind = parts.netloc.lower()
    if kind == "hotp":
        raise AuthenticatorError("This is a counter-based (HOTP) account: this authenticator makes "
                                 "time-based (TOTP) codes only.")
    if kind != "totp":
        raise AuthenticatorError(f"Unknown kind of account {printable(parts.netloc)!r}: only otpauth://totp/ "
                                 "links can be added.")
    query = parse_qs(parts.query, keep_blank_values=True)
    algorithm = query.get("algorithm", ["SHA1"])[0].upper() or "SHA1"
    if algorithm not in ALGORITHMS:
        raise AuthenticatorError(f"Unsupported algorithm {printable(algorithm)!r}: SHA1, SHA256 or SHA512 only.")
    if query.get("encoder", [""])[0]:
        raise AuthenticatorError("Codes with a special encoder (Steam's) are not supported: only numeric codes.")
    secret = clean_secret(query.get("secret", [""])[0])
    digits = _number(query, "digits", 6, DIGITS, "Codes have 6, 7 or 8 digits")
    period = _number(query, "period", 30, PERIODS, "The period is 10 to 300 seconds")
    import pyotp

    # pyotp reads the label (issuer:account, %3A inside either), checks the issuer parameter
    # against it and refuses repeated parameters. It also asks for 112-bit keys where phones take
    # 80: it is handed a stand-in key (and the algorithm in capitals), both already checked above.
    checked = {"secret": _STAND_IN, "algorithm": algorithm}
    pairs = [(k, checked.get(k, v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    try:
        otp = pyotp.parse_uri(parts._replace(scheme="otpauth", netloc="totp", query=urlencode(pairs)).geturl())
    except (ValueError, binascii.Error) as e:
        raise AuthenticatorError(f"This otpauth:// link cannot be read: {e}.") from None
    issuer, account = _name(otp.issuer or "", "issuer"), _name(otp.name or "", "account name")
    return issuer, account, secret, digits, period, algorithm


def clean_secret(text: str) -> str:
    """A base32 key as typed or pasted: spaces, dashes, ``=`` padding and case do not matter."""
    key = re.sub(r"[\s\-=]", "", text).upper()
    if not key:
        raise AuthenticatorError("Type the key the site shows (letters A to Z and digits 2 to 7).")
    bad = sorted({c for c in key if c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"})
    if bad:
        shown = " ".join(printable(c) for c in bad[:5])
        raise AuthenticatorError(f"A key has only letters A to Z and digits 2 to 7; this one has {shown}.")
    try:
        raw = base64.b32decode(key + "=" * (-len(key) % 8))
    except binascii.Error:
        raise AuthenticatorError(f"The key's length is wrong ({plural(len(key), 'character')}): check it for a "
                                 "missing or extra character.") from None
    if len(raw) * 8 < MIN_SECRET_BITS:
        raise AuthenticatorError(f"The key is too short ({plural(len(key), 'character')}): a key has at least "
                                 f"{MIN_SECRET_BITS // 5} characters.")
    return key


def _number(query: dict, name: str, default: int, allowed, rule: str) -> int:
    text = query.get(name, [""])[0].strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or int(text) not in allowed:
        raise AuthenticatorError(f"{rule}; this link says {name}={printable(text)!r}.")
    return int(text)


def _name(text: str, what: str) -> str:
    text = text.strip()
    if len(text) > MAX_NAME:
        raise AuthenticatorError(f"The {what} is longer than {MAX_NAME} characters.")
    if not text.isprintable():
        raise AuthenticatorError(f"The {what} holds control or invisible characters.")
    return text


def _checked(entry: Entry) -> Entry:
    """An entry read from a file: the same rules as one added by hand."""
    if not isinstance(entry.id, int) or not isinstance(entry.issuer, str) or not isinstance(entry.account, str):
        raise TypeError("an id or a name has the wrong type")
    _name(entry.issuer, "issuer"), _name(entry.account, "account name")
    if clean_secret(entry.secret) != entry.secret:
        raise AuthenticatorError("A key in the file is not written as this authenticator writes keys.")
    if entry.digits not in DIGITS or entry.period not in PERIODS or entry.algorithm not in ALGORITHMS:
        raise AuthenticatorError("An entry has digits, a period or an algorithm this authenticator does not know.")
    return entry
