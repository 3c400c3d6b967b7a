"""The method contract: every registered way, and a throwaway one registered only here, passes
the same checks, as far as its capabilities say (an answer may be reusable; recovery codes are
generated, not enrolled; a code may need sending first). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from secconsole.core.methods import Answer, Reason, Role, Setup, registry
from secconsole.errors import SecConsoleError
from method_drivers import DRIVERS, KINDS, enrolled_way
from throwaway_method import registered


def test_every_available_way_has_a_driver():
    """A new way must join this suite: give it a driver."""
    assert {s.kind for s in registry.all_ways() if s.available} <= set(DRIVERS)


@pytest.fixture(params=KINDS)
def way(request, config, clock):
    with enrolled_way(request, config, clock, request.param) as enrolled:
        yield enrolled


def verify(services, spec, driver, answer):
    return services.way(spec.kind).verify(driver.account_id, answer, source="t")


def test_enrolled_way_shows_on_the_account(way):
    spec, services, driver = way
    assert services.accounts.get("alice").method(spec.kind).enabled
    if spec.role is Role.METHOD:
        assert spec.kind in services.accounts.get("alice").second_steps


def test_right_answer_passes_and_wrong_is_refused_with_a_reason(way):
    spec, services, driver = way
    wrong = verify(services, spec, driver, driver.wrong())
    assert not wrong.ok and wrong.checked and wrong.reason in (Reason.WRONG, Reason.EXPIRED) and wrong.message
    right = verify(services, spec, driver, driver.right())
    assert right.ok and right.reason is Reason.ACCEPTED, right


def test_replay(way):
    spec, services, driver = way
    answer = driver.right()
    assert verify(services, spec, driver, answer).ok
    again = verify(services, spec, driver, answer)
    if spec.capabilities.single_use:
        assert not again.ok and again.reason in (Reason.REPLAYED, Reason.WRONG, Reason.EXPIRED)
        assert verify(services, spec, driver, driver.next_right()).ok
    else:
        assert again.ok


def test_locks_at_the_profiles_limit_and_unlock_clears_it(way):
    spec, services, driver = way
    if spec.capabilities.answer is Answer.NONE:
        pytest.skip(f"{spec.kind}: nothing is typed, so nothing can be guessed; a refusal is its owner's denial. "
                    "Prompts are limited instead (growing waits, an hourly cap, tests/unit/test_push_core.py)")
    limit = services.profile.lockout.lock_after
    for n in range(limit):
        result = verify(services, spec, driver, driver.wrong())
        assert not result.ok
        services.clock.advance(seconds=services.profile.lockout.backoff_max_seconds)
    assert result.locked
    assert spec.kind in services.accounts.get("alice").locked_ways
    blocked = verify(services, spec, driver, driver.right())
    assert not blocked.ok and blocked.reason is Reason.LOCKED and not blocked.checked
    assert services.accounts.unlock("alice", source="t")
    assert spec.kind not in services.accounts.get("alice").locked_ways
    assert verify(services, spec, driver, driver.next_right()).ok


@pytest.mark.parametrize("hostile", ["[/]", "[@click=app.quit]x", "\x00\x1b]52;c;AAAA\x07", "٠١٢٣٤٥", "9" * 10_000, ""])
def test_hostile_answers_get_a_message_and_no_crash(way, hostile):
    spec, services, driver = way
    try:
        result = verify(services, spec, driver, hostile)
    except SecConsoleError as exc:
        assert str(exc)
    else:
        assert not result.ok and result.message


def test_methods_turn_off_and_take_their_secret(way):
    spec, services, driver = way
    if spec.capabilities.setup is not Setup.WIZARD:
        pytest.skip(f"{spec.kind} is not turned on and off by a switch")
    services.enrollments.disable(driver.account_id, spec.kind, source="t")
    assert not services.accounts.get("alice").method(spec.kind).enabled
    if spec.kind == "push":  # its "secret" is the paired devices' keys
        assert services.way("push").devices(driver.account_id) == []
    with pytest.raises(SecConsoleError):
        services.enrollments.disable(driver.account_id, spec.kind, source="t")


def test_unlock_counters_come_from_the_registry():
    from secconsole.core import throttle

    with registered():
        assert "pin:7" in throttle.account_keys(7, "alice")
    assert "pin:7" not in throttle.account_keys(7, "alice")
    with pytest.raises(ValueError):
        throttle.way_key("pin", 7)
