"""Phone numbers for text messages: the country picker's search, formatting as typed, and the check
that runs before any code is sent (a real number of that country, of a line type that can take a
text message and is not VoIP, in a country the operator allows).

Only phonenumbers' base module is used: its geocoder costs ~100 MiB. Country names come from
``data/countries.tsv`` (the regions phonenumbers supports, named from its locale data)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol

from secconsole.errors import ValidationError


class LineType(str, enum.Enum):
    """What kind of line a number is, in the words carrier lookup services answer with."""

    MOBILE = "mobile"
    LANDLINE = "landline"
    #: Metadata says "fixed line or mobile" (every US number): both take a text message.
    LANDLINE_OR_MOBILE = "landlineOrMobile"
    FIXED_VOIP = "fixedVoip"
    NON_FIXED_VOIP = "nonFixedVoip"
    TOLL_FREE = "tollFree"
    PREMIUM = "premium"
    SHARED_COST = "sharedCost"
    UAN = "uan"
    PAGER = "pager"
    VOICEMAIL = "voicemail"
    PERSONAL = "personal"
    UNKNOWN = "unknown"


ACCEPTED = frozenset({LineType.MOBILE, LineType.LANDLINE, LineType.LANDLINE_OR_MOBILE})

_USE_INSTEAD = "Use your mobile number (or a landline), or choose the authenticator app instead."
#: Why each refused line type cannot be used, said before any code is sent.
REFUSALS = {
    LineType.FIXED_VOIP: "is an internet (VoIP) number. Codes sent to VoIP numbers often never arrive, and "
                         "such numbers are easy to take over.",
    LineType.NON_FIXED_VOIP: "is an internet (VoIP) number, like Google Voice. Codes sent to VoIP numbers often "
                             "never arrive, and such numbers are easy to take over.",
    LineType.TOLL_FREE: "is a toll-free number: those cannot receive text messages.",
    LineType.PREMIUM: "is a premium-rate number: we never send codes to those.",
    LineType.SHARED_COST: "is a shared-cost number: those cannot receive text messages.",
    LineType.UAN: "is a company's universal access number, not a personal line.",
    LineType.PAGER: "is a pager number: those cannot receive text messages.",
    LineType.VOICEMAIL: "is a voicemail access number.",
    LineType.PERSONAL: "is a personal forwarding number: codes could reach another phone.",
    LineType.UNKNOWN: "is of a kind we cannot recognise, so we cannot tell that it takes text messages.",
}


@dataclass(frozen=True)
class Country:
    iso: str
    calling_code: int
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.iso}) +{self.calling_code}"


@dataclass(frozen=True)
class CheckedNumber:
    """A number that passed every check: what is stored (sealed) and shown."""

    e164: str
    region: str
    line_type: LineType
    #: ``+49 1512 3456789``: for the person entering it.
    international: str

    @property
    def masked(self) -> str:
        return mask(self.e164)


@cache
def countries() -> tuple[Country, ...]:
    text = resources.files("secconsole.core.data").joinpath("countries.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(sorted((Country(iso, int(code), name) for iso, code, name in rows), key=lambda c: c.name))


def country(iso: str) -> Country:
    iso = iso.strip().upper()
    for c in countries():
        if c.iso == iso:
            return c
    raise ValidationError(f"No country has the code {iso!r}.", field="country")


def search(query: str, limit: int = 0) -> list[Country]:
    """The picker's search: by ISO code ("DE"), calling code ("+49", "49") or name ("ger",
    "united"). Exact codes first, then names that start with the query, then names containing it."""
    q = query.strip().casefold()
    if not q:
        return list(countries())[:limit or None]
    digits = q.lstrip("+")
    ranked: list[tuple[int, Country]] = []
    for c in countries():
        name = c.name.casefold()
        if c.iso.casefold() == q:
            rank = 0
        elif digits.isdigit() and str(c.calling_code) == digits:
            rank = 1 if c.iso == _main_region(c.calling_code) else 2
        elif name.startswith(q):
            rank = 3
        elif any(word.startswith(q) for word in name.split()):
            rank = 4
        elif q in name:
            rank = 5
        elif digits.isdigit() and q.startswith("+") and str(c.calling_code).startswith(digits):
            rank = 6
        else:
            continue
        ranked.append((rank, c))
    ranked.sort(key=lambda rc: (rc[0], rc[1].name))
    found = [c for _, c in ranked]
    return found[:limit] if limit else found


def _main_region(calling_code: int) -> str:
    """The country a shared calling code belongs to first (+1: the US, +44: the UK)."""
    import phonenumbers

    return phonenumbers.region_code_for_country_code(calling_code)


_ALLOWED_CHARS = re.compile(r"^\+?[\d\s().\-/]*$")


def as_you_type(text: str, region: str) -> str:
    """The national number formatted as it is typed (``01512 3456789``), for the number field."""
    import phonenumbers

    formatter = phonenumbers.AsYouTypeFormatter(region.upper())
    shown = ""
    for ch in text:
        if ch.isdigit() or (ch == "+" and not shown):
            shown = formatter.input_digit(ch)
    return shown or text


def country_of_pasted(text: str) -> str | None:
    """A full ``+49 ...`` number picks its country (the picker follows a paste)."""
    import phonenumbers

    if not text.strip().startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed)


def mask(e164: str) -> str:
    """``+49 ••• ••• 4242``: the calling code and the last four digits, never more (audit trail,
    outbox, screens)."""
    import phonenumbers

    try:
        code = str(phonenumbers.parse(e164, None).country_code)
    except phonenumbers.NumberParseException:
        code = ""
    return f"+{code} ••• ••• {e164[-4:]}" if code else f"••• ••• {e164[-4:]}"


def metadata_line_type(number) -> LineType:
    """The line type phonenumbers' metadata gives (VoIP only where a country has VoIP ranges)."""
    import phonenumbers
    from phonenumbers import PhoneNumberType as T

    return {
        T.MOBILE: LineType.MOBILE, T.FIXED_LINE: LineType.LANDLINE,
        T.FIXED_LINE_OR_MOBILE: LineType.LANDLINE_OR_MOBILE, T.VOIP: LineType.FIXED_VOIP,
        T.TOLL_FREE: LineType.TOLL_FREE, T.PREMIUM_RATE: LineType.PREMIUM, T.SHARED_COST: LineType.SHARED_COST,
        T.UAN: LineType.UAN, T.PAGER: LineType.PAGER, T.VOICEMAIL: LineType.VOICEMAIL,
        T.PERSONAL_NUMBER: LineType.PERSONAL,
    }.get(phonenumbers.number_type(number), LineType.UNKNOWN)


class LineTypeLookup(Protocol):
    """A second opinion on a number metadata accepted (metadata cannot tell VoIP in the US, DE,
    IN, ...): an HTTP lookup a deployment configures (``core.line_lookup``)."""

    def line_type(self, e164: str) -> LineType: ...


@dataclass(frozen=True)
class PhoneRules:
    """What numbers text messages may go to."""

    #: ISO codes of the countries numbers may be in (the operator's geo permissions); empty: all.
    allowed_countries: frozenset[str] = frozenset()
    #: Runs after the metadata accepted a number; None: metadata only.
    lookup: LineTypeLookup | None = None
    #: Demo mode only: fictional numbers (E.164) with their line types. The official fictional
    #: ranges are invalid to phonenumbers, so these skip the validity check; never sent anywhere real.
    fixtures: dict[str, LineType] | None = None

    def check(self, text: str, region: str) -> CheckedNumber:
        """Parse and check a number typed for ``region`` (a leading ``+`` picks its own country).
        Raises ``ValidationError`` naming what is wrong; nothing is sent before this passes."""
        import phonenumbers

        raw = text.strip()
        if not raw:
            raise ValidationError("Enter your phone number.", field="number")
        if not _ALLOWED_CHARS.match(raw):
            raise ValidationError("A phone number has only digits, spaces and dashes (and a + in front).",
                                  field="number")
        if not region and not raw.startswith("+"):
            raise ValidationError("Choose the country of the number first.", field="country")
        home = country(region) if region else None
        try:
            parsed = phonenumbers.parse(raw, home.iso if home else None)
        except phonenumbers.NumberParseException as exc:
            raise ValidationError(_parse_reason(exc, raw), field="number") from None
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        found = phonenumbers.region_code_for_number(parsed) or (home.iso if home else "")
        fixture = (self.fixtures or {}).get(e164)
        if fixture is None:
            _check_valid(parsed, raw, home)
            line = metadata_line_type(parsed)
        else:
            line, found = fixture, found or (home.iso if home else "")
        self._check_country(found)
        shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if line in ACCEPTED and fixture is None and self.lookup is not None:
            line = self.lookup.line_type(e164)
        if line not in ACCEPTED:
            raise ValidationError(f"{shown} {REFUSALS[line]} {_USE_INSTEAD}", field="number")
        return CheckedNumber(e164, found, line, shown)

    def _check_country(self, iso: str) -> None:
        if self.allowed_countries and iso not in self.allowed_countries:
            name = country(iso).name if iso else "that country"
            allowed = ", ".join(sorted(country(c).name for c in self.allowed_countries))
            raise ValidationError(f"We cannot send text messages to numbers in {name}. Numbers in {allowed} "
                                  "can be used, or choose the authenticator app.", field="number")


def _parse_reason(exc, raw: str) -> str:
    import phonenumbers

    kind = phonenumbers.NumberParseException
    return {
        kind.INVALID_COUNTRY_CODE: f"{raw} does not start with a country calling code we know (like +49).",
        kind.NOT_A_NUMBER: "That is not a phone number.",
        kind.TOO_SHORT_AFTER_IDD: "That number is too short.",
        kind.TOO_SHORT_NSN: "That number is too short.",
        kind.TOO_LONG: "That number is too long.",
    }.get(exc.error_type, "That is not a phone number.")


def _check_valid(parsed, raw: str, home: Country | None) -> None:
    import phonenumbers
    from phonenumbers import ValidationResult as V

    reason = phonenumbers.is_possible_number_with_reason(parsed)
    where = home.name if home and not raw.startswith("+") else country_or_code(parsed)
    if reason == V.TOO_SHORT:
        raise ValidationError(f"That number is too short for {where}.", field="number")
    if reason == V.TOO_LONG:
        raise ValidationError(f"That number is too long for {where}.", field="number")
    if reason == V.INVALID_COUNTRY_CODE:
        raise ValidationError(f"{raw} does not start with a country calling code we know.", field="number")
    if reason == V.INVALID_LENGTH:
        raise ValidationError(f"That number has the wrong number of digits for {where}.", field="number")
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(f"That is not a valid phone number in {where}: check the digits (and the country).",
                              field="number")


def country_or_code(parsed) -> str:
    import phonenumbers

    iso = phonenumbers.region_code_for_number(parsed)
    if iso and iso != "001":
        try:
            return country(iso).name
        except ValidationError:
            pass
    return f"+{parsed.country_code}"
