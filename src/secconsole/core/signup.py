"""Sign-up: creating an account from the sign-in screen, when the console allows it
(``--signup``), and proving the account's email address with a code sent there.

An account made by sign-up starts with ``email_verified`` false: anyone may type any address,
so no sign-in code is emailed to it (``core.challenge``, ``methods.email``) until its owner
enters the 6-digit code this service sends. The code is kept as a keyed hash bound to the
account and the address, works once (a conditional update), for the profile's email-code window,
and every guess is counted first on the account's ``verify_email`` counter, like a way's."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from secconsole.core import audit, throttle
from secconsole.core.accounts import AccountService
from secconsole.core.clock import Clock, seconds_until
from secconsole.core.crypto import SecretBox
from secconsole.core.delivery import Message, Sender
from secconsole.core.lookup import require_account
from secconsole.core.methods.base import Reason, Role, StepResult, WaySpec
from secconsole.core.methods.email import mask
from secconsole.core.policy import PolicyProfile
from secconsole.core.totp import clean_code
from secconsole.core.views import AccountView, CodeSent
from secconsole.core.wording import duration, valid_for
from secconsole.errors import ValidationError
from secconsole.store.engine import Database
from secconsole.store.models import Account, EmailVerification

RESEND_SECONDS = 60
#: The throttle counter of verification codes (``registry.OTHER_THROTTLES``).
COUNTER = "verify_email"
SIGNUP_CLOSED = "Sign-up is closed on this console: ask the operator for an account."
#: Not a way to confirm it's you (not in the registry): only what its code's messages call it.
CODE_WORDS = WaySpec(COUNTER, "Verification code", "", "the verification code", Role.LAST_RESORT, None,
                     ask="Enter the $digits-digit code we emailed to verify your address.",
                     entry="A verification code")


class SignUp:
    def __init__(self, db: Database, clock: Clock, box: SecretBox, profile: PolicyProfile, sender: Sender,
                 accounts: AccountService, *, open: bool, lock_notice=None) -> None:
        self.db, self.clock, self.box, self.profile, self.sender = db, clock, box, profile, sender
        self.accounts = accounts
        #: ``--signup open``: the sign-in screen may create accounts.
        self.open = open
        self.lock_notice = lock_notice

    # -- creating -------------------------------------------------------------------------

    def create(self, username: str, email: str, password: str, *, source: str) -> AccountView:
        """An account from the sign-in screen: refused when sign-up is closed; its address is
        unverified until ``verify``."""
        if not self.open:
            raise ValidationError(SIGNUP_CLOSED)
        return self.accounts.create(username, email, password, source=source, email_verified=False)

    # -- the code -------------------------------------------------------------------------

    def _digest(self, account_id: int, email: str, code: str) -> str:
        return self.box.digest(code.encode(), f"verify email:{account_id}:{email}".encode())

    def send_code(self, account_id: int, *, source: str) -> CodeSent:
        """Email a fresh code to the account's address (voiding earlier ones), at most once a
        minute."""
        now = self.clock.now()
        code = f"{secrets.randbelow(10**6):06d}"
        minutes = self.profile.email_code_minutes
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            if account.email_verified:
                raise ValidationError("Your email address is verified already.")
            last = session.exec(
                select(EmailVerification).where(EmailVerification.account_id == account_id)
                .order_by(EmailVerification.id.desc())
            ).first()
            wait = 0 if last is None else seconds_until(last.created_at + timedelta(seconds=RESEND_SECONDS), now)
            if wait:
                raise ValidationError(f"A code was just sent. You can ask for another in {duration(wait)}.")
            session.execute(
                sa.update(EmailVerification)
                .where(EmailVerification.account_id == account_id, EmailVerification.used_at.is_(None))
                .values(expires_at=now)
            )
            session.add(EmailVerification(account_id=account_id, email=account.email,
                                          code_hash=self._digest(account_id, account.email, code),
                                          created_at=now, expires_at=now + timedelta(minutes=minutes)))
            audit.record(session, at=now, kind=audit.EMAIL_VERIFICATION_SENT, source=source,
                         account_id=account_id, username=account.username, to=mask(account.email))
            email, name = account.email, account.username
        self.sender.send(Message(
            "email", email, "Verify your SecConsole email address",
            f"Hello {name},\n\nYour verification code is {code}. It works once, for {valid_for(minutes)}.\n\n"
            "Enter it in the console to confirm this is your address. If you did not create an "
            "account, ignore this message.\n",
            account_id,
        ))
        return CodeSent(mask(email), RESEND_SECONDS)

    def verify(self, account_id: int, code_text: str, *, source: str) -> StepResult:
        """Counted first; then the newest waiting code for the current address is compared and
        claimed by a conditional update, which marks the address verified in the same transaction."""
        if not code_text.strip():
            raise ValidationError("Enter the 6-digit code we emailed you.", field="code")
        code = clean_code(code_text, 6, CODE_WORDS)
        now = self.clock.now()
        counter = throttle.Counter(throttle.way_key(COUNTER, account_id), self.profile.lockout)
        with self.db.transaction() as session:
            if require_account(session, account_id).email_verified:
                return StepResult.refused(Reason.EXPIRED, "Your email address is verified already.")
            attempt = throttle.claim_attempt(session, now, counter)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, locked_message="Too many wrong codes: contact support.")
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            row = session.exec(
                select(EmailVerification).where(
                    EmailVerification.account_id == account_id, EmailVerification.email == account.email,
                    EmailVerification.used_at.is_(None), EmailVerification.expires_at > now,
                ).order_by(EmailVerification.id.desc())
            ).first()
            matched = row is not None and secrets.compare_digest(row.code_hash,
                                                                 self._digest(account_id, account.email, code))
            claimed = matched and session.execute(
                sa.update(EmailVerification)
                .where(EmailVerification.id == row.id, EmailVerification.used_at.is_(None))
                .values(used_at=now)
            ).rowcount == 1
            if not claimed:
                gate, _ = throttle.note_failure(
                    session, attempt, now, account_id=account_id, username=account.username, source=source,
                    kind=audit.EMAIL_VERIFICATION_FAILED, what="email verification codes", notice=self.lock_notice,
                )
                if row is not None:
                    return StepResult.refused(Reason.WRONG, "That verification code is not right.", gate=gate)
                return StepResult.refused(Reason.EXPIRED, "That code has expired or was used: ask for a new one.",
                                          gate=gate)
            session.execute(sa.update(Account).where(Account.id == account_id, Account.email == row.email)
                            .values(email_verified=True))
            throttle.refund(session, attempt)
            audit.record(session, at=now, kind=audit.EMAIL_VERIFIED, source=source, account_id=account_id,
                         username=account.username)
        return StepResult.accepted("Your email address is verified.")
