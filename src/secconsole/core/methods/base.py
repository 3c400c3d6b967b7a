"""What every way to confirm it's you has in common: its declaration (``WaySpec``), the protocol
its service implements (``SecondStep``) and the one answer every check gives (``StepResult``).

Plain Python, cheap to import: listing the ways loads no database stack."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from string import Template
from typing import TYPE_CHECKING, Any, Callable, Protocol

from secconsole.core.wording import duration

if TYPE_CHECKING:
    from secconsole.core.clock import Clock
    from secconsole.core.crypto import SecretBox
    from secconsole.core.delivery import Sender
    from secconsole.core.notices import Notices
    from secconsole.core.passwords import PasswordHasher
    from secconsole.core.phone import PhoneRules
    from secconsole.core.policy import PolicyProfile
    from secconsole.core.views import AccountView
    from secconsole.store.engine import Database


class Role(str, enum.Enum):
    """Where a way stands in a challenge."""

    #: A second step proper (app prompt, text message, authenticator app): "secure", can be given
    #: up with "I can't use this", and every one must be used up before the last resort.
    METHOD = "method"
    #: A backup that also stands before the last resort (the security question).
    BACKUP = "backup"
    #: A backup on offer at any point that does not stand before the last resort (recovery codes).
    SPARE = "spare"
    #: Offered only when every method and backup is used up (the email code).
    LAST_RESORT = "last_resort"


class Start(str, enum.Enum):
    """What choosing the way does before anything can be answered."""

    NOTHING = "nothing"
    SEND_CODE = "send_code"
    PROMPT = "prompt"


class Answer(str, enum.Enum):
    """What the person types."""

    DIGITS = "digits"
    TEXT = "text"
    CODE = "code"
    NONE = "none"


class Setup(str, enum.Enum):
    """How an account gets the way."""

    #: A wizard turns it on (Settings switch), the two-step dialog turns it off.
    WIZARD = "wizard"
    #: Set and replaced in a form (the security question).
    FORM = "form"
    #: Made in one go and shown once (recovery codes): nothing to enroll.
    GENERATE = "generate"
    #: Nothing to set up: an account setting (the email fallback switch).
    NONE = "none"


@dataclass(frozen=True)
class Capabilities:
    setup: Setup = Setup.WIZARD
    start: Start = Start.NOTHING
    answer: Answer = Answer.DIGITS
    #: An accepted answer never works twice (codes); False for an answer that is reusable.
    single_use: bool = True
    #: Wrong answers that use the way up for one challenge (its throttle may lock sooner).
    tries: int = 5
    #: Counts as a way to confirm it's you under the nist profile.
    counts_under_nist: bool = True
    #: Needs a verified identity or a billing method first (the source text's rule for SMS).
    needs_identity_or_billing: bool = False
    #: Sends its code to the account's email address: offered only once the address is verified.
    to_email: bool = False


@dataclass(frozen=True)
class WaySpec:
    """One registry line: everything about a way that can be said without loading it."""

    kind: str
    #: Its name on Settings › Password and Security and in ``user show``.
    label: str
    #: What "Try another way" lists.
    choice: str
    #: How a sentence names it: "That was the last try with the authenticator app".
    name: str
    role: Role
    #: ``module:Class`` of its service, imported when the services are built (None: not in this
    #: version yet; Settings says so).
    service: str | None
    capabilities: Capabilities = Capabilities()
    #: The throttle counter it counts its failures on (``throttle.way_key``).
    throttle: str = ""
    #: Audit kinds it writes, with what they mean to a person.
    audit: dict[str, str] = field(default_factory=dict)
    #: What the challenge's lead line says when the way is chosen ($digits, $issuer, $user).
    lead: str = ""
    #: What a lock of this way is called in the notice: "after too many failed $what".
    failures: str = ""
    #: What an empty answer is told ($digits): "Enter the $digits-digit email code we sent you."
    ask: str = ""
    #: How a message about a malformed answer names what was typed: "An email code".
    entry: str = ""
    #: The label above the challenge's answer field (default: ``label``).
    field_label: str = ""
    #: The challenge's button that gives this way up for the sign-in (default: "I can't use
    #: this" for a method; none for a way without it).
    give_up: str = ""

    def ask_for(self, digits: int = 6) -> str:
        """What an empty answer is told: it names this way (never another's code)."""
        return Template(self.ask).safe_substitute(digits=digits) if self.ask else f"Enter {self.name}."

    def malformed(self, problem: str) -> str:
        """A malformed answer's message, naming this way: ``malformed("has digits only")`` is
        "An email code has digits only."."""
        return f"{self.entry or self.label} {problem}."

    @property
    def give_up_label(self) -> str:
        return self.give_up or ("I can't use this" if self.role is Role.METHOD else "")

    @property
    def available(self) -> bool:
        return self.service is not None

    @property
    def secure(self) -> bool:
        return self.role is Role.METHOD

    @property
    def throttle_name(self) -> str:
        return self.throttle or self.kind

    def prerequisite_missing(self, account: AccountView) -> str | None:
        """What the account must do first (the source text: SMS needs a verified identity or a
        billing method)."""
        if self.capabilities.needs_identity_or_billing and not (account.identity_verified or account.billing_methods):
            return "Verify your identity or add a billing method first (p: Payments)."
        return None

    def unavailable_reason(self, account: AccountView) -> str | None:
        """Why the method cannot be turned on now, or None when its wizard can start."""
        return self.prerequisite_missing(account) or (None if self.available else "Not available in this version yet.")


class Reason(str, enum.Enum):
    """Why a check came out as it did: messages, the audit trail and the demo's "why" read it."""

    ACCEPTED = "accepted"
    #: Accepted from a device whose clock is off; the offset is now allowed for (``steps``).
    ACCEPTED_DRIFT = "accepted_drift"
    WRONG = "wrong"
    #: The code (or time step, ``step``) was already used.
    REPLAYED = "replayed"
    #: Right for a device clock off by ``steps`` time steps (of ``period`` seconds).
    CLOCK_OFF = "clock_off"
    #: No code is waiting: expired, used, or never sent.
    EXPIRED = "expired"
    #: Too many wrong answers: wait ``seconds`` (the answer was not looked at).
    BACKING_OFF = "backing_off"
    #: Locked until support unlocks it (the answer was not looked at).
    LOCKED = "locked"
    #: A prompt is out and not answered yet (the answer was not looked at: nothing counted).
    PENDING = "pending"


#: Refusals that did not look at the answer: they do not count as a wrong answer.
UNCHECKED = frozenset({Reason.BACKING_OFF, Reason.LOCKED, Reason.PENDING})


@dataclass(frozen=True)
class StepResult:
    """The answer of every way's check."""

    ok: bool
    reason: Reason
    message: str = ""
    #: The reason's parameters, e.g. ``{"steps": 2, "period": 30}`` or ``{"seconds": 8}``.
    params: dict[str, Any] = field(default_factory=dict)
    #: After this answer the way is locked (a wrong answer may be the one that locks it).
    locked: bool = False
    #: After this answer: seconds until the next attempt is allowed.
    retry_after: int = 0
    #: A helpful aside for a success (e.g. "we adjusted for your clock").
    note: str = ""
    #: After this answer: wrong answers left before the way locks (None: not known).
    tries_left: int | None = None

    @property
    def checked(self) -> bool:
        """False when the answer was not even looked at: such a refusal is not a wrong answer."""
        return self.reason not in UNCHECKED

    @classmethod
    def accepted(cls, message: str, *, note: str = "", reason: Reason = Reason.ACCEPTED, **params) -> StepResult:
        return cls(True, reason, message, params, note=note)

    @classmethod
    def refused(cls, reason: Reason, message: str, *, gate=None, **params) -> StepResult:
        """A refusal; ``gate`` (a ``throttle.Gate``) says where the way's counter stands now."""
        locked = bool(gate and gate.locked) or reason is Reason.LOCKED
        retry = gate.retry_after if gate is not None else params.get("seconds", 0)
        left = 0 if locked else (gate.tries_left if gate is not None else None)
        return cls(False, reason, message, params, locked=locked, retry_after=retry, tries_left=left)

    @classmethod
    def blocked(cls, gate, *, locked_message: str, answers: str = "codes") -> StepResult:
        """The refusal of a way whose throttle ``gate`` is closed: locked, or waiting out a back-off."""
        if gate.locked:
            return cls.refused(Reason.LOCKED, locked_message, gate=gate)
        return cls.refused(Reason.BACKING_OFF, f"Too many wrong {answers}. Try again in {duration(gate.retry_after)}.",
                           gate=gate, seconds=gate.retry_after)

    def explain(self) -> str:
        """The reason in plain words, for the audit trail and the demo's "why"."""
        p = self.params
        return {
            Reason.ACCEPTED: "accepted",
            Reason.ACCEPTED_DRIFT: f"accepted; device clock off by {p.get('steps', 0):+d} steps, now allowed for",
            Reason.WRONG: "wrong answer",
            Reason.REPLAYED: "already used" + (f" (time step {p['step']})" if "step" in p else ""),
            Reason.CLOCK_OFF: f"right for a device clock off by {p.get('steps', 0):+d} steps, outside the window",
            Reason.EXPIRED: "no code waiting: expired, used or never sent",
            Reason.BACKING_OFF: f"backing off for {duration(p.get('seconds', 0))}",
            Reason.LOCKED: "locked until support unlocks it",
            Reason.PENDING: "waiting for an answer on the mobile app",
        }[self.reason]


@dataclass(frozen=True)
class MethodState:
    """What the UI shows about one way of one account."""

    kind: str
    enabled: bool = False
    enabled_at: datetime | None = None
    #: Public detail, e.g. ``{"digits": 6}``; never a secret.
    detail: dict = field(default_factory=dict)


@dataclass
class MethodContext:
    """What a way's service is built with: one constructor for every way."""

    db: Database
    clock: Clock
    box: SecretBox
    profile: PolicyProfile
    hasher: PasswordHasher
    sender: Sender
    issuer: str
    #: ``Notices.lock(account_id, ref, what, retry_after=...)``: tells the owner about a lock, once
    #: it is committed (``throttle.note_failure`` calls it).
    lock_notice: Callable[..., None] | None = None
    #: ``core.notices.Notices``: ``record`` audits a change and queues the owner's notice with it.
    notices: Notices | None = None
    #: Which numbers text messages may go to (countries, line-type lookup, demo fixtures).
    phone_rules: PhoneRules | None = None


class SecondStep(Protocol):
    """The protocol every way's service implements (``core.methods.registry`` lists them).

    Whether an account has the way is its ``MethodState`` in the ``AccountView``: a method's
    comes from its enrollment, a backup's from its class's ``state(session, account)``."""

    spec: WaySpec

    def __init__(self, ctx: MethodContext) -> None: ...

    def begin(self, account_id: int, *, source: str) -> str:
        """Choosing the way: send a code or create a prompt (``spec.capabilities.start``); returns
        what to tell the person ("We emailed a code to a•••e@example.com."), or ""."""

    def verify(self, account_id: int, answer: str, *, source: str) -> StepResult:
        """Check an answer: counted, audited, single use where the way says so."""
