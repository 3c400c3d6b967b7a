"""The email code (last resort) through the outbox on SQLite and PostgreSQL, and through a real
SMTP conversation with aiosmtpd on loopback."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from secconsole.core.delivery import DeliveryError, SmtpSender, SmtpSettings, recent_outbox
from secconsole.core.methods.email import RESEND_SECONDS, mask
from secconsole.errors import ValidationError

from conftest import STRONG

SRC = "test"


@pytest.fixture
def dave(services):
    return services.accounts.create("dave", "dave@example.com", STRONG, source=SRC)


def code_in_outbox(services, account_id) -> str:
    message = recent_outbox(services.db, services.box, account_id=account_id, limit=1)[0]
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_send_then_use_once_and_be_notified(services, dave):
    assert services.way("email").send_code(dave.id, source=SRC) == "d•••e@example.com"
    code = code_in_outbox(services, dave.id)
    assert services.way("email").verify(dave.id, code, source=SRC).ok
    again = services.way("email").verify(dave.id, code, source=SRC)
    assert not again.ok and "expired or was used" in again.message
    subjects = [m.subject for m in recent_outbox(services.db, services.box, account_id=dave.id)]
    assert subjects == ["Your SecConsole email code was used", "Your SecConsole sign-in code"]
    events = services.accounts.recent_events("dave")
    assert code not in repr([(e.kind, e.detail, e.source) for e in events])


def test_codes_expire_after_ten_minutes_in_classic(services, dave, clock):
    services.way("email").send_code(dave.id, source=SRC)
    code = code_in_outbox(services, dave.id)
    clock.advance(minutes=10, seconds=1)
    assert "expired" in services.way("email").verify(dave.id, code, source=SRC).message


def test_a_new_code_voids_the_old_one_and_resending_waits(services, dave, clock):
    services.way("email").send_code(dave.id, source=SRC)
    first = code_in_outbox(services, dave.id)
    with pytest.raises(ValidationError, match="ask for another in"):
        services.way("email").send_code(dave.id, source=SRC)
    clock.advance(seconds=RESEND_SECONDS)
    services.way("email").send_code(dave.id, source=SRC)
    second = code_in_outbox(services, dave.id)
    if first != second:
        assert not services.way("email").verify(dave.id, first, source=SRC).ok
    assert services.way("email").verify(dave.id, second, source=SRC).ok


def test_wrong_codes_are_throttled_and_resending_does_not_reset_them(services, dave, clock):
    services.way("email").send_code(dave.id, source=SRC)
    code = code_in_outbox(services, dave.id)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(services.profile.lockout.free_failures + 1):
        result = services.way("email").verify(dave.id, wrong, source=SRC)
    first_wait = result.retry_after
    assert first_wait > 0
    clock.advance(seconds=RESEND_SECONDS)
    services.way("email").send_code(dave.id, source=SRC)
    result = services.way("email").verify(dave.id, wrong, source=SRC)
    assert result.retry_after == 2 * first_wait  # the count went on: resending reset nothing


def test_switched_off_fallback_sends_no_code(services, dave):
    services.accounts.set_email_fallback(dave.id, False, source=SRC)
    with pytest.raises(ValidationError, match="switched off"):
        services.way("email").send_code(dave.id, source=SRC)
    assert [m.subject for m in recent_outbox(services.db, services.box, account_id=dave.id)] == ["Email codes were switched off"]


def test_mask():
    assert mask("alice@example.com") == "a•••e@example.com"
    assert mask("al@example.com") == "a•••@example.com"


# -- a real SMTP server ------------------------------------------------------------------------


def test_codes_and_notices_go_through_smtp(tmp_path, clock, smtp_server):
    from conftest import make_config
    from secconsole.services import open_services

    controller, received = smtp_server
    config = replace(make_config(tmp_path), smtp=f"127.0.0.1:{controller.port}")
    services = open_services(config, clock=clock)
    try:
        account = services.accounts.create("erin", "erin@example.com", STRONG, source=SRC)
        services.way("email").send_code(account.id, source=SRC)
        assert received[0]["To"] == "erin@example.com"
        code = re.search(r"\b(\d{6})\b", received[0].get_payload()).group(1)
        assert services.way("email").verify(account.id, code, source=SRC).ok
        assert received[1]["Subject"] == "Your SecConsole email code was used"
        assert recent_outbox(services.db, services.box) == []  # SMTP replaces the outbox
    finally:
        services.close()


def test_an_unreachable_smtp_server_is_a_clear_error():
    sender = SmtpSender(SmtpSettings("127.0.0.1", 1))
    from secconsole.core.delivery import Message

    with pytest.raises(DeliveryError, match="Could not send email through 127.0.0.1:1"):
        sender.send(Message("email", "x@example.com", "s", "b"))
    with pytest.raises(Exception, match="HOST:PORT"):
        SmtpSettings.parse("nohostport")
