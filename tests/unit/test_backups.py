"""What Settings' warnings say about backups, counted from real account states (core.views.Backups)."""

from __future__ import annotations

import pytest

from secconsole.core.views import Backups

from conftest import STRONG
from tui_helpers import enroll_totp

SRC = "test"


@pytest.fixture
def svc(sqlite_services):
    sqlite_services.accounts.create("alice", "alice@example.com", STRONG, source=SRC)
    return sqlite_services


def backups(svc, **kwargs) -> Backups:
    return Backups.of(svc.accounts.get("alice"), **kwargs)


def alice_id(svc) -> int:
    return svc.accounts.get("alice").id


def test_a_new_account_has_nothing_but_the_email_fallback(svc):
    b = backups(svc)
    assert (b.methods, b.recovery_codes_left, b.question, b.email_fallback) == ((), 0, False, True)
    assert b.removing_question() == "No second step is on, so the question is not asked when you sign in now."
    assert b.turning_off("totp") == (
        "It is your last second step: your account will be protected by your password alone.")


def test_removing_the_question_counts_the_recovery_codes(svc):
    """The reported case: ten recovery codes, yet the warning said email or support was all."""
    enroll_totp(svc, "alice")
    svc.way("question").set(alice_id(svc), "In what city were you born?", "Paris", source=SRC)
    svc.way("recovery").generate(alice_id(svc), source=SRC)
    assert backups(svc).removing_question() == (
        "Without it, when you cannot use the authenticator app, you have "
        "10 recovery codes left, a code by email, then support.")


def test_a_used_code_and_the_fallback_switched_off_are_counted(svc):
    enroll_totp(svc, "alice")
    svc.way("question").set(alice_id(svc), "In what city were you born?", "Paris", source=SRC)
    codes = svc.way("recovery").generate(alice_id(svc), source=SRC)
    assert svc.way("recovery").verify(alice_id(svc), codes[0], source=SRC).ok
    svc.accounts.set_email_fallback(alice_id(svc), False, source=SRC)
    b = backups(svc)
    assert b.recovery_codes_left == 9
    assert b.removing_question() == (
        "Without it, when you cannot use the authenticator app, you have 9 recovery codes left, then support.")
    assert b.fallback_off() == (
        "Email fallback is off: when you cannot use the authenticator app, you have "
        "9 recovery codes left, your security question, then support.")
    assert b.replacing_codes() == "Your 9 codes left stop working as soon as the new ones exist."


def test_with_nothing_left_only_support_is_named(svc):
    enroll_totp(svc, "alice")
    svc.way("question").set(alice_id(svc), "In what city were you born?", "Paris", source=SRC)
    svc.accounts.set_email_fallback(alice_id(svc), False, source=SRC)
    assert backups(svc).removing_question() == (
        "Without it, when you cannot use the authenticator app, you have only support.")


def test_under_nist_the_question_is_not_counted(svc):
    enroll_totp(svc, "alice")
    svc.way("question").set(alice_id(svc), "In what city were you born?", "Paris", source=SRC)
    assert "security question" not in backups(svc, question_counts=False).fallback_off()
    assert "security question" in backups(svc).fallback_off()


def test_turning_off_one_of_two_methods_names_the_one_kept(svc):
    from dataclasses import replace

    enroll_totp(svc, "alice")
    svc.way("recovery").generate(alice_id(svc), source=SRC)
    # A second method as Settings would see it (no second method has a service in this version).
    b = replace(backups(svc), methods=("text messages", "the authenticator app"), method_kinds=("sms", "totp"))
    assert b.turning_off("totp") == (
        "You keep text messages. When you cannot use text messages, you have "
        "10 recovery codes left, a code by email, then support.")
    assert backups(svc).turning_off("totp").startswith("It is your last second step")
