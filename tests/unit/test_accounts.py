"""Account service on real SQLite and PostgreSQL databases."""

import json
import re
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from secconsole.core import audit
from secconsole.core.views import SignInOutcome
from secconsole.errors import NotFoundError, ValidationError
from secconsole.core.passwords import PasswordHasher
from secconsole.store.models import Account, AuditEvent, PasswordHistory

from conftest import STRONG, STRONG_2

SRC = "test"


def create(services, name="alice", password=STRONG, email=None):
    return services.accounts.create(name, email or f"{name}@example.com", password, source=SRC)


def test_create_and_read_back(services):
    view = create(services, "Alice", email="alice@example.com")
    again = services.accounts.get("ALICE")
    assert again.id == view.id and again.username == "Alice" and again.email == "alice@example.com"
    assert not again.has_second_step and again.email_fallback_enabled and not again.identity_verified
    assert [m.kind for m in again.methods] == ["push", "sms", "totp", "question", "recovery", "email"]


def test_usernames_are_unique_whatever_their_case(services):
    create(services, "alice")
    with pytest.raises(ValidationError, match="taken"):
        create(services, "ALICE", email="other@example.com")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a username"),
        ("al", "3 to 32"),
        ("[/]", "not '['"),
        ("a b", "not ' '"),
        ("-alice", "start with a letter"),
        ("x" * 33, "3 to 32"),
    ],
)
def test_bad_usernames_are_refused_with_a_reason_and_nothing_is_written(services, name, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        create(services, name)
    assert services.accounts.list() == []


def test_bad_email_is_refused(services):
    with pytest.raises(ValidationError, match="email address is not valid"):
        create(services, "alice", email="[@click=app.quit]x@example.com")


def test_weak_password_is_refused_with_the_rule(services):
    with pytest.raises(ValidationError, match="uppercase"):
        create(services, "alice", password="lowercase-only-pass1!")


def test_sign_in_succeeds_and_is_audited(services):
    create(services)
    result = services.signin.sign_in("ALICE", STRONG, source="ssh 203.0.113.9")
    assert result.ok and result.account.username == "alice"
    events = services.accounts.recent_events("alice")
    assert events[0].kind == audit.SIGNIN_SUCCEEDED and events[0].source == "ssh 203.0.113.9"
    assert services.accounts.get("alice").last_sign_in_at == services.clock.now()


def test_wrong_password_and_unknown_user_look_the_same(services):
    create(services)
    wrong = services.signin.sign_in("alice", "nope", source=SRC)
    unknown = services.signin.sign_in("mallory", "nope", source=SRC)
    assert wrong.outcome is unknown.outcome is SignInOutcome.INVALID
    assert wrong.message == unknown.message == "That username and password do not match."


def test_failures_back_off_then_lock_and_support_can_unlock(services, clock):
    create(services)
    rules = services.profile.signin_lockout
    for _ in range(rules.free_failures):
        assert services.signin.sign_in("alice", "bad", source=SRC).retry_after == 0
    result = services.signin.sign_in("alice", "bad", source=SRC)
    assert result.retry_after == rules.backoff_base_seconds
    waiting = services.signin.sign_in("alice", STRONG, source=SRC)  # even the right password waits
    assert waiting.outcome is SignInOutcome.WAIT and "Try again in 2 seconds" in waiting.message
    failures = rules.free_failures + 1
    while failures < rules.lock_after:
        clock.advance(seconds=rules.backoff_max_seconds)
        result = services.signin.sign_in("alice", "bad", source=SRC)
        failures += 1
    assert result.outcome is SignInOutcome.LOCKED and result.ref in result.message
    clock.advance(minutes=14)  # classic's lock lasts 15 minutes (test_lockout.py): support need not wait
    assert services.signin.sign_in("alice", STRONG, source=SRC).outcome is SignInOutcome.LOCKED
    assert services.accounts.get("alice").locked
    assert services.accounts.unlock("alice", source="support")
    assert services.signin.sign_in("alice", STRONG, source=SRC).ok
    kinds = [e.kind for e in services.accounts.recent_events("alice", limit=100)]
    assert audit.ACCOUNT_LOCKED in kinds and audit.ACCOUNT_UNLOCKED in kinds


def test_unknown_usernames_are_throttled_too(services):
    for _ in range(services.profile.lockout.free_failures + 1):
        result = services.signin.sign_in("ghost", "bad", source=SRC)
    assert result.retry_after > 0


def test_success_clears_the_failure_count(services, clock):
    create(services)
    for _ in range(3):
        services.signin.sign_in("alice", "bad", source=SRC)
    assert services.signin.sign_in("alice", STRONG, source=SRC).ok
    assert services.accounts.get("alice").failures == 0


@pytest.mark.real_hasher  # asserts the production parameters
def test_old_hash_parameters_are_upgraded_at_sign_in(services):
    create(services)
    weak = PasswordHasher(memory_kib=8192, time_cost=1).hash(STRONG)
    with services.db.transaction() as session:
        account = session.exec(select(Account)).one()
        account.password_hash = weak
    assert services.signin.sign_in("alice", STRONG, source=SRC).ok
    with services.db.transaction() as session:
        assert session.exec(select(Account)).one().password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert audit.PASSWORD_REHASHED in [e.kind for e in services.accounts.recent_events("alice")]


def test_change_password_needs_the_current_one(services):
    view = create(services)
    with pytest.raises(ValidationError, match="current password is not correct"):
        services.passwords.change_password(view.id, "wrong", STRONG_2, source=SRC)
    assert services.signin.sign_in("alice", STRONG, source=SRC).ok


def test_classic_refuses_the_last_five_passwords(services, clock):
    view = create(services)
    passwords = [STRONG, "Amber-Lantern-51@", "Cedar-Violin-73#", "Delta-Mosaic-86$", "Ember-Nickel-94%"]
    for old, new in zip(passwords, passwords[1:]):
        clock.advance(minutes=1)
        services.passwords.change_password(view.id, old, new, source=SRC)
    current = passwords[-1]
    for reused in passwords:
        with pytest.raises(ValidationError, match="last 5 passwords"):
            services.passwords.change_password(view.id, current, reused, source=SRC)
    clock.advance(minutes=1)
    services.passwords.change_password(view.id, current, "Fable-Orchid-27^", source=SRC)
    clock.advance(minutes=1)
    # STRONG is now six passwords back: allowed again.
    services.passwords.change_password(view.id, "Fable-Orchid-27^", STRONG, source=SRC)
    with services.db.transaction() as session:
        assert len(session.exec(select(PasswordHistory)).all()) == 4


def test_change_password_checks_the_policy_and_audits(services):
    view = create(services)
    with pytest.raises(ValidationError, match="Password must meet"):
        services.passwords.change_password(view.id, STRONG, "short", source=SRC)
    changed = services.passwords.change_password(view.id, STRONG, STRONG_2, source=SRC)
    assert changed.password_changed_at == services.clock.now()
    assert services.signin.sign_in("alice", STRONG_2, source=SRC).ok
    assert not services.signin.sign_in("alice", STRONG, source=SRC).ok
    assert audit.PASSWORD_CHANGED in [e.kind for e in services.accounts.recent_events("alice", limit=50)]


def test_classic_reminds_after_90_days(services, clock):
    create(services)
    clock.advance(days=89)
    assert not services.accounts.get("alice").password_reminder
    clock.advance(days=1)
    view = services.accounts.get("alice")
    assert view.password_reminder and view.password_age_days == 90


def test_no_secret_ever_reaches_the_audit_log(services):
    view = create(services)
    services.signin.sign_in("alice", "Guess-Attempt-99!", source=SRC)
    services.passwords.change_password(view.id, STRONG, STRONG_2, source=SRC)
    with services.db.transaction() as session:
        rows = session.exec(select(AuditEvent)).all()
    blob = json.dumps([[r.kind, r.detail, r.source, r.username] for r in rows])
    for secret in (STRONG, STRONG_2, "Guess-Attempt-99!"):
        assert secret not in blob
    with pytest.raises(ValueError):
        with services.db.transaction() as session:
            audit.record(session, at=services.clock.now(), kind="x", source=SRC, password="p")


def test_unlock_of_an_unknown_account_says_so(services):
    with pytest.raises(NotFoundError, match="no account named 'nobody'"):
        services.accounts.unlock("nobody", source=SRC)


@pytest.mark.real_hasher  # the second opener hashes for real: both sides take as long as before
def test_two_racing_creations_of_one_name_make_one_account(services):
    from secconsole.services import open_services

    other = open_services(services.config, clock=services.clock)
    outcomes = []

    def attempt(svc, email):
        try:
            svc.accounts.create("racer", email, STRONG, source=SRC)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=attempt, args=(s, f"r{i}@example.com")) for i, s in enumerate((services, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert sorted(outcomes) == ["That username is taken: choose another.", "ok"]
    assert [a.username for a in services.accounts.list()] == ["racer"]


def test_nist_profile_lets_eight_characters_do_with_a_second_step(tmp_path, db_url, clock):
    from conftest import make_config
    from secconsole.core.methods import MethodState
    from secconsole.services import open_services

    svc = open_services(make_config(tmp_path, db_url, policy="nist"), clock=clock, migrate=True)
    try:
        with pytest.raises(ValidationError, match="at least 15"):
            svc.accounts.create("nina", "nina@example.com", "orbit-canyon", source=SRC)
        view = svc.accounts.create("nina", "nina@example.com", "violet orbit canyon drums", source=SRC)
        assert not svc.passwords.check_new_password("orbit-canyon", view).ok
        from dataclasses import replace

        with_mfa = replace(view, methods=[MethodState("totp", enabled=True)])
        assert svc.passwords.check_new_password("orbit-canyon", with_mfa).ok
        clock.advance(days=400)
        assert not svc.accounts.get("nina").password_reminder
    finally:
        svc.close()


def test_a_lock_sends_the_owner_a_notice(services, clock):
    from secconsole.core.delivery import recent_outbox

    view = create(services)
    rules = services.profile.lockout
    for _ in range(rules.lock_after):
        services.signin.sign_in("alice", "bad", source=SRC)
        clock.advance(seconds=rules.backoff_max_seconds)
    notices = recent_outbox(services.db, services.box, account_id=view.id)
    assert [m.subject for m in notices] == ["Your SecConsole account was locked"]


def test_one_source_trying_many_names_is_slowed_without_naming_anyone(services, clock):
    create(services)
    rules = services.profile.source_lockout
    for n in range(rules.free_failures + 1):
        assert services.signin.sign_in(f"user{n}", "guess", source="ssh 198.51.100.7").retry_after == 0
    blocked = services.signin.sign_in("user99", "guess", source="ssh 198.51.100.7")
    assert blocked.outcome is SignInOutcome.WAIT and "from this connection" in blocked.message
    assert services.signin.sign_in("alice", STRONG, source="ssh 198.51.100.7").outcome is SignInOutcome.WAIT
    assert services.signin.sign_in("alice", STRONG, source="ssh 203.0.113.1").ok  # elsewhere is fine
    clock.advance(seconds=rules.backoff_max_seconds)
    assert services.signin.sign_in("alice", STRONG, source="ssh 198.51.100.7").ok
