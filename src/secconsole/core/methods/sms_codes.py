"""Text-message codes: issuing one within the anti-pumping caps, recording how its send went, and
claiming it once.

A send is three steps so that no transaction waits on the network: ``reserve`` checks the caps
and writes the code ``pending`` (committed), the caller sends it, ``settle`` records ``sent``,
``failed`` (burns nothing: it no longer counts toward any cap) or ``unknown`` (a timeout: it may
have arrived, so it keeps counting). A crash between them leaves ``pending``, which counts.

Caps (``SmsLimits``) count the sends that may have reached a phone: a cooldown between sends, at
most N sends without a successful check, and hourly caps per number, per account and per source.
Reservations are serialised per account, number and source (PostgreSQL advisory locks taken in
one order; SQLite writers are serialised already), so N processes asking at once stay within them.
Resending never resets a failure count: wrong tries are counted per code and on the way's throttle."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import func, select

from secconsole.core.clock import seconds_until
from secconsole.core.wording import duration, plural
from secconsole.errors import ValidationError
from secconsole.store.models import SmsCode

PENDING, SENT, FAILED, UNKNOWN = "pending", "sent", "failed", "unknown"
#: Sends that may have reached a phone: what the caps count, and what a code is checked against.
MAY_HAVE_ARRIVED = (PENDING, SENT, UNKNOWN)
ENROLL, CHECK = "enroll", "check"


@dataclass(frozen=True)
class SmsLimits:
    code_minutes: int = 10
    tries_per_code: int = 5
    resend_seconds: int = 60
    #: Sends without a successful check in between (an enrollment or a sign-in that passed).
    unchecked_sends: int = 5
    per_number_hour: int = 5
    per_account_hour: int = 10
    per_source_hour: int = 30


class SendRefused(ValidationError):
    """A send the caps do not allow now; ``retry_after`` seconds until one is (0: not by waiting
    a little)."""

    def __init__(self, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def number_index(box, e164: str) -> str:
    """The blind index of a number: a keyed hash, so caps and look-ups never open the number."""
    return box.digest(e164.encode(), b"sms number")


def code_digest(box, account_id: int, code: str) -> str:
    return box.digest(code.encode(), f"sms code:{account_id}".encode())


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _serialise(session, *keys: str) -> None:
    """Hold a transaction-scoped lock per key (PostgreSQL), always in the same order."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id})


def _count(session, *where) -> int:
    return session.exec(select(func.count()).select_from(SmsCode).where(*where)).one()


def resend_wait(session, account_id: int, purpose: str, now: datetime, limits: SmsLimits) -> int:
    """Seconds until the account may be sent another code for ``purpose`` (the countdown). A code
    that was used does not hold the next one back (the hourly caps still count it)."""
    last = session.exec(
        select(SmsCode.created_at).where(SmsCode.account_id == account_id, SmsCode.purpose == purpose,
                                         SmsCode.status.in_(MAY_HAVE_ARRIVED), SmsCode.used_at.is_(None))
        .order_by(SmsCode.created_at.desc())
    ).first()
    if last is None:
        return 0
    return seconds_until(last + timedelta(seconds=limits.resend_seconds), now)


def reserve(session, box, limits: SmsLimits, *, account_id: int, purpose: str, number_hash: str, source: str,
            now: datetime) -> tuple[int, str]:
    """Check the caps and write a fresh code ``pending``. Returns its row id and the code (to send
    after this transaction commits). Raises ``SendRefused`` naming the cap."""
    _serialise(session, f"sms account:{account_id}", f"sms number:{number_hash}", f"sms source:{source}")
    wait = resend_wait(session, account_id, purpose, now, limits)
    if wait:
        raise SendRefused(f"A code was just sent. You can ask for another in {duration(wait)}.", wait)
    arrived = SmsCode.status.in_(MAY_HAVE_ARRIVED)
    last_good = session.exec(select(func.max(SmsCode.used_at)).where(SmsCode.account_id == account_id)).one()
    since_good = [SmsCode.account_id == account_id, arrived]
    if last_good is not None:
        since_good.append(SmsCode.created_at > last_good)
    if _count(session, *since_good) >= limits.unchecked_sends:
        raise SendRefused(f"{plural(limits.unchecked_sends, 'code')} were sent without one being entered, so we "
                          "will not send more. Use another way to confirm it's you, or contact support.")
    hour = now - timedelta(hours=1)
    caps = (
        (limits.per_number_hour, SmsCode.number_hash == number_hash, "to this number"),
        (limits.per_account_hour, SmsCode.account_id == account_id, "for this account"),
        (limits.per_source_hour, SmsCode.source == source, "from this connection"),
    )
    for cap, where, whom in caps:
        oldest = session.exec(
            select(SmsCode.created_at).where(where, arrived, SmsCode.created_at > hour)
            .order_by(SmsCode.created_at.desc()).offset(cap - 1)
        ).first()
        if oldest is not None:
            wait = max(1, seconds_until(oldest + timedelta(hours=1), now))
            raise SendRefused(f"Too many text messages {whom} in the last hour. Try again in {duration(wait)}, "
                              "or use another way to confirm it's you.", wait)
    code = new_code()
    row = SmsCode(account_id=account_id, purpose=purpose, number_hash=number_hash, source=source[:120],
                  code_hash=code_digest(box, account_id, code), status=PENDING, created_at=now,
                  expires_at=now + timedelta(minutes=limits.code_minutes))
    session.add(row)
    session.flush()
    return row.id, code


def settle(session, row_id: int, status: str, now: datetime) -> None:
    """Record how the send of ``row_id`` went. Once it was (or may have been) delivered, older
    waiting codes for the same purpose stop working: only the newest counts. A failed send leaves
    them working."""
    row = session.get(SmsCode, row_id)
    if row is None:
        return
    row.status = status
    session.add(row)
    if status != FAILED:
        session.execute(
            sa.update(SmsCode).where(SmsCode.account_id == row.account_id, SmsCode.purpose == row.purpose,
                                     SmsCode.id < row_id, SmsCode.used_at.is_(None), SmsCode.expires_at > now)
            .values(expires_at=now)
        )


@dataclass(frozen=True)
class Claim:
    """What checking a code found."""

    ok: bool
    #: No code is waiting (expired, used, never sent, or out of tries).
    none_waiting: bool = False
    #: Tries left on the newest waiting code after this one.
    tries_left: int = 0


def claim(session, box, limits: SmsLimits, *, account_id: int, purpose: str, code: str, now: datetime,
          number_hash: str | None = None) -> Claim:
    """Use a waiting code if ``code`` is one (a conditional update: of N racing, one wins), or
    count a wrong try against the newest waiting code."""
    where = [SmsCode.account_id == account_id, SmsCode.purpose == purpose, SmsCode.used_at.is_(None),
             SmsCode.expires_at > now, SmsCode.status.in_(MAY_HAVE_ARRIVED),
             SmsCode.failures < limits.tries_per_code]
    if number_hash is not None:
        where.append(SmsCode.number_hash == number_hash)
    rows = session.exec(select(SmsCode).where(*where).order_by(SmsCode.id.desc())).all()
    if not rows:
        return Claim(False, none_waiting=True)
    digest = code_digest(box, account_id, code)
    for row in rows:
        if secrets.compare_digest(row.code_hash, digest):
            won = session.execute(
                sa.update(SmsCode).where(SmsCode.id == row.id, SmsCode.used_at.is_(None),
                                         SmsCode.failures < limits.tries_per_code).values(used_at=now)
            ).rowcount == 1
            if won:
                return Claim(True)
            return Claim(False, none_waiting=True)
    newest = rows[0]
    session.execute(sa.update(SmsCode).where(SmsCode.id == newest.id).values(failures=SmsCode.failures + 1))
    session.refresh(newest)
    return Claim(False, tries_left=max(0, limits.tries_per_code - newest.failures))
