"""Text messages: a six-digit code to a checked, non-VoIP number (``core.phone``), within the
anti-pumping caps (``sms_codes``).

Enrollment: ``check_number`` (refuses a bad, VoIP, toll-free, ... number before anything is sent),
``send_enrollment_code``, then ``confirm`` turns the method on with that number, sealed like a
TOTP seed, with its blind index in ``sms_state``. A new number replaces the old enrollment and
the old number is told. At sign-in and step-up: ``begin`` sends a code (explicitly: the person
asks for it), ``verify`` checks it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from secconsole.core import audit, throttle
from secconsole.core.delivery import Message
from secconsole.core.lookup import require_account
from secconsole.core.methods import attempts, registry, sms_codes
from secconsole.core.methods.base import MethodContext, Reason, StepResult
from secconsole.core.methods.enrollment import ACTIVE, active_enrollment
from secconsole.core.methods.sms_codes import CHECK, ENROLL, FAILED, SENT, UNKNOWN, SmsLimits
from secconsole.core.phone import CheckedNumber, PhoneRules, mask
from secconsole.core.totp import clean_code
from secconsole.core.wording import duration, plural, valid_for
from secconsole.errors import DeliveryError, DeliveryUncertain, ValidationError
from secconsole.store.models import MethodEnrollment, SmsState

SMS_SENT = "sms.sent"
SMS_SEND_FAILED = "sms.send_failed"
SMS_FAILED = "sms.failed"
SMS_USED = "sms.used"
LOCKED_MESSAGE = "Too many wrong codes: text messages are locked. Use another way to confirm it's you, or contact support."
#: Said before the first code is sent (the source text; SP 800-63B-4 calls SMS "restricted").
RATES_NOTICE = "Standard message and data rates may apply."
SAFETY_NOTICE = ("Text messages are less safe than an authenticator app: a number can be moved to another "
                 "SIM by someone who talks your carrier into it.")
NIST_NOTICE = ("Under this policy text messages are a restricted authenticator (NIST SP 800-63B-4): an "
               "authenticator app is the safer choice, and you may be asked to switch later.")


def purpose(account_id: int) -> bytes:
    """What the number is sealed for (``SecretBox``): this account's text messages."""
    return f"sms:{account_id}".encode()


@dataclass(frozen=True)
class Sent:
    """A send that went out (or may have): what to tell the person, and the resend countdown."""

    message: str
    masked: str
    retry_after: int


class TextMessages:
    spec = registry.get("sms")

    def __init__(self, ctx: MethodContext, *, rules: PhoneRules | None = None, limits: SmsLimits | None = None) -> None:
        self.ctx = ctx
        self.db, self.clock, self.box, self.profile, self.sender = ctx.db, ctx.clock, ctx.box, ctx.profile, ctx.sender
        self.rules = rules or ctx.phone_rules or PhoneRules()
        self.limits = limits or SmsLimits()

    # -- enrollment -----------------------------------------------------------------------

    def notices(self) -> list[str]:
        """What is said before the first code is sent."""
        said = [RATES_NOTICE, SAFETY_NOTICE]
        if self.profile.name == "nist":
            said.append(NIST_NOTICE)
        return said

    def check_number(self, account_id: int, text: str, region: str) -> CheckedNumber:
        """Every check that runs before a code is sent: the prerequisite (the registry's rule,
        ``WaySpec.prerequisite_missing``), then the number."""
        from secconsole.core.accounts import view_of

        with self.db.transaction(readonly=True) as session:
            view = view_of(session, require_account(session, account_id), self.clock, self.profile)
        missing = self.spec.prerequisite_missing(view)
        if missing:
            raise ValidationError("Text messages need a verified identity or a billing method: "
                                  + missing[0].lower() + missing[1:])
        return self.rules.check(text, region)

    def send_enrollment_code(self, account_id: int, number: CheckedNumber, *, source: str) -> Sent:
        return self._send(account_id, ENROLL, number.e164, source=source,
                          what="to add this number to your SecConsole account", subject="Number check code")

    def confirm(self, account_id: int, number: CheckedNumber, code_text: str, *, source: str) -> StepResult:
        """Turn text messages on with ``number`` if ``code_text`` is the code sent to it (counted
        first). An earlier number is replaced, and told after the commit."""
        code = clean_code(code_text, 6, self.spec)
        now = self.clock.now()
        index = sms_codes.number_index(self.box, number.e164)
        attempt = attempts.claim_own(self.ctx, self.spec, account_id, now)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, locked_message=LOCKED_MESSAGE)
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            found = sms_codes.claim(session, self.box, self.limits, account_id=account_id, purpose=ENROLL,
                                    code=code, now=now, number_hash=index)
            if not found.ok:
                return self._wrong(session, attempt, now, account, source, found)
            old = active_enrollment(session, account_id, self.spec.kind)
            old_number = self.box.open(old.secret, purpose(account_id)).decode() if old is not None else None
            if old is not None:
                session.delete(old)
                session.flush()
            row = MethodEnrollment(
                account_id=account_id, kind=self.spec.kind, status=ACTIVE,
                secret=self.box.seal(number.e164.encode(), purpose(account_id)),
                detail=json.dumps({"number": number.masked, "country": number.region,
                                   "summary": f"codes to {number.masked}"}), created_at=now, enabled_at=now,
            )
            session.add(row)
            session.flush()
            session.add(SmsState(enrollment_id=row.id, number_hash=index))
            throttle.refund(session, attempt)
            self.ctx.notices.record(session, account, at=now, kind=audit.METHOD_ENABLED, source=source,
                                    method=self.spec.kind, number=number.masked,
                                    **({"replaced": mask(old_number)} if old_number else {}))
            name = account.username
        if old_number and old_number != number.e164:
            self._tell_old_number(account_id, name, old_number, number.masked)
        return StepResult.accepted(f"Text messages are on: codes go to {number.masked}.")

    def _tell_old_number(self, account_id: int, name: str, old: str, new_masked: str) -> None:
        try:
            self.sender.send(Message("sms", old, "Number changed", (
                f"SecConsole: the number for {name}'s sign-in codes was changed to {new_masked}. If this was "
                "not you, contact support."), account_id))
        except DeliveryError:
            pass  # the change is committed and audited; the email notice tells the owner too

    # -- sign-in and step-up ----------------------------------------------------------------

    def begin(self, account_id: int, *, source: str) -> str:
        """Send a code to the enrolled number (the person asked for it)."""
        return self.send_code(account_id, source=source).message

    def send_code(self, account_id: int, *, source: str) -> Sent:
        with self.db.transaction(readonly=True) as session:
            row = self._enrollment(session, account_id)
            e164 = self.box.open(row.secret, purpose(account_id)).decode()
        return self._send(account_id, CHECK, e164, source=source, what="to confirm it's you on SecConsole",
                          subject="Sign-in code")

    def resend_wait(self, account_id: int, *, enrolling: bool = False) -> int:
        with self.db.transaction(readonly=True) as session:
            return sms_codes.resend_wait(session, account_id, ENROLL if enrolling else CHECK, self.clock.now(),
                                         self.limits)

    def verify(self, account_id: int, code_text: str, *, source: str) -> StepResult:
        """Counted first; the newest waiting codes are compared and one is claimed once."""
        code = clean_code(code_text, 6, self.spec)
        now = self.clock.now()
        attempt = attempts.claim_own(self.ctx, self.spec, account_id, now)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, locked_message=LOCKED_MESSAGE)
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            row = self._enrollment(session, account_id)
            index = session.get(SmsState, row.id).number_hash
            found = sms_codes.claim(session, self.box, self.limits, account_id=account_id, purpose=CHECK, code=code,
                                    now=now, number_hash=index)
            if not found.ok:
                return self._wrong(session, attempt, now, account, source, found)
            throttle.refund(session, attempt)
            audit.record(session, at=now, kind=SMS_USED, source=source, account_id=account_id,
                         username=account.username)
        return StepResult.accepted("Code accepted.")

    # -- helpers --------------------------------------------------------------------------

    def _send(self, account_id: int, why: str, e164: str, *, source: str, what: str, subject: str) -> Sent:
        now = self.clock.now()
        index = sms_codes.number_index(self.box, e164)
        shown = mask(e164)
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            row_id, code = sms_codes.reserve(session, self.box, self.limits, account_id=account_id, purpose=why,
                                             number_hash=index, source=source, now=now)
            name = account.username
        valid = valid_for(self.limits.code_minutes)
        text = f"SecConsole code: {code}. It is {what} as {name}. Don't share this code with anyone. It works for {valid}."
        status, problem = SENT, None
        try:
            self.sender.send(Message("sms", e164, subject, text, account_id, key=f"sms-{row_id}"))
        except DeliveryUncertain as exc:
            status, problem = UNKNOWN, exc
        except DeliveryError as exc:
            status, problem = FAILED, exc
        with self.db.transaction() as session:
            sms_codes.settle(session, row_id, status, now)
            audit.record(session, at=now, kind=SMS_SENT if status != FAILED else SMS_SEND_FAILED, source=source,
                         account_id=account_id, username=name, to=shown, purpose=why, status=status)
        wait = self.limits.resend_seconds
        if status == FAILED:
            raise DeliveryError(f"{problem} You can try again now.")
        if status == UNKNOWN:
            return Sent(f"{problem} If no code reaches {shown} within a minute, ask for a new one in "
                        f"{duration(wait)}.", shown, wait)
        return Sent(f"We sent a 6-digit code to {shown}. It works once, for {valid}.", shown, wait)

    def _wrong(self, session, attempt, now, account, source, found: sms_codes.Claim) -> StepResult:
        gate = attempts.wrong(self.ctx, self.spec, session, attempt, now, account, source=source, kind=SMS_FAILED)
        if gate.locked:
            return StepResult.refused(Reason.WRONG, LOCKED_MESSAGE, gate=gate)
        wait = f" Try again in {duration(gate.retry_after)}." if gate.retry_after else ""
        if found.none_waiting:
            return StepResult.refused(Reason.EXPIRED, f"No code is waiting: it expired, was used, or had too many "
                                      f"wrong tries. Ask for a new one.{wait}", gate=gate)
        left = f" {plural(found.tries_left, 'try', 'tries')} left for this code." if found.tries_left else \
            " That was the last try for this code: ask for a new one."
        return StepResult.refused(Reason.WRONG, f"That code is not right.{left}{wait}", gate=gate)

    def _enrollment(self, session, account_id: int) -> MethodEnrollment:
        row = active_enrollment(session, account_id, self.spec.kind)
        if row is None:
            raise ValidationError("Text messages are not on for this account.")
        return row

    def waiting(self, account_id: int, code: str) -> bool:
        """Whether ``code`` would be taken now (demo mode's hint shows only such a code)."""
        from sqlmodel import select

        from secconsole.store.models import SmsCode

        digest = sms_codes.code_digest(self.box, account_id, code)
        now = self.clock.now()
        with self.db.transaction(readonly=True) as session:
            return session.exec(select(SmsCode.id).where(
                SmsCode.account_id == account_id, SmsCode.code_hash == digest, SmsCode.used_at.is_(None),
                SmsCode.expires_at > now, SmsCode.status.in_(sms_codes.MAY_HAVE_ARRIVED),
                SmsCode.failures < self.limits.tries_per_code)).first() is not None

    def number(self, account_id: int) -> str:
        """The enrolled number in E.164: for demo mode's "what the phone would show" and support."""
        with self.db.transaction(readonly=True) as session:
            return self.box.open(self._enrollment(session, account_id).secret, purpose(account_id)).decode()
