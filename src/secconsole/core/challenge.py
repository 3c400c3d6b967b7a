"""The second step of one sign-in (or step-up) as a state machine: which ways are open, which are
used up, and when the last resort (the email code) may be offered.

Plain Python, no I/O: the screen and the `login` command ask it what to offer and tell it what
happened; the ways' services do the checking. Every way comes from ``core.methods.registry``."""

from __future__ import annotations

from dataclasses import dataclass, field

from secconsole.core.methods import registry
from secconsole.core.methods.base import Role, WaySpec

#: The roles that must all be used up before the last resort is offered.
_BEFORE_LAST_RESORT = (Role.METHOD, Role.BACKUP)
_ORDER = (Role.METHOD, Role.BACKUP, Role.SPARE, Role.LAST_RESORT)


@dataclass
class Challenge:
    account_id: int
    #: The ways this account has, in the order they are offered (methods most secure first).
    offered: list[WaySpec]
    preferred: str | None = None
    tries: dict[str, int] = field(default_factory=dict)
    exhausted: set[str] = field(default_factory=set)

    @classmethod
    def for_account(cls, account, *, question_allowed: bool = True) -> Challenge:
        """``account`` is an ``AccountView``; ``question_allowed`` is the profile's
        ``question_counts`` (under nist, ways that do not count there are left out). A way that
        emails its code is left out while the account's address is unverified."""
        has = {m.kind for m in account.methods if m.enabled}
        specs = [
            s for s in registry.all_ways()
            if s.kind in has and s.available and (question_allowed or s.capabilities.counts_under_nist)
            and (account.email_verified or not s.capabilities.to_email)
        ]
        offered = [s for role in _ORDER for s in
                   (registry.by_security([s for s in specs if s.role is role]) if role is Role.METHOD
                    else [s for s in specs if s.role is role])]
        return cls(account_id=account.id, offered=offered, preferred=account.preferred_method)

    # -- what to offer ----------------------------------------------------------------------

    def spec(self, kind: str) -> WaySpec:
        return next(s for s in self.offered if s.kind == kind)

    @property
    def methods(self) -> list[str]:
        """The second steps proper this account has, most secure first."""
        return [s.kind for s in self.offered if s.role is Role.METHOD]

    def is_open(self, kind: str) -> bool:
        return kind in self.kinds()

    def _last_resort_open(self) -> bool:
        """Only when every method and backup is used up (and the account kept the fallback on)."""
        return all(s.kind in self.exhausted for s in self.offered if s.role in _BEFORE_LAST_RESORT)

    def ways(self) -> list[WaySpec]:
        """Everything "Try another way" lists now, in order."""
        return [
            s for s in self.offered
            if s.kind not in self.exhausted and (s.role is not Role.LAST_RESORT or self._last_resort_open())
        ]

    def kinds(self) -> list[str]:
        return [s.kind for s in self.ways()]

    def first(self) -> WaySpec | None:
        """Where to start: the way that worked last time (unless a spare), else the first one."""
        ways = self.ways()
        for s in ways:
            if s.kind == self.preferred and s.role is not Role.SPARE:
                return s
        return ways[0] if ways else None

    @property
    def out_of_ways(self) -> bool:
        """Nothing left: the person needs support."""
        return not self.ways()

    # -- what happened ----------------------------------------------------------------------

    def failed(self, kind: str, *, locked: bool = False) -> bool:
        """Count a wrong answer. Returns whether the way is now used up."""
        self.tries[kind] = self.tries.get(kind, 0) + 1
        if locked or self.tries[kind] >= registry.get(kind).capabilities.tries:
            self.exhausted.add(kind)
        return kind in self.exhausted

    def tries_left(self, kind: str) -> int:
        return max(registry.get(kind).capabilities.tries - self.tries.get(kind, 0), 0)

    def give_up(self, kind: str) -> None:
        """The person picked "I can't use this method" (or the way locked)."""
        self.exhausted.add(kind)

    def record(self, kind: str, result) -> bool:
        """What a refused ``StepResult`` means for this challenge: a lock uses the way up at once,
        a back-off is not a wrong answer. Returns whether the way is now used up."""
        if result.locked:
            self.give_up(kind)
        elif result.checked:
            self.failed(kind)
        return kind in self.exhausted
