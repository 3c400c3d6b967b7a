"""Locks: every lock, on every way and counter, is audited, told to the owner once, shown and
cleared by support; classic's sign-in lock expires (15 minutes, doubling), nist's 100th failure
and every per-way and per-source lock stay until support. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from conftest import STRONG, STRONG_2, make_config, open_test_services
from secconsole.core import audit, throttle
from secconsole.core.methods import Reason
from secconsole.core.policy import CLASSIC, NIST
from secconsole.core.totp import TotpParams, code_at
from secconsole.core.views import SignInOutcome
from secconsole.errors import ValidationError
from throttle_helpers import events, failures_of, lock_notices, set_failures
from tui_helpers import enroll_totp

SRC = "test"


@pytest.fixture
def alice(services):
    return services.accounts.create("alice", "alice@example.com", STRONG, source=SRC)


# -- every lock is audited, told once, shown and cleared (hole 7) --------------------------------


def wrong_until_locked(services, attempt, rules) -> None:
    """Wrong answers, each after any back-off, until the counter locks; then two more (refused)."""
    for _ in range(rules.lock_after):
        attempt()
        services.clock.advance(seconds=rules.backoff_max_seconds)
    for _ in range(2):
        attempt()


def lock_by_signin(services, alice):
    wrong_until_locked(services, lambda: services.signin.sign_in("alice", "bad", source=SRC),
                       services.profile.signin_lockout)


def lock_by_step_up(services, alice):
    wrong_until_locked(services, lambda: services.signin.reauthenticate(alice.id, "bad", source=SRC),
                       services.profile.signin_lockout)


def lock_by_change_password(services, alice):
    def attempt():
        with pytest.raises(ValidationError):
            services.passwords.change_password(alice.id, "bad", STRONG_2, source=SRC)

    wrong_until_locked(services, attempt, services.profile.signin_lockout)


def lock_by_identity(services, alice):
    services.identity.record(alice.id, "Alice Liddell", "1990-04-25", source="support")

    def attempt():
        with pytest.raises(ValidationError):
            services.identity.verify(alice.id, "Alice Liddell", "1991-01-01", source=SRC)

    wrong_until_locked(services, attempt, services.profile.lockout)


def lock_by_replayed_code(services, alice):
    """A used authenticator code sent again: the replay that reaches the limit locks the app."""
    secret = enroll_totp(services, "alice")
    code = code_at(secret, services.clock.now(), TotpParams())
    assert services.way("totp").verify(alice.id, code, source=SRC).ok
    set_failures(services, throttle.way_key("totp", alice.id), services.profile.lockout.lock_after - 1)
    replayed = services.way("totp").verify(alice.id, code, source=SRC)
    assert replayed.reason is Reason.REPLAYED and replayed.locked
    for _ in range(2):
        assert services.way("totp").verify(alice.id, code, source=SRC).reason is Reason.LOCKED


LOCKERS = {
    "sign-in": (lock_by_signin, None),
    "step-up": (lock_by_step_up, None),
    "change-password": (lock_by_change_password, None),
    "identity": (lock_by_identity, "identity"),
    "replayed code": (lock_by_replayed_code, "totp"),
}


@pytest.mark.parametrize("path", list(LOCKERS))
def test_every_lock_is_audited_told_once_shown_and_cleared(services, alice, path):
    lock, way = LOCKERS[path]
    lock(services, alice)
    locks = events(services, alice.id, audit.ACCOUNT_LOCKED)
    assert len(locks) == 1, locks
    notices = lock_notices(services, alice.id)
    assert len(notices) == 1 and locks[0].ref in notices[0].body
    view = services.accounts.get("alice")
    assert (view.locked, view.locked_ways) == ((True, []) if way is None else (False, [way]))
    assert services.support.unlock("alice", source="support")
    view = services.accounts.get("alice")
    assert not view.locked and view.locked_ways == [] and view.failures == 0


# -- classic: the sign-in lock expires (hole 11) ------------------------------------------------


def test_lock_figures_per_profile():
    rules = CLASSIC.signin_lockout
    assert [rules.lock_seconds(n) // 60 for n in range(10, 15)] == [15, 30, 60, 120, 240]
    assert rules.lock_seconds(40) == rules.lock_max_minutes * 60
    assert rules.lock_seconds(100) is None  # SP 800-63B: at most 100 consecutive failures
    for hard in (CLASSIC.lockout, CLASSIC.source_lockout, NIST.signin_lockout, NIST.lockout, NIST.source_lockout):
        assert hard.lock_seconds(hard.lock_after) is None
    assert NIST.signin_lockout.lock_after == 100


def test_classic_sign_in_lock_expires_doubling_and_keeps_the_count(services, alice, clock):
    key = throttle.signin_key("alice")
    set_failures(services, key, 9)
    first = services.signin.sign_in("alice", "bad", source=SRC)
    assert first.outcome is SignInOutcome.LOCKED and first.retry_after == 15 * 60
    assert "Try again in 15 minutes, or contact support" in first.message
    clock.advance(minutes=14)
    assert services.signin.sign_in("alice", STRONG, source=SRC).outcome is SignInOutcome.LOCKED
    clock.advance(minutes=1)
    assert services.accounts.get("alice").failures == 10  # the expiry did not reset the count
    again = services.signin.sign_in("alice", "bad", source=SRC)
    assert again.outcome is SignInOutcome.LOCKED and again.retry_after == 30 * 60
    clock.advance(minutes=30)
    assert services.signin.sign_in("alice", STRONG, source=SRC).ok
    assert failures_of(services, key) == 0
    bodies = [m.body for m in lock_notices(services, alice.id)]
    assert len(bodies) == 2 and "locked for 30 minutes" in bodies[0] and "locked for 15 minutes" in bodies[1]


def test_classic_locks_for_good_at_the_hundredth_failure(services, alice, clock):
    set_failures(services, throttle.signin_key("alice"), 99)
    hard = services.signin.sign_in("alice", "bad", source=SRC)
    assert hard.outcome is SignInOutcome.LOCKED and hard.retry_after == 0 and "Contact support" in hard.message
    clock.advance(days=400)
    assert services.signin.sign_in("alice", STRONG, source=SRC).outcome is SignInOutcome.LOCKED


def test_classic_way_and_source_locks_do_not_expire(services, alice, clock):
    secret = enroll_totp(services, "alice")
    set_failures(services, throttle.way_key("totp", alice.id), services.profile.lockout.lock_after - 1)
    assert services.way("totp").verify(alice.id, "000000", source=SRC).locked
    source = "ssh 198.51.100.7"
    set_failures(services, throttle.source_key(source), services.profile.source_lockout.lock_after - 1)
    assert services.signin.sign_in("nobody", "guess", source=source).outcome is SignInOutcome.INVALID
    assert len(events(services, None, audit.SOURCE_LOCKED)) == 1
    clock.advance(days=60)
    late = services.way("totp").verify(alice.id, code_at(secret, clock.now(), TotpParams()), source=SRC)
    assert late.reason is Reason.LOCKED
    blocked = services.signin.sign_in("alice", STRONG, source=source)
    assert blocked.outcome is SignInOutcome.LOCKED and blocked.from_source


def test_nist_hundredth_failure_is_a_hard_lock(request, tmp_path, db_url, clock):
    services = open_test_services(request, make_config(tmp_path, db_url, policy="nist"), clock)
    try:
        services.accounts.create("alice", "alice@example.com", "correct horse battery staple", source=SRC)
        set_failures(services, throttle.signin_key("alice"), 99)
        locked = services.signin.sign_in("alice", "bad", source=SRC)
        assert locked.outcome is SignInOutcome.LOCKED and locked.retry_after == 0
        clock.advance(days=400)
        assert services.signin.sign_in("alice", "correct horse battery staple", source=SRC).outcome is SignInOutcome.LOCKED
    finally:
        services.close()


# -- counted before it is checked -----------------------------------------------------------------


def test_a_right_password_at_the_threshold_signs_in_and_takes_its_attempt_back(services, alice):
    key, source = throttle.signin_key("alice"), throttle.source_key(SRC)
    set_failures(services, key, 9)
    set_failures(services, source, services.profile.source_lockout.lock_after - 1)
    assert services.signin.sign_in("alice", STRONG, source=SRC).ok
    assert failures_of(services, key) == 0  # a success forgets the account's failures
    assert failures_of(services, source) == services.profile.source_lockout.lock_after - 1  # only its own back
    assert not events(services, alice.id, audit.ACCOUNT_LOCKED) and not events(services, None, audit.SOURCE_LOCKED)


def test_a_right_current_password_is_taken_back_even_when_the_new_one_is_refused(services, alice):
    set_failures(services, throttle.signin_key("alice"), 5)
    with pytest.raises(ValidationError, match="used this password recently|differ"):
        services.passwords.change_password(alice.id, STRONG, STRONG, source=SRC)
    assert failures_of(services, throttle.signin_key("alice")) == 0


def test_a_refusal_counts_nothing_and_leaves_no_row(services):
    source = "ssh 203.0.113.9"
    set_failures(services, throttle.source_key(source), services.profile.source_lockout.lock_after - 1)
    services.signin.sign_in("ghost", "guess", source=source)  # locks the source
    assert services.signin.sign_in("ghost2", "guess", source=source).from_source
    assert failures_of(services, throttle.signin_key("ghost2")) == 0
    with services.db.transaction(readonly=True) as session:
        from secconsole.store.models import Throttle

        assert session.get(Throttle, throttle.signin_key("ghost2")) is None
