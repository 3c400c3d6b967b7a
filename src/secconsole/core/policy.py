"""Policy profiles: ``classic`` follows the source text, ``nist`` follows SP 800-63B-4."""

from __future__ import annotations

from dataclasses import dataclass, replace

from secconsole.errors import ValidationError


@dataclass(frozen=True)
class PasswordRules:
    min_length: int
    #: Minimum once the account has a second step (NIST allows 8 with MFA, 15 without).
    min_length_with_second_step: int
    max_length: int
    #: Upper, lower, digit and symbol required.
    composition: bool
    #: A new password may not equal any of the last N.
    history: int
    #: Remind the user to change the password after this many days (None: never).
    reminder_days: int | None
    #: Lowest zxcvbn score (0-4) accepted.
    min_guess_score: int = 3


@dataclass(frozen=True)
class LockoutRules:
    #: Consecutive failures that cost nothing.
    free_failures: int
    #: Delay after the first failure beyond the free ones; it doubles with each further one.
    backoff_base_seconds: int
    backoff_max_seconds: int
    #: Consecutive failures that lock (SP 800-63B: <= 100).
    lock_after: int
    #: How long the lock lasts, doubling with each further failure once it has expired (the count
    #: goes on: an expiry never resets it). None: until support unlocks it.
    lock_minutes: int | None = None
    lock_max_minutes: int = 30 * 24 * 60
    #: Consecutive failures after which even an expiring lock stays until support unlocks it
    #: (SP 800-63B 5.2.2: no more than 100 consecutive failed attempts on one account).
    hard_lock_after: int = 100

    def delay_after(self, failures: int) -> int:
        """Seconds to wait before the next attempt after ``failures`` consecutive failures."""
        over = failures - self.free_failures
        if over <= 0:
            return 0
        return min(self.backoff_base_seconds * 2 ** (over - 1), self.backoff_max_seconds)

    def lock_seconds(self, failures: int) -> int | None:
        """How long a lock reached at ``failures`` consecutive failures lasts (None: until support
        unlocks it)."""
        if self.lock_minutes is None or failures >= self.hard_lock_after:
            return None
        doublings = min(max(failures - self.lock_after, 0), 32)
        return min(self.lock_minutes << doublings, self.lock_max_minutes) * 60


@dataclass(frozen=True)
class PolicyProfile:
    name: str
    summary: str
    password: PasswordRules
    #: Every way's own counter (authenticator app, question, codes) and identity details.
    lockout: LockoutRules
    #: The account-wide sign-in counter (sign-in, step-up and change-password's current password).
    signin_lockout: LockoutRules
    #: Failed sign-ins from one source (an address trying many names): looser than per account.
    source_lockout: LockoutRules = LockoutRules(
        free_failures=10, backoff_base_seconds=2, backoff_max_seconds=300, lock_after=50
    )
    #: How long an email code works (NIST allows email as a recovery channel, up to 24 h).
    email_code_minutes: int = 10
    #: Whether the security question counts as a way to confirm it's you (not in nist).
    question_counts: bool = True


_CLASSIC_LOCKOUT = LockoutRules(free_failures=3, backoff_base_seconds=2, backoff_max_seconds=300, lock_after=10)
_NIST_LOCKOUT = LockoutRules(free_failures=5, backoff_base_seconds=1, backoff_max_seconds=60, lock_after=100)

# A lock is also a denial of service: anyone who knows a name could lock the account for good.
# SP 800-63B (5.2.2) asks for at most 100 consecutive failures per account and lets rate limiting
# do the rest, so in classic the account-wide sign-in lock (reached after 10) expires: 15 minutes,
# doubling with each further failure (an attacker must spend as long as the lock lasts), the
# count never reset by an expiry, and the 100th consecutive failure locks for good. The owner is
# told of each lock; support can still unlock at once. Per-way and per-source locks stay until
# support unlocks them: another way or another connection is left. nist keeps its hard lock at
# the 100th failure.
CLASSIC = PolicyProfile(
    name="classic",
    summary="The source behaviour: composition rules and a 90-day change reminder.",
    password=PasswordRules(
        min_length=10,
        min_length_with_second_step=10,
        max_length=128,
        composition=True,
        history=5,
        reminder_days=90,
    ),
    lockout=_CLASSIC_LOCKOUT,
    signin_lockout=replace(_CLASSIC_LOCKOUT, lock_minutes=15),
)

NIST = PolicyProfile(
    name="nist",
    summary="NIST SP 800-63B-4: length over composition, no forced rotation.",
    password=PasswordRules(
        min_length=15,
        min_length_with_second_step=8,
        max_length=128,
        composition=False,
        history=0,
        reminder_days=None,
    ),
    lockout=_NIST_LOCKOUT,
    signin_lockout=_NIST_LOCKOUT,
    email_code_minutes=24 * 60,
    question_counts=False,
    source_lockout=LockoutRules(free_failures=20, backoff_base_seconds=1, backoff_max_seconds=60, lock_after=500),
)

PROFILES: dict[str, PolicyProfile] = {p.name: p for p in (CLASSIC, NIST)}


def get_profile(name: str) -> PolicyProfile:
    try:
        return PROFILES[name]
    except KeyError:
        choices = ", ".join(PROFILES)
        raise ValidationError(f"Unknown policy profile {name!r}: choose one of {choices}.") from None
