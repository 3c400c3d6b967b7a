"""Sign-up (``--signup``) and email verification in the core, on SQLite and PostgreSQL: closed
sign-up is refused by the service itself, an account made by sign-up receives no sign-in code by
email until it proves its address, and the verification code is hashed, single use, expires and
is counted like a way's."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from conftest import STRONG
from secconsole.core import audit, throttle
from secconsole.core.challenge import Challenge
from secconsole.core.delivery import recent_outbox
from secconsole.core.signup import RESEND_SECONDS, SIGNUP_CLOSED
from secconsole.core.views import CodeSent
from secconsole.errors import ValidationError
from throttle_helpers import events, failures_of
from tui_helpers import enroll_totp

SRC = "test"


@pytest.fixture
def erin(services):
    """An account made by sign-up (open by default in tests)."""
    return services.signup.create("erin", "erin@example.com", STRONG, source=SRC)


def verification_code(services, account_id) -> str:
    message = recent_outbox(services.db, services.box, account_id=account_id, limit=1)[0]
    assert message.subject == "Verify your SecConsole email address"
    return re.search(r"code is (\d{6})", message.body).group(1)


def test_closed_sign_up_is_refused_by_the_core_and_creates_nothing(services):
    services.signup.open = False
    with pytest.raises(ValidationError, match="Sign-up is closed"):
        services.signup.create("mallory", "m@example.com", STRONG, source=SRC)
    assert [a.username for a in services.accounts.list()] == []
    services.accounts.create("mallory", "m@example.com", STRONG, source="cli")  # an operator still can


def test_the_services_take_the_setting_from_the_configuration(request, tmp_path, clock):
    from conftest import make_config, open_test_services

    closed = open_test_services(request, make_config(tmp_path, signup="closed"), clock)
    try:
        assert closed.config.signup_open is False
        with pytest.raises(ValidationError, match=re.escape(SIGNUP_CLOSED)):
            closed.signup.create("mallory", "m@example.com", STRONG, source=SRC)
    finally:
        closed.close()


def test_sign_up_makes_an_unverified_account_operators_and_demo_accounts_are_verified(services, erin):
    assert erin.email_verified is False
    assert services.accounts.create("olga", "olga@example.com", STRONG, source="cli").email_verified is True
    [created] = events(services, erin.id, audit.ACCOUNT_CREATED)
    assert created.detail == {"by": "sign-up"}


def test_an_unverified_address_gets_no_sign_in_code_until_verified(services, erin):
    enroll_totp(services, "erin")
    account = services.accounts.get("erin")
    challenge = Challenge.for_account(account)
    challenge.give_up("totp")
    assert "email" not in challenge.kinds() and challenge.out_of_ways  # support, not the email code
    with pytest.raises(ValidationError, match="not verified"):
        services.way("email").send_code(erin.id, source=SRC)

    services.signup.send_code(erin.id, source=SRC)
    assert services.signup.verify(erin.id, verification_code(services, erin.id), source=SRC).ok
    account = services.accounts.get("erin")
    assert account.email_verified
    challenge = Challenge.for_account(account)
    challenge.give_up("totp")
    assert challenge.kinds() == ["email"]
    services.way("email").send_code(erin.id, source=SRC)


def test_the_code_works_once_and_never_reaches_the_audit_trail(services, erin):
    assert services.signup.send_code(erin.id, source=SRC) == CodeSent("e•••n@example.com", RESEND_SECONDS)
    code = verification_code(services, erin.id)
    assert services.signup.verify(erin.id, code, source=SRC).ok
    again = services.signup.verify(erin.id, code, source=SRC)
    assert not again.ok and "verified already" in again.message
    trail = [(e.kind, e.detail, e.source) for e in services.accounts.recent_events("erin")]
    assert code not in repr(trail)
    assert [k for k, _, _ in trail][:2] == [audit.EMAIL_VERIFIED, audit.EMAIL_VERIFICATION_SENT]
    with pytest.raises(ValidationError, match="verified already"):
        services.signup.send_code(erin.id, source=SRC)


def test_codes_expire_a_new_one_voids_the_old_and_resending_waits(services, erin, clock):
    services.signup.send_code(erin.id, source=SRC)
    first = verification_code(services, erin.id)
    with pytest.raises(ValidationError, match="ask for another in"):
        services.signup.send_code(erin.id, source=SRC)
    clock.advance(seconds=RESEND_SECONDS)
    services.signup.send_code(erin.id, source=SRC)
    second = verification_code(services, erin.id)
    if first != second:
        assert not services.signup.verify(erin.id, first, source=SRC).ok
    clock.advance(minutes=services.profile.email_code_minutes, seconds=1)
    late = services.signup.verify(erin.id, second, source=SRC)
    assert not late.ok and "expired" in late.message
    assert not services.accounts.get("erin").email_verified


def test_a_code_is_bound_to_the_address_it_was_sent_to(services, erin):
    from secconsole.store.models import Account

    services.signup.send_code(erin.id, source=SRC)
    code = verification_code(services, erin.id)
    with services.db.transaction() as session:  # the address changes (support, a future form)
        session.get(Account, erin.id).email = "other@example.com"
    result = services.signup.verify(erin.id, code, source=SRC)
    assert not result.ok and not services.accounts.get("erin").email_verified


def test_wrong_codes_are_counted_first_back_off_and_lock(services, erin, clock):
    services.signup.send_code(erin.id, source=SRC)
    code = verification_code(services, erin.id)
    wrong = "000000" if code != "000000" else "111111"
    key = throttle.way_key("verify_email", erin.id)
    rules = services.profile.lockout
    for _ in range(rules.free_failures):
        result = services.signup.verify(erin.id, wrong, source=SRC)
        assert not result.ok and result.message == "That verification code is not right."
    result = services.signup.verify(erin.id, wrong, source=SRC)
    assert result.retry_after > 0
    blocked = services.signup.verify(erin.id, code, source=SRC)  # backing off: not even looked at
    assert not blocked.ok and not blocked.checked
    assert failures_of(services, key) == rules.free_failures + 1
    assert len(events(services, erin.id, audit.EMAIL_VERIFICATION_FAILED)) == rules.free_failures + 1
    clock.advance(seconds=result.retry_after)
    assert services.signup.verify(erin.id, code, source=SRC).ok
    assert failures_of(services, key) == 0  # a success takes the attempts back


def test_user_unlock_clears_the_verification_counter(services, erin):
    from throttle_helpers import set_failures

    set_failures(services, throttle.way_key("verify_email", erin.id), 3)
    assert "verify_email" in services.accounts.unlock("erin", source=SRC)


def test_bad_input_is_a_clear_message(services, erin):
    for text, message in (("", "Enter the 6-digit code"), ("12ab56", "digits only"), ("1234", "6 digits")):
        with pytest.raises(ValidationError, match=message):
            services.signup.verify(erin.id, text, source=SRC)
    assert failures_of(services, throttle.way_key("verify_email", erin.id)) == 0


def test_the_setting_resolves_from_flag_environment_and_default(tmp_path):
    from secconsole.config import resolve

    base = dict(data_dir=str(tmp_path), source="test")
    assert resolve(**base, environ={}).signup == "open"
    assert resolve(**base, environ={}, signup_default="closed").signup == "closed"
    assert resolve(**base, environ={"SECCONSOLE_SIGNUP": "open"}, signup_default="closed").signup == "open"
    assert resolve(**base, environ={"SECCONSOLE_SIGNUP": "open"}, signup="closed").signup == "closed"
    with pytest.raises(ValidationError, match="SECCONSOLE_SIGNUP must be open or closed"):
        resolve(**base, environ={"SECCONSOLE_SIGNUP": "maybe"})
    assert replace(resolve(**base, environ={}), signup="closed").signup_open is False


def test_demo_accounts_are_verified(services):
    from secconsole.demo.seed import seed

    seed(services)
    assert all(a.email_verified for a in map(services.accounts.get, ("alice", "bob", "carol", "dave")))
