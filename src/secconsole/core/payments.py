"""Billing methods: cards checked with the Luhn rule; only brand and last four digits are kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from secconsole.core import audit
from secconsole.core.clock import Clock
from secconsole.errors import NotFoundError, ValidationError
from secconsole.core.lookup import require_account
from secconsole.store.engine import Database
from secconsole.store.models import BillingMethod

HOLDER_MAX = 100
#: A card further in the future than this is a typo.
EXPIRY_MAX_YEARS = 20


@dataclass(frozen=True)
class Card:
    """What is kept of a card (and shown): never the full number."""

    id: int
    holder_name: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int

    @property
    def label(self) -> str:
        return f"{self.brand} ending in {self.last4}, expires {self.exp_month:02d}/{self.exp_year}"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def card_brand(digits: str) -> str:
    two, four = int(digits[:2]), int(digits[:4])
    if digits.startswith("4"):
        return "Visa"
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "Mastercard"
    if two in (34, 37):
        return "American Express"
    if digits.startswith(("6011", "65")) or 644 <= int(digits[:3]) <= 649:
        return "Discover"
    return "Card"


def parse_card_number(number: str) -> str:
    cleaned = re.sub(r"[\s-]", "", number)
    if not cleaned:
        raise ValidationError("Enter the card number.", field="number")
    if not cleaned.isascii() or not cleaned.isdigit():
        raise ValidationError("A card number has digits only (spaces and dashes are fine).", field="number")
    if not 12 <= len(cleaned) <= 19:
        raise ValidationError(f"A card number has 12 to 19 digits; this one has {len(cleaned)}.", field="number")
    if not luhn_ok(cleaned):
        raise ValidationError("That card number is not valid: check it for a typo.", field="number")
    return cleaned


EXPIRY_EXAMPLE = "e.g. 04/29 or 0429"


def parse_expiry(text: str, now: datetime) -> tuple[int, int]:
    """A card's expiry as people type it: ``04/29``, ``4/29``, ``04 29``, ``04-29``, ``0429``,
    ``04/2029`` or ``042029``. Returns (month, four-digit year)."""
    cleaned = text.strip()
    if not cleaned:
        raise ValidationError(f"Enter the expiry date as MM/YY, {EXPIRY_EXAMPLE}.", field="expiry")
    if re.search(r"[^0-9/\s.\-]", cleaned):
        raise ValidationError(f"An expiry date has digits only, as MM/YY ({EXPIRY_EXAMPLE}).", field="expiry")
    parts = [p for p in re.split(r"[/\s.\-]+", cleaned) if p]
    if len(parts) == 1:
        if len(parts[0]) not in (4, 6):
            raise ValidationError(f"Without a slash the expiry date has 4 digits, MMYY ({EXPIRY_EXAMPLE}); "
                                  f"you typed {len(parts[0])}.", field="expiry")
        parts = [parts[0][:2], parts[0][2:]]
    if len(parts) != 2:
        raise ValidationError(f"Enter the month and the year only, as MM/YY ({EXPIRY_EXAMPLE}).", field="expiry")
    if len(parts[0]) > 2:
        raise ValidationError(f"The month has 1 or 2 digits ({EXPIRY_EXAMPLE}).", field="expiry")
    if len(parts[1]) not in (2, 4):
        raise ValidationError("The year has 2 or 4 digits (e.g. 04/29 or 04/2029).", field="expiry")
    month, year = int(parts[0]), int(parts[1])
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise ValidationError(f"There is no month {month}: use 01 to 12.", field="expiry")
    if (year, month) < (now.year, now.month):
        raise ValidationError(f"This card expired at the end of {month:02d}/{year}.", field="expiry")
    if year > now.year + EXPIRY_MAX_YEARS:
        raise ValidationError(f"An expiry year of {year} looks like a typo.", field="expiry")
    return month, year


def validate_holder(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise ValidationError("Enter the name on the card.", field="holder")
    if len(text) > HOLDER_MAX:
        raise ValidationError(f"The name on the card has at most {HOLDER_MAX} characters.", field="holder")
    if any(not c.isprintable() for c in text):
        raise ValidationError("The name may not contain control characters.", field="holder")
    return text


class Payments:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def cards(self, account_id: int) -> list[Card]:
        with self.db.transaction(readonly=True) as session:
            rows = session.exec(
                select(BillingMethod).where(BillingMethod.account_id == account_id).order_by(BillingMethod.id)
            ).all()
            return [_card(r) for r in rows]

    def add_card(self, account_id: int, holder: str, number: str, expiry: str, *, source: str) -> Card:
        now = self.clock.now()
        name = validate_holder(holder)
        digits = parse_card_number(number)
        month, year = parse_expiry(expiry, now)
        brand, last4 = card_brand(digits), digits[-4:]
        del digits  # the full number goes no further than this line
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            duplicate = session.exec(
                select(BillingMethod).where(
                    BillingMethod.account_id == account_id, BillingMethod.brand == brand,
                    BillingMethod.last4 == last4, BillingMethod.exp_month == month, BillingMethod.exp_year == year,
                )
            ).first()
            if duplicate is not None:
                raise ValidationError(f"{brand} ending in {last4} is already on file.", field="number")
            row = BillingMethod(
                account_id=account_id, holder_name=name, brand=brand, last4=last4,
                exp_month=month, exp_year=year, created_at=now,
            )
            session.add(row)
            session.flush()
            audit.record(
                session, at=now, kind=audit.BILLING_ADDED, source=source,
                account_id=account_id, username=account.username, brand=brand, last4=last4,
            )
            return _card(row)

    def remove_card(self, account_id: int, card_id: int, *, source: str) -> None:
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            row = session.get(BillingMethod, card_id)
            if row is None or row.account_id != account_id:
                raise NotFoundError("That card is no longer on file.")
            session.delete(row)
            audit.record(
                session, at=self.clock.now(), kind=audit.BILLING_REMOVED, source=source,
                account_id=account_id, username=account.username, brand=row.brand, last4=row.last4,
            )


def _card(row: BillingMethod) -> Card:
    return Card(row.id, row.holder_name, row.brand, row.last4, row.exp_month, row.exp_year)
