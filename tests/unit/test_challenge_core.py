"""The sign-in challenge's state machine: every order of events, email never early."""

from itertools import permutations

import pytest

from secconsole.core.challenge import MAX_TRIES, QUESTION_TRIES, Challenge, Way


def make(methods=(Way.TOTP,), question=True, fallback=True, question_allowed=True, preferred=None):
    return Challenge(1, list(methods), question, question_allowed, fallback, preferred)


def exhaust(c: Challenge, way: Way) -> None:
    for _ in range(QUESTION_TRIES if way is Way.QUESTION else MAX_TRIES):
        c.failed(way)


def test_starts_on_the_preferred_way_else_the_most_secure():
    assert make((Way.PUSH, Way.TOTP, Way.SMS)).first() is Way.PUSH
    assert make((Way.PUSH, Way.TOTP, Way.SMS), preferred="sms").first() is Way.SMS
    assert make((Way.TOTP,), preferred="push").first() is Way.TOTP  # push is not on: ignored


def test_try_another_way_lists_every_method_and_the_question_but_not_email():
    c = make((Way.TOTP, Way.SMS))
    assert c.ways() == [Way.TOTP, Way.SMS, Way.QUESTION]


@pytest.mark.parametrize("order", list(permutations([Way.TOTP, Way.SMS, Way.QUESTION])))
def test_email_comes_only_after_everything_else_failed_in_any_order(order):
    c = make((Way.TOTP, Way.SMS))
    for done, way in enumerate(order, start=1):
        assert Way.EMAIL not in c.ways()
        exhaust(c, way)
    assert c.ways() == [Way.EMAIL]


def test_fewer_wrong_answers_than_the_limit_do_not_open_email():
    c = make()
    for _ in range(MAX_TRIES - 1):
        assert not c.failed(Way.TOTP)
    exhaust(c, Way.QUESTION)
    assert Way.EMAIL not in c.ways()
    assert c.failed(Way.TOTP)
    assert c.ways() == [Way.EMAIL]


def test_a_lock_uses_a_way_up_at_once():
    c = make(question=False)
    assert c.failed(Way.TOTP, locked=True)
    assert c.ways() == [Way.EMAIL]


def test_i_cannot_use_this_method():
    c = make(question=False)
    c.give_up(Way.TOTP)
    assert c.ways() == [Way.EMAIL]


def test_without_a_question_email_follows_the_methods():
    c = make(question=False)
    exhaust(c, Way.TOTP)
    assert c.ways() == [Way.EMAIL]


def test_nist_does_not_count_the_question():
    c = make(question=True, question_allowed=False)
    assert Way.QUESTION not in c.ways()
    exhaust(c, Way.TOTP)
    assert c.ways() == [Way.EMAIL]


def test_fallback_off_ends_at_support():
    c = make(fallback=False)
    exhaust(c, Way.TOTP)
    exhaust(c, Way.QUESTION)
    assert c.ways() == [] and c.out_of_ways


def test_a_used_up_email_code_ends_at_support():
    c = make(question=False)
    exhaust(c, Way.TOTP)
    exhaust(c, Way.EMAIL)
    assert c.out_of_ways


def test_built_from_an_account(sqlite_services):
    from conftest import STRONG
    from tui_helpers import enroll_totp

    svc = sqlite_services
    svc.accounts.create("alice", "alice@example.com", STRONG, source="t")
    enroll_totp(svc, "alice")
    account = svc.accounts.get("alice")
    c = Challenge.for_account(account)
    assert c.methods == [Way.TOTP] and not c.has_question and c.email_fallback
    svc.accounts.complete_sign_in(account.id, "totp", source="t")
    assert Challenge.for_account(svc.accounts.get("alice")).preferred == "totp"


def test_recovery_codes_are_an_option_that_does_not_hold_back_email():
    c = Challenge(1, [Way.TOTP], False, True, True, None, recovery_codes=3)
    assert c.ways() == [Way.TOTP, Way.RECOVERY]
    exhaust(c, Way.TOTP)
    assert c.ways() == [Way.RECOVERY, Way.EMAIL]
    assert make(preferred="recovery").first() is Way.TOTP  # never start on a recovery code
