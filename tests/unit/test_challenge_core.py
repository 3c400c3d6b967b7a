"""The sign-in challenge's state machine: every order of events, email never early."""

from itertools import permutations

import pytest

from secconsole.core.challenge import Challenge
from secconsole.core.methods import registry


def make(methods=("totp",), question=True, fallback=True, question_allowed=True, preferred=None, recovery_codes=0):
    specs = registry.by_security([registry.get(k) for k in methods])
    backups = (["question"] if question and question_allowed else []) + (["recovery"] if recovery_codes else []) + (
        ["email"] if fallback else [])
    return Challenge(1, specs + [registry.get(k) for k in backups], preferred)


def exhaust(c: Challenge, way: str) -> None:
    for _ in range(registry.get(way).capabilities.tries):
        c.failed(way)


def test_starts_on_the_preferred_way_else_the_most_secure():
    assert make(("push", "totp", "sms")).first().kind == "push"
    assert make(("push", "totp", "sms"), preferred="sms").first().kind == "sms"
    assert make(("totp",), preferred="push").first().kind == "totp"  # push is not on: ignored


def test_try_another_way_lists_every_method_and_the_question_but_not_email():
    c = make(("totp", "sms"))
    assert c.kinds() == ["totp", "sms", "question"]


@pytest.mark.parametrize("order", list(permutations(["totp", "sms", "question"])))
def test_email_comes_only_after_everything_else_failed_in_any_order(order):
    c = make(("totp", "sms"))
    for done, way in enumerate(order, start=1):
        assert "email" not in c.kinds()
        exhaust(c, way)
    assert c.kinds() == ["email"]


def test_fewer_wrong_answers_than_the_limit_do_not_open_email():
    c = make()
    for _ in range(registry.get("totp").capabilities.tries - 1):
        assert not c.failed("totp")
    exhaust(c, "question")
    assert "email" not in c.kinds()
    assert c.failed("totp")
    assert c.kinds() == ["email"]


def test_a_lock_uses_a_way_up_at_once():
    c = make(question=False)
    assert c.failed("totp", locked=True)
    assert c.kinds() == ["email"]


def test_i_cannot_use_this_method():
    c = make(question=False)
    c.give_up("totp")
    assert c.kinds() == ["email"]


def test_without_a_question_email_follows_the_methods():
    c = make(question=False)
    exhaust(c, "totp")
    assert c.kinds() == ["email"]


def test_nist_does_not_count_the_question():
    c = make(question=True, question_allowed=False)
    assert "question" not in c.kinds()
    exhaust(c, "totp")
    assert c.kinds() == ["email"]


def test_fallback_off_ends_at_support():
    c = make(fallback=False)
    exhaust(c, "totp")
    exhaust(c, "question")
    assert c.kinds() == [] and c.out_of_ways


def test_a_used_up_email_code_ends_at_support():
    c = make(question=False)
    exhaust(c, "totp")
    exhaust(c, "email")
    assert c.out_of_ways


def test_built_from_an_account(sqlite_services):
    from conftest import STRONG
    from tui_helpers import enroll_totp

    svc = sqlite_services
    svc.accounts.create("alice", "alice@example.com", STRONG, source="t")
    enroll_totp(svc, "alice")
    account = svc.accounts.get("alice")
    c = Challenge.for_account(account)
    assert c.methods == ["totp"] and c.kinds() == ["totp"]
    svc.signin.complete_sign_in(account.id, "totp", source="t")
    assert Challenge.for_account(svc.accounts.get("alice")).preferred == "totp"


def test_recovery_codes_are_an_option_that_does_not_hold_back_email():
    c = make(question=False, recovery_codes=3)
    assert c.kinds() == ["totp", "recovery"]
    exhaust(c, "totp")
    assert c.kinds() == ["recovery", "email"]
    assert make(preferred="recovery").first().kind == "totp"  # never start on a recovery code
