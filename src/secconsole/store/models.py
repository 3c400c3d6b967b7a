"""The tables. Services in ``secconsole.core`` read and write them inside one transaction each
and hand plain dataclasses to the UI; ORM objects never leave a transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from secconsole.store.types import UTCDateTime


def _utc(**kw) -> object:
    return Field(sa_type=UTCDateTime, **kw)


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32)
    #: Lower-cased username: unique, so ``Alice`` and ``alice`` cannot both exist.
    username_key: str = Field(max_length=32, unique=True)
    email: str = Field(max_length=254)
    password_hash: str = Field(max_length=255)
    password_changed_at: datetime = _utc()
    created_at: datetime = _utc()
    last_sign_in_at: datetime | None = _utc(default=None, nullable=True)
    identity_verified: bool = Field(default=False)
    identity_verified_at: datetime | None = _utc(default=None, nullable=True)
    #: Keyed hash of the legal name and date of birth on file (never the values themselves).
    identity_record: str | None = Field(default=None, max_length=64)
    email_fallback_enabled: bool = Field(default=True)
    #: The owner proved the address with a code sent there (``core.signup``); until then no code
    #: is emailed to it. Operators' accounts, demo accounts and those from before 0009 are verified.
    email_verified: bool = Field(default=False)
    security_question: str | None = Field(default=None, max_length=200)
    security_answer_hash: str | None = Field(default=None, max_length=255)
    #: The method that last passed a challenge; the challenge starts there.
    preferred_method: str | None = Field(default=None, max_length=16)
    #: Set when a mobile app prompt was reported as not the owner (whoever sent it knew the
    #: password): a signed-in session may only change the password, which clears it (schema 0012).
    password_change_required: bool = Field(default=False)


class PasswordHistory(SQLModel, table=True):
    """Hashes of retired passwords, for the "not one of your last N" rule."""

    __tablename__ = "password_history"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    password_hash: str = Field(max_length=255)
    retired_at: datetime = _utc()


class BillingMethod(SQLModel, table=True):
    """A card on file: only its brand and last four digits are ever kept."""

    __tablename__ = "billing_method"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    holder_name: str = Field(max_length=100)
    brand: str = Field(max_length=20)
    last4: str = Field(max_length=4)
    exp_month: int
    exp_year: int
    created_at: datetime = _utc()


class MethodEnrollment(SQLModel, table=True):
    """One second-step method of one account: pending while its wizard runs, then active. What
    only one method keeps lives in a table of its own (``totp_state``)."""

    __tablename__ = "method_enrollment"
    __table_args__ = (sa.UniqueConstraint("account_id", "kind", name="uq_method_enrollment_account_kind"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    #: Sealed with the key file (``core.crypto.SecretBox``); never plaintext.
    secret: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    #: Public detail as JSON (e.g. the last two digits of a phone number).
    detail: str = Field(default="{}")
    created_at: datetime = _utc()
    enabled_at: datetime | None = _utc(default=None, nullable=True)


class TotpState(SQLModel, table=True):
    """The authenticator app's own state, one row per enrollment (gone with it)."""

    __tablename__ = "totp_state"
    enrollment_id: int = Field(primary_key=True, foreign_key="method_enrollment.id", ondelete="CASCADE")
    #: The newest time step accepted; older or equal steps are replays.
    last_used_step: int | None = Field(default=None, sa_type=sa.BigInteger)
    #: The learned offset of the device clock, in time steps.
    drift_steps: int = Field(default=0)
    #: The offset of the last drift hit not yet learned (``core.totp_window``).
    drift_candidate: int | None = Field(default=None)
    #: The device time step that hit matched: the next one must be later to be learned.
    drift_candidate_step: int | None = Field(default=None, sa_type=sa.BigInteger)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL", index=True)
    #: The name as typed or as it was then; kept when the account is gone.
    username: str = Field(default="", max_length=64)
    kind: str = Field(max_length=40)
    #: Where it came from: "local /dev/pts/3", "ssh 203.0.113.9", "cli".
    source: str = Field(default="", max_length=120)
    #: JSON; never holds a secret.
    detail: str = Field(default="{}")
    #: A short id a user can quote to support.
    ref: str = Field(max_length=16, index=True)


class Throttle(SQLModel, table=True):
    """Consecutive failures per key (e.g. ``signin:alice``), whether or not the account exists."""

    key: str = Field(primary_key=True, max_length=160)
    failures: int = Field(default=0)
    last_failure_at: datetime | None = _utc(default=None, nullable=True)
    next_allowed_at: datetime | None = _utc(default=None, nullable=True)
    locked_at: datetime | None = _utc(default=None, nullable=True)


class Meta(SQLModel, table=True):
    """Facts about the database itself, e.g. the fingerprint of the key that seals its secrets."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=255)


class OutboxMessage(SQLModel, table=True):
    """A message the outbox sender "delivered": where demos and developers read codes. Never
    copied to logs or the audit trail."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL", index=True)
    channel: str = Field(max_length=16)
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    #: Empty: bodies (codes included) are kept only sealed with the key file, below. Rows written
    #: before schema 0008 held plain text here until the first open with the key sealed them.
    body: str = ""
    sealed_body: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class EmailCode(SQLModel, table=True):
    """A one-time email code: only its keyed hash is kept; used once, then never again."""

    __tablename__ = "email_code"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None, nullable=True)


class EmailVerification(SQLModel, table=True):
    """A code that proves an account's email address: its keyed hash, the address it was sent to,
    used once (a conditional update)."""

    __tablename__ = "email_verification"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    email: str = Field(max_length=254)
    code_hash: str = Field(max_length=64)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None, nullable=True)


class RecoveryCode(SQLModel, table=True):
    """One of the ten single-use recovery codes: a keyed hash, and when it was used."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None, nullable=True)


class SmsState(SQLModel, table=True):
    """Text messages' own state, one row per enrollment (gone with it): the number's blind index.
    The number itself is the enrollment's sealed secret."""

    __tablename__ = "sms_state"
    enrollment_id: int = Field(primary_key=True, foreign_key="method_enrollment.id", ondelete="CASCADE")
    #: Keyed hash of the E.164 number (``core.methods.sms_codes.number_index``): per-number caps
    #: and look-ups without opening the number.
    number_hash: str = Field(max_length=64, index=True)


class SmsCode(SQLModel, table=True):
    """A text-message code: its keyed hash, who and what it is for, and how its send went.

    Written ``pending`` before the send (no transaction waits on the network), then ``sent``,
    ``failed`` (the gateway refused: it burns nothing) or ``unknown`` (timed out: it may have
    arrived, so it counts toward the caps). Used once, by a conditional update."""

    __tablename__ = "sms_code"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    #: ``enroll`` (proving a new number) or ``check`` (sign-in and step-up).
    purpose: str = Field(max_length=16)
    number_hash: str = Field(max_length=64, index=True)
    source: str = Field(default="", max_length=120, index=True)
    code_hash: str = Field(max_length=64)
    status: str = Field(max_length=16)
    #: Wrong tries against this code; at the limit it is dead.
    failures: int = Field(default=0)
    created_at: datetime = _utc(index=True)
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None, nullable=True)


class PushDevice(SQLModel, table=True):
    """A phone or tablet paired for mobile app prompts (docs/push-protocol.md): its public key,
    never a secret; removing the row signs the device out."""

    __tablename__ = "push_device"
    id: str = Field(primary_key=True, max_length=32)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=60)
    alg: str = Field(max_length=16)
    public_key: bytes = Field(sa_type=sa.LargeBinary)
    #: False when the device said it cannot be prompted (notifications off).
    notifications: bool = Field(default=True)
    created_at: datetime = _utc()
    last_used_at: datetime | None = _utc(default=None, nullable=True)


class PushPairing(SQLModel, table=True):
    """A pairing code shown in Settings: its keyed hash, used once, for 10 minutes."""

    __tablename__ = "push_pairing"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    code_hash: str = Field(max_length=64, index=True)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None, nullable=True)


class PushPrompt(SQLModel, table=True):
    """One prompt to an account's devices: what it asks, the number shown on the console, and
    its one decision (taken by a conditional update: the first answer counts)."""

    __tablename__ = "push_prompt"
    id: str = Field(primary_key=True, max_length=32)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    purpose: str = Field(max_length=16)
    for_what: str = Field(default="", max_length=60)
    source: str = Field(default="", max_length=120)
    host: str = Field(default="", max_length=120)
    number: int
    #: JSON list of the numbers a device offers (empty when the number is typed).
    offered: str = Field(default="[]")
    entry: str = Field(max_length=8)
    created_at: datetime = _utc(index=True)
    expires_at: datetime = _utc()
    #: pending, approved, denied, reported, expired; ``used`` once an approval signed someone in.
    status: str = Field(max_length=16)
    decided_at: datetime | None = _utc(default=None, nullable=True)
    device_id: str | None = Field(default=None, max_length=32)


class PushNonce(SQLModel, table=True):
    """Nonces of signed device requests, each accepted once (kept past the clock window)."""

    __tablename__ = "push_nonce"
    device_id: str = Field(primary_key=True, max_length=32)
    nonce: str = Field(primary_key=True, max_length=64)
    at: datetime = _utc(index=True)
