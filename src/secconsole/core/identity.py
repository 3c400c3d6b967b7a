"""Identity verification: the legal name and date of birth a person types are checked against the
record on file. Only a keyed hash of that record is stored; demo mode accepts any plausible one."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date

from secconsole.core import audit, throttle
from secconsole.core.clock import Clock
from secconsole.core.crypto import SecretBox
from secconsole.errors import ValidationError
from secconsole.core.lookup import require_account
from secconsole.core.policy import PolicyProfile
from secconsole.store.engine import Database

MIN_AGE = 18
NAME_MAX = 100
_PURPOSE = b"identity record v1"


def validate_legal_name(name: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", name).split())
    if not text:
        raise ValidationError("Enter your legal name.", field="legal_name")
    if len(text) > NAME_MAX:
        raise ValidationError(f"A legal name has at most {NAME_MAX} characters.", field="legal_name")
    if not any(c.isalpha() for c in text) or any(not (c.isalpha() or c in " -'.,") for c in text):
        raise ValidationError("A legal name has letters, spaces and - ' . , only.", field="legal_name")
    return text


def parse_birth_date(text: str, today: date) -> date:
    try:
        born = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError("Enter the date of birth as YYYY-MM-DD, e.g. 1990-04-25.", field="birth_date") from None
    if born > today:
        raise ValidationError("A date of birth cannot be in the future.", field="birth_date")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < MIN_AGE:
        raise ValidationError(f"You must be at least {MIN_AGE} to verify your identity.", field="birth_date")
    if age > 130:
        raise ValidationError("That date of birth looks like a typo.", field="birth_date")
    return born


class Identity:
    def __init__(self, db: Database, clock: Clock, box: SecretBox, profile: PolicyProfile, lock_notice=None) -> None:
        self.db = db
        self.clock = clock
        self.box = box
        self.profile = profile
        #: ``Notices.lock``: tells the owner when wrong details lock identity verification.
        self.lock_notice = lock_notice

    def _digest(self, legal_name: str, born: date) -> str:
        return self.box.digest(f"{legal_name.casefold()}\x00{born.isoformat()}".encode(), _PURPOSE)

    def record(self, account_id: int, legal_name: str, birth_date: str, *, source: str) -> None:
        """Support puts the identity on file (from the documents they checked)."""
        now = self.clock.now()
        digest = self._digest(validate_legal_name(legal_name), parse_birth_date(birth_date, now.date()))
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            account.identity_record = digest
            session.add(account)
            audit.record(
                session, at=now, kind=audit.IDENTITY_RECORDED, source=source,
                account_id=account_id, username=account.username,
            )

    def verify(self, account_id: int, legal_name: str, birth_date: str, *, source: str, demo: bool = False) -> bool:
        """Mark the identity verified (True), or raise saying why not. In demo mode the details
        typed become the record, so any plausible ones succeed. Counted before they are checked."""
        now = self.clock.now()
        digest = self._digest(validate_legal_name(legal_name), parse_birth_date(birth_date, now.date()))
        counter = throttle.Counter(throttle.way_key("identity", account_id), self.profile.lockout)
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            if account.identity_record is None and not demo:
                raise ValidationError(
                    "There is no identity record on file to check your details against. "
                    "Contact support to verify your identity."
                )
            attempt = throttle.claim_attempt(session, now, counter)
            on_file = account.identity_record or digest  # demo: the details typed become the record
            name = account.username
        if not attempt.allowed:
            raise ValidationError(_too_many(attempt.gate))
        matched = secrets.compare_digest(on_file, digest)
        with self.db.transaction() as session:
            if not matched:
                gate, _ = throttle.note_failure(session, attempt, now, account_id=account_id, username=name,
                                                source=source, kind=audit.IDENTITY_FAILED, what="identity checks",
                                                notice=self.lock_notice)
            else:
                throttle.refund(session, attempt)
                account = require_account(session, account_id)
                account.identity_record = account.identity_record or digest
                account.identity_verified = True
                account.identity_verified_at = now
                session.add(account)
                audit.record(
                    session, at=now, kind=audit.IDENTITY_VERIFIED, source=source,
                    account_id=account_id, username=account.username, demo=demo,
                )
        if not matched:  # raised after the commit, so the failure stays counted
            more = f" {_too_many(gate)}" if not gate.open else ""
            raise ValidationError(f"Those details do not match our records.{more}", field="legal_name")
        return True


def _too_many(gate) -> str:
    from secconsole.core.wording import duration

    wait = "later" if gate.locked else f"in {duration(gate.retry_after)}"
    return f"Too many attempts: try again {wait}, or contact support."
