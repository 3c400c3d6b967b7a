"""Security question, payments, identity, methods, email fallback and step-up, on SQLite and PostgreSQL."""

import json
import re
from datetime import datetime, timezone

import pytest

from db_helpers import answer_matches
from sqlmodel import select

from secconsole.core import audit
from secconsole.core.views import SignInOutcome
from secconsole.errors import NotFoundError, ValidationError
from secconsole.core.methods import registry
from secconsole.core.payments import card_brand, luhn_ok, parse_expiry
from secconsole.core.methods.question import PRESET_QUESTIONS, normalize_answer
from secconsole.store.models import Account, AuditEvent, BillingMethod, MethodEnrollment

from conftest import STRONG

SRC = "test"
VISA = "4242 4242 4242 4242"


@pytest.fixture
def alice(services):
    return services.accounts.create("alice", "alice@example.com", STRONG, source=SRC)


def kinds(services, account_id):
    return [e.kind for e in services.accounts.recent_events_by_id(account_id, limit=100)]


# -- security question -------------------------------------------------------------------------


def test_answers_ignore_case_and_spacing_and_are_stored_hashed(services, alice):
    services.way("question").set(alice.id, PRESET_QUESTIONS[1], "  New   York ", source=SRC)
    assert answer_matches(services, alice.id, "new york")
    assert answer_matches(services, alice.id, "NEW YORK")
    assert not answer_matches(services, alice.id, "newyork")
    with services.db.transaction() as session:
        row = session.get(Account, alice.id)
        assert row.security_question == PRESET_QUESTIONS[1]
        assert "york" not in row.security_answer_hash.lower() and row.security_answer_hash.startswith("$argon2id$")
    assert services.accounts.get("alice").security_question == PRESET_QUESTIONS[1]
    assert normalize_answer("  Ｎew\tYork ") == "new york"


def test_own_question_change_and_remove(services, alice):
    services.way("question").set(alice.id, "Which teacher did you like best?", "Mrs Patel", source=SRC)
    services.way("question").set(alice.id, PRESET_QUESTIONS[0], "Biscuit", source=SRC)
    assert answer_matches(services, alice.id, "biscuit")
    assert not answer_matches(services, alice.id, "mrs patel")
    services.way("question").remove(alice.id, source=SRC)
    assert services.accounts.get("alice").security_question is None
    assert not answer_matches(services, alice.id, "biscuit")
    with pytest.raises(ValidationError, match="no security question to remove"):
        services.way("question").remove(alice.id, source=SRC)
    assert kinds(services, alice.id).count(audit.QUESTION_SET) == 2
    assert audit.QUESTION_REMOVED in kinds(services, alice.id)


@pytest.mark.parametrize(
    ("question", "answer", "message"),
    [
        ("", "x", "Choose a question or write your own"),
        ("Why?", "because", "at least 10 characters"),
        ("W" * 201, "answer", "too long: 201 characters, at most 200"),
        (PRESET_QUESTIONS[0], "   ", "Enter an answer"),
        (PRESET_QUESTIONS[0], "ab", "at least 3 characters"),
        ("What is the name of your first pet?", "first pet", "may not be part of the question"),
    ],
)
def test_bad_questions_and_answers_change_nothing(services, alice, question, answer, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.way("question").set(alice.id, question, answer, source=SRC)
    assert services.accounts.get("alice").security_question is None


# -- payments ----------------------------------------------------------------------------------


def test_card_rules():
    assert luhn_ok("4242424242424242") and not luhn_ok("4242424242424241")
    assert card_brand("4242424242424242") == "Visa"
    assert card_brand("5555555555554444") == "Mastercard"
    assert card_brand("2223003122003222") == "Mastercard"
    assert card_brand("378282246310005") == "American Express"
    assert card_brand("6011111111111117") == "Discover"
    now = datetime(2026, 1, 15, tzinfo=timezone.utc)
    assert parse_expiry("1/26", now) == (1, 2026)
    assert parse_expiry("04/2030", now) == (4, 2030)


def test_add_list_and_remove_a_card_keeping_only_brand_and_last_four(services, alice):
    card = services.payments.add_card(alice.id, "Alice Liddell", VISA, "04/29", source=SRC)
    assert card.label == "Visa ending in 4242, expires 04/2029"
    assert [c.last4 for c in services.payments.cards(alice.id)] == ["4242"]
    assert services.accounts.get("alice").billing_methods[0].brand == "Visa"
    with services.db.transaction() as session:
        stored = json.dumps([r.model_dump(mode="json") for r in session.exec(select(BillingMethod)).all()])
        events = json.dumps([e.detail for e in session.exec(select(AuditEvent)).all()])
    assert "4242424242424242" not in stored + events and "42424242" not in stored + events
    with pytest.raises(ValidationError, match="already on file"):
        services.payments.add_card(alice.id, "Alice Liddell", VISA, "04/29", source=SRC)
    services.payments.remove_card(alice.id, card.id, source=SRC)
    assert services.payments.cards(alice.id) == []
    with pytest.raises(NotFoundError):
        services.payments.remove_card(alice.id, card.id, source=SRC)
    assert {audit.BILLING_ADDED, audit.BILLING_REMOVED} <= set(kinds(services, alice.id))


@pytest.mark.parametrize(
    ("holder", "number", "expiry", "message"),
    [
        ("", VISA, "04/29", "Enter the name on the card"),
        ("A" * 101, VISA, "04/29", "at most 100 characters"),
        ("Alice", "", "04/29", "Enter the card number"),
        ("Alice", "4242-4242-4242-424x", "04/29", "digits only"),
        ("Alice", "4242 4242", "04/29", "12 to 19 digits; this one has 8"),
        ("Alice", "4242 4242 4242 4241", "04/29", "not valid: check it for a typo"),
        ("Alice", VISA, "13/29", "There is no month 13"),
        ("Alice", VISA, "12/25", "expired at the end of 12/2025"),
        ("Alice", VISA, "2029-04", "The month has 1 or 2 digits"),
        ("Alice", VISA, "04/2099", "looks like a typo"),
    ],
)
def test_bad_cards_are_refused_and_nothing_is_kept(services, alice, holder, number, expiry, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.payments.add_card(alice.id, holder, number, expiry, source=SRC)
    assert services.payments.cards(alice.id) == []


def test_a_card_of_another_account_cannot_be_removed(services, alice):
    bob = services.accounts.create("bob", "bob@example.com", STRONG, source=SRC)
    card = services.payments.add_card(bob.id, "Bob", VISA, "04/29", source=SRC)
    with pytest.raises(NotFoundError):
        services.payments.remove_card(alice.id, card.id, source=SRC)
    assert len(services.payments.cards(bob.id)) == 1


# -- identity ----------------------------------------------------------------------------------


def test_identity_is_checked_against_the_record_on_file(services, alice):
    with pytest.raises(ValidationError, match="no identity record on file"):
        services.identity.verify(alice.id, "Alice Liddell", "1990-04-25", source=SRC)
    services.identity.record(alice.id, "Alice  Liddell", "1990-04-25", source="support")
    with pytest.raises(ValidationError, match="do not match our records"):
        services.identity.verify(alice.id, "Alice Liddell", "1990-04-26", source=SRC)
    assert not services.accounts.get("alice").identity_verified
    services.identity.verify(alice.id, "alice liddell", "1990-04-25", source=SRC)
    view = services.accounts.get("alice")
    assert view.identity_verified
    with services.db.transaction() as session:
        record = session.get(Account, alice.id).identity_record
    assert "liddell" not in record.lower() and "1990" not in record
    assert {audit.IDENTITY_FAILED, audit.IDENTITY_VERIFIED} <= set(kinds(services, alice.id))


def test_demo_mode_accepts_any_plausible_identity(services, alice):
    services.identity.verify(alice.id, "Alice Liddell", "1990-04-25", source=SRC, demo=True)
    assert services.accounts.get("alice").identity_verified


@pytest.mark.parametrize(
    ("name", "born", "message"),
    [
        ("", "1990-01-01", "Enter your legal name"),
        ("R2-D2", "1990-01-01", "letters, spaces"),
        ("Alice", "25/04/1990", "YYYY-MM-DD"),
        ("Alice", "2099-01-01", "cannot be in the future"),
        ("Alice", "2015-01-01", "at least 18"),
    ],
)
def test_bad_identity_details_are_refused(services, alice, name, born, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.identity.verify(alice.id, name, born, source=SRC, demo=True)
    assert not services.accounts.get("alice").identity_verified


def test_identity_attempts_are_throttled(services, alice):
    services.identity.record(alice.id, "Alice Liddell", "1990-04-25", source="support")
    for _ in range(services.profile.lockout.free_failures + 1):
        with pytest.raises(ValidationError, match="do not match"):
            services.identity.verify(alice.id, "Alice Liddell", "1991-01-01", source=SRC)
    with pytest.raises(ValidationError, match="Too many attempts"):
        services.identity.verify(alice.id, "Alice Liddell", "1990-04-25", source=SRC)


# -- methods -----------------------------------------------------------------------------------


def enroll(services, account_id, kind, secret=b"sealed"):
    with services.db.transaction() as session:
        session.add(MethodEnrollment(
            account_id=account_id, kind=kind, status="active", secret=secret, detail="{}",
            created_at=services.clock.now(), enabled_at=services.clock.now(),
        ))


def test_text_messages_need_identity_or_a_billing_method(services, alice):
    assert "Verify your identity or add a billing method" in registry.get("sms").prerequisite_missing(alice)
    services.payments.add_card(alice.id, "Alice", VISA, "04/29", source=SRC)
    view = services.accounts.get("alice")
    assert registry.get("sms").prerequisite_missing(view) is None
    assert registry.get("sms").unavailable_reason(view) is None


def test_disabling_deletes_the_method_and_its_secret(services, alice):
    enroll(services, alice.id, "totp")
    enroll(services, alice.id, "sms")
    assert services.accounts.get("alice").has_second_step
    assert services.enrollments.disable(alice.id, "totp", source=SRC) is True
    assert services.enrollments.disable(alice.id, "sms", source=SRC) is False
    with services.db.transaction() as session:
        assert session.exec(select(MethodEnrollment)).all() == []
    assert not services.accounts.get("alice").has_second_step
    with pytest.raises(ValidationError, match="already off"):
        services.enrollments.disable(alice.id, "sms", source=SRC)
    assert kinds(services, alice.id).count(audit.METHOD_DISABLED) == 2


# -- email fallback and step-up ----------------------------------------------------------------


def test_email_fallback_switch_is_audited_once_per_change(services, alice):
    assert services.accounts.set_email_fallback(alice.id, False, source=SRC).email_fallback_enabled is False
    services.accounts.set_email_fallback(alice.id, False, source=SRC)
    assert kinds(services, alice.id).count(audit.EMAIL_FALLBACK_CHANGED) == 1
    assert services.accounts.set_email_fallback(alice.id, True, source=SRC).email_fallback_enabled


def test_step_up_by_password_shares_the_sign_in_throttle(services, alice):
    assert services.signin.reauthenticate(alice.id, STRONG, source=SRC).ok
    for _ in range(services.profile.lockout.free_failures + 1):
        result = services.signin.reauthenticate(alice.id, "wrong", source=SRC)
    assert result.outcome is SignInOutcome.INVALID and result.retry_after > 0
    assert services.signin.sign_in("alice", STRONG, source=SRC).outcome is SignInOutcome.WAIT
    assert {audit.STEPUP_SUCCEEDED, audit.STEPUP_FAILED} <= set(kinds(services, alice.id))


def test_question_as_a_challenge_answer_is_throttled_and_audited(services, alice):
    services.way("question").set(alice.id, PRESET_QUESTIONS[0], "Biscuit", source=SRC)
    assert services.way("question").verify(alice.id, " BISCUIT ", source=SRC).ok
    with pytest.raises(ValidationError, match="Enter the answer to your security question"):
        services.way("question").verify(alice.id, "   ", source=SRC)
    for _ in range(services.profile.lockout.free_failures + 1):
        result = services.way("question").verify(alice.id, "Rex", source=SRC)
    assert not result.ok and result.retry_after > 0
    assert not services.way("question").verify(alice.id, "Biscuit", source=SRC).ok  # must wait
    assert "question.failed" in kinds(services, alice.id)


def test_a_locked_question_tells_the_owner(services, alice, clock):
    from secconsole.core.delivery import recent_outbox

    services.way("question").set(alice.id, PRESET_QUESTIONS[0], "Biscuit", source=SRC)
    for _ in range(services.profile.lockout.lock_after):
        services.way("question").verify(alice.id, "Rex", source=SRC)
        clock.advance(seconds=services.profile.lockout.backoff_max_seconds)
    assert services.way("question").verify(alice.id, "Biscuit", source=SRC).locked
    assert [m.subject for m in recent_outbox(services.db, services.box, account_id=alice.id)] == [
        "Your SecConsole account was locked", "Your security question was set"]
    assert "account.locked" in kinds(services, alice.id)
