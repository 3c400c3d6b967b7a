"""Clock drift of the authenticator device: what is learned, from which codes, and how it is
forgotten. Issue 11, hole 2: one old code sent twice was learned (and signed in), and after an
offset was learned, on-time codes were refused for good. Codes come from pyotp or, where it is
installed, from oathtool (an implementation independent of ours)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta

import pyotp
import pytest

from secconsole.core import throttle

from conftest import STRONG

SRC = "test"


def phone(secret: str, when: datetime, *, reference: bool = False) -> str:
    """What an authenticator app shows at ``when`` (its own clock)."""
    if reference and shutil.which("oathtool"):
        return subprocess.run(["oathtool", "--totp", "-b", secret, "-N", f"@{int(when.timestamp())}"],
                              capture_output=True, text=True, check=True).stdout.strip()
    return pyotp.TOTP(secret).at(when)


@pytest.fixture
def carol(services):
    return services.accounts.create("carol", "carol@example.com", STRONG, source=SRC)


@pytest.fixture
def secret(services, carol, clock):
    app = services.way("totp")
    pending = app.start(carol.id, carol.username)
    assert app.confirm(pending, phone(pending.secret, clock.now()), source=SRC).ok
    clock.advance(minutes=10)
    return pending.secret


def verify(services, carol, code):
    return services.way("totp").verify(carol.id, code, source=SRC)


def events(services) -> list[str]:
    return [e.kind for e in services.accounts.recent_events("carol", limit=100)]


def test_an_old_unused_code_sent_twice_is_not_learned(services, carol, secret, clock):
    old = phone(secret, clock.now() - timedelta(minutes=6), reference=True)
    first = verify(services, carol, old)
    assert not first.ok and "6 minutes slow" in first.message
    clock.advance(seconds=5)  # the same step
    assert not verify(services, carol, old).ok
    clock.advance(seconds=30)  # a later step: still the same code, not a second one
    assert not verify(services, carol, old).ok
    assert "totp.drift_learned" not in events(services)


def test_two_different_codes_at_one_offset_are_learned(services, carol, secret, clock):
    def slow():
        return phone(secret, clock.now() - timedelta(minutes=4), reference=True)

    assert not verify(services, carol, slow()).ok
    clock.advance(seconds=30)
    learned = verify(services, carol, slow())
    assert learned.ok and "4 minutes slow" in learned.note
    clock.advance(seconds=30)
    assert verify(services, carol, slow()).ok
    assert events(services).count("totp.drift_learned") == 1


def test_codes_more_than_ten_minutes_apart_are_not_learned(services, carol, secret, clock):
    def slow():
        return phone(secret, clock.now() - timedelta(minutes=3))

    assert not verify(services, carol, slow()).ok
    clock.advance(minutes=10, seconds=30)  # 21 steps later: too long ago to be "in a row"
    assert not verify(services, carol, slow()).ok
    clock.advance(seconds=30)  # ... but it starts a new run
    assert verify(services, carol, slow()).ok


def test_drifted_codes_older_than_the_last_accepted_step_are_not_learned(services, carol, secret, clock):
    # An attacker saw one code on the phone before its owner signed in, and one just after.
    before = phone(secret, clock.now() - timedelta(minutes=6))
    assert verify(services, carol, phone(secret, clock.now())).ok  # the owner signs in on time
    after = phone(secret, clock.now() + timedelta(seconds=30))
    clock.advance(seconds=30)
    assert not verify(services, carol, before).ok  # 13 steps slow, and older than that sign-in
    clock.advance(seconds=13 * 30)
    assert not verify(services, carol, after).ok  # 13 steps slow too, but the run never started
    assert "totp.drift_learned" not in events(services)
    clock.advance(seconds=30)
    assert not verify(services, carol, before).ok


def test_on_time_codes_work_after_an_offset_was_learned_and_reset_it(services, carol, secret, clock):
    def fast():
        return phone(secret, clock.now() + timedelta(minutes=3))

    assert not verify(services, carol, fast()).ok
    clock.advance(seconds=30)
    assert verify(services, carol, fast()).ok
    # The owner sets the phone to automatic time, as advised, and comes back later.
    clock.advance(minutes=5)
    fixed = verify(services, carol, phone(secret, clock.now(), reference=True))
    assert fixed.ok, fixed.message
    assert "totp.drift_reset" in events(services)
    clock.advance(seconds=30)
    assert verify(services, carol, phone(secret, clock.now())).ok
    # The old offset is forgotten: a fast code alone is a drift hit again, not a sign-in.
    clock.advance(seconds=30)
    assert not verify(services, carol, fast()).ok


def test_the_window_covers_the_learned_offset_and_zero(services, carol, secret, clock):
    def slow():
        return phone(secret, clock.now() - timedelta(minutes=5))

    assert not verify(services, carol, slow()).ok
    clock.advance(seconds=30)
    assert verify(services, carol, slow()).ok
    clock.advance(seconds=30)
    assert verify(services, carol, phone(secret, clock.now() + timedelta(seconds=30))).ok  # on time (+1)
    assert "totp.drift_reset" in events(services)


def test_a_drift_hit_counts_as_a_failed_attempt(services, carol, secret, clock):
    hit = verify(services, carol, phone(secret, clock.now() - timedelta(minutes=2)))
    assert not hit.ok and hit.checked
    with services.db.transaction(readonly=True) as session:
        assert throttle.check(session, throttle.way_key("totp", carol.id), clock.now(),
                              services.profile.lockout).failures == 1
    assert events(services).count("totp.failed") == 1


def test_the_audit_descriptions_name_the_drift_events():
    from secconsole.core.methods import registry

    assert registry.audit_description("totp.drift_reset")



@pytest.mark.parametrize("learned", range(-20, 21))
def test_on_time_and_learned_codes_are_always_in_the_window(learned):
    """Every learned offset (ten minutes either way), every code a step early, on time or late."""
    from secconsole.core.totp import TotpParams, code_for_step
    from secconsole.core.totp_window import DriftState, drift_radius, judge

    secret, params, current = pyotp.random_base32(32), TotpParams(), 59_000_000
    assert drift_radius(params) == 20
    state = DriftState(learned=learned, last_used=current - 30)
    for late in (-1, 0, 1):
        on_time = judge(secret, code_for_step(secret, current + late, params), current, state, params)
        assert on_time.step == current + late
        assert on_time.reset == (abs(late - learned) > 1)
        shifted = judge(secret, code_for_step(secret, current + learned + late, params), current, state, params)
        assert shifted.step == current + learned + late and not shifted.reset
