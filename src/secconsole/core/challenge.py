"""The second step of one sign-in (or step-up) as a state machine: which ways are open, which are
used up, and when the email code — the last resort — may be offered.

Plain Python, no I/O: the screen and the `login` command ask it what to offer and tell it what
happened; the method services do the checking.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from secconsole.core.methods import IMPLEMENTED, SECURITY_ORDER

#: Wrong answers that use a way up for this sign-in (the method's own throttle may lock sooner).
MAX_TRIES = 5
QUESTION_TRIES = 3


class Way(str, enum.Enum):
    PUSH = "push"
    TOTP = "totp"
    SMS = "sms"
    QUESTION = "question"
    RECOVERY = "recovery"
    EMAIL = "email"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def secure(self) -> bool:
        return self in (Way.PUSH, Way.TOTP, Way.SMS)


_LABELS = {
    Way.PUSH: "Get a prompt in the mobile app",
    Way.TOTP: "Enter a code from your authenticator app",
    Way.SMS: "Get a code by text message",
    Way.QUESTION: "Answer your security question",
    Way.RECOVERY: "Use a recovery code",
    Way.EMAIL: "Get a code by email",
}


@dataclass
class Challenge:
    account_id: int
    #: Secure methods the account has on, most secure first.
    methods: list[Way]
    has_question: bool
    #: The nist profile does not count a security question as a factor.
    question_allowed: bool = True
    email_fallback: bool = True
    preferred: str | None = None
    #: Unused recovery codes: an option of its own; it does not stand before the email code.
    recovery_codes: int = 0
    tries: dict[Way, int] = field(default_factory=dict)
    exhausted: set[Way] = field(default_factory=set)

    @classmethod
    def for_account(cls, account, *, question_allowed: bool = True) -> Challenge:
        """``account`` is an ``AccountView``."""
        enabled = {m.kind for m in account.methods if m.enabled}
        order = [Way(k.value) for k in SECURITY_ORDER if k in enabled and k in IMPLEMENTED]
        return cls(
            account_id=account.id,
            methods=order,
            has_question=account.security_question is not None,
            question_allowed=question_allowed,
            email_fallback=account.email_fallback_enabled,
            preferred=getattr(account, "preferred_method", None),
            recovery_codes=getattr(account, "recovery_codes_left", 0),
        )

    # -- what to offer ----------------------------------------------------------------------

    @property
    def question_open(self) -> bool:
        return self.has_question and self.question_allowed and Way.QUESTION not in self.exhausted

    @property
    def question_done(self) -> bool:
        """Failed, or not a possibility: either way it no longer stands before the email code."""
        return not (self.has_question and self.question_allowed) or Way.QUESTION in self.exhausted

    @property
    def email_open(self) -> bool:
        """Only when every secure method is used up and the question has failed or is not set,
        and the person did not switch the email fallback off."""
        return (
            self.email_fallback
            and all(m in self.exhausted for m in self.methods)
            and self.question_done
            and Way.EMAIL not in self.exhausted
        )

    def ways(self) -> list[Way]:
        """Everything "Try another way" lists now, in order."""
        out = [m for m in self.methods if m not in self.exhausted]
        if self.question_open:
            out.append(Way.QUESTION)
        if self.recovery_codes and Way.RECOVERY not in self.exhausted:
            out.append(Way.RECOVERY)
        if self.email_open:
            out.append(Way.EMAIL)
        return out

    def first(self) -> Way | None:
        """Where to start: the way that worked last time, else the most secure one."""
        ways = self.ways()
        if self.preferred in {w.value for w in ways} and self.preferred != Way.RECOVERY.value:
            return Way(self.preferred)
        return ways[0] if ways else None

    @property
    def out_of_ways(self) -> bool:
        """Nothing left: the person needs support."""
        return not self.ways()

    # -- what happened ----------------------------------------------------------------------

    def failed(self, way: Way, *, locked: bool = False) -> bool:
        """Count a wrong answer. Returns whether the way is now used up."""
        self.tries[way] = self.tries.get(way, 0) + 1
        limit = QUESTION_TRIES if way is Way.QUESTION else MAX_TRIES
        if locked or self.tries[way] >= limit:
            self.exhausted.add(way)
        return way in self.exhausted

    def give_up(self, way: Way) -> None:
        """The person picked "I can't use this method"."""
        self.exhausted.add(way)

