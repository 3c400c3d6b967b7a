import pytest

from secconsole.core.passwords import PasswordHasher, check_password, is_common, normalize
from secconsole.core.policy import CLASSIC, NIST, LockoutRules, get_profile
from secconsole.errors import ValidationError


def failing(check):
    return {r.id for r in check.problems}


def test_hash_is_argon2id_with_owasp_parameters():
    hashed = PasswordHasher().hash("Tulip-Harbor-42!")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_verify_accepts_the_password_and_nothing_else():
    hasher = PasswordHasher()
    hashed = hasher.hash("Tulip-Harbor-42!")
    assert hasher.verify(hashed, "Tulip-Harbor-42!")
    assert not hasher.verify(hashed, "tulip-harbor-42!")
    assert not hasher.verify("not a hash", "Tulip-Harbor-42!")


def test_verification_normalises_unicode_nfkc():
    hasher = PasswordHasher()
    hashed = hasher.hash("Ｔｕｌｉｐ-Harbor-42!")  # full-width letters
    assert hasher.verify(hashed, "Tulip-Harbor-42!")
    assert normalize("ﬁ") == "fi"


def test_needs_rehash_only_when_parameters_differ():
    current = PasswordHasher()
    weaker = PasswordHasher(memory_kib=8192, time_cost=1)
    assert not current.needs_rehash(current.hash("x"))
    assert current.needs_rehash(weaker.hash("x"))


def test_classic_requires_every_character_class_and_length():
    assert failing(check_password("abcdefghij", CLASSIC)) >= {"upper", "digit", "symbol"}
    assert "length" in failing(check_password("Ab1!x", CLASSIC))
    assert check_password("Tulip-Harbor-42!", CLASSIC).ok


def test_nist_has_no_composition_rules_and_needs_15_without_second_step():
    long_plain = "violet orbit canyon drums"
    assert check_password(long_plain, NIST).ok
    assert not check_password(long_plain, CLASSIC).ok
    assert "length" in failing(check_password("orbit-canyon", NIST))
    assert check_password("orbit-canyon", NIST, has_second_step=True).ok
    assert not {"upper", "lower", "digit", "symbol"} & {r.id for r in check_password("x", NIST).rules}


def test_common_and_breached_passwords_are_rejected_in_both_profiles():
    for profile in (CLASSIC, NIST):
        assert "common" in failing(check_password("password", profile))
        assert "common" in failing(check_password("Summer2024!", profile))  # our bundled addition
    assert is_common("PASSWORD")  # case does not help


def test_guessable_passwords_fail_with_a_reason():
    check = check_password("Qwerty123456789!", NIST)
    rule = next(r for r in check.rules if r.id == "guessable")
    assert not rule.ok
    assert rule.hint


def test_password_may_not_contain_the_username_or_email_name():
    assert "personal" in failing(check_password("xx-Alice-77-Zebra!", CLASSIC, username="alice"))
    assert "personal" in failing(check_password("Zz9!-jsmith-Qq", CLASSIC, email="jsmith@example.com"))


def test_confirmation_must_match():
    assert "match" in failing(check_password("Tulip-Harbor-42!", CLASSIC, confirm="Tulip-Harbor-43!"))
    assert check_password("Tulip-Harbor-42!", CLASSIC, confirm="Tulip-Harbor-42!").ok


def test_too_long_is_refused():
    assert "max_length" in failing(check_password("Aa1!" + "x" * 200, CLASSIC))


def test_the_problems_sentence_names_every_broken_rule_in_the_checklists_words():
    verdict = check_password("short", CLASSIC)
    sentence = verdict.problems_sentence()
    assert sentence.startswith("Password must meet: at least 10 characters; an uppercase letter; a number; a symbol")
    assert all(rule.label.lower() in sentence for rule in verdict.problems) and len(verdict.problems) >= 5
    assert check_password("Tulip-harbor", CLASSIC).problems_sentence() == "Password must meet: a number."
    assert ".)" not in check_password("password", CLASSIC).problems_sentence()  # a hint's own stop dropped
    assert check_password("Tulip-Harbor-42!", CLASSIC).problems_sentence() == ""


def test_backoff_doubles_after_the_free_failures_and_is_capped():
    rules = LockoutRules(free_failures=3, backoff_base_seconds=2, backoff_max_seconds=10, lock_after=10)
    assert [rules.delay_after(n) for n in range(1, 8)] == [0, 0, 0, 2, 4, 8, 10]


def test_profiles_respect_sp_800_63b_lock_limit():
    assert NIST.lockout.lock_after <= 100
    assert CLASSIC.lockout.lock_after < NIST.lockout.lock_after


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValidationError, match="classic, nist"):
        get_profile("strict")
