"""Text messages in the core, on SQLite and PostgreSQL: enrollment behind its prerequisite, codes
that expire, count wrong tries per code and on the way, a resend cooldown and caps that stop SMS
pumping; the number sealed and shown masked everywhere."""

from __future__ import annotations

import re

import pytest

from secconsole.core import audit
from secconsole.core.delivery import recent_outbox
from secconsole.core.methods.sms_codes import SendRefused, SmsLimits
from secconsole.errors import ValidationError

from conftest import STRONG
from method_drivers import sms_code

SRC = "test"
DE_MOBILE = ("01512 3456789", "DE")


@pytest.fixture
def carol(services):
    return services.accounts.create("carol", "carol@example.com", STRONG, source=SRC)


@pytest.fixture
def carded(services, carol):
    services.payments.add_card(carol.id, "Carol Kent", "4242 4242 4242 4242", "12/30", source=SRC)
    return carol


def enroll(services, account_id, number=DE_MOBILE):
    way = services.way("sms")
    checked = way.check_number(account_id, *number)
    way.send_enrollment_code(account_id, checked, source=SRC)
    result = way.confirm(account_id, checked, sms_code(services, account_id), source=SRC)
    assert result.ok, result.message
    return checked


def texts(services, account_id):
    return [m for m in recent_outbox(services.db, services.box, account_id=account_id, limit=50) if m.channel == "sms"]


def test_the_prerequisite_comes_first(services, carol):
    with pytest.raises(ValidationError, match="verify your identity or add a billing method first"):
        services.way("sms").check_number(carol.id, *DE_MOBILE)


def test_enroll_then_sign_in_once_and_not_twice(services, carded, clock):
    checked = enroll(services, carded.id)
    view = services.accounts.get_by_id(carded.id)
    assert view.method("sms").enabled and view.method("sms").detail["number"] == "+49 ••• ••• 6789"
    clock.advance(seconds=61)
    said = services.way("sms").begin(carded.id, source=SRC)
    assert "+49 ••• ••• 6789" in said
    code = sms_code(services, carded.id)
    assert services.way("sms").verify(carded.id, code, source=SRC).ok
    again = services.way("sms").verify(carded.id, code, source=SRC)
    assert not again.ok and "No code is waiting" in again.message
    message = texts(services, carded.id)[0]
    assert message.to == checked.masked and "Don't share this code" in message.body and "carol" in message.body


def test_the_number_is_sealed_and_masked_in_audit_and_notices(services, carded):
    enroll(services, carded.id)
    events = services.accounts.recent_events("carol")
    shown = repr([(e.kind, e.detail) for e in events])
    assert "+4915123456789" not in shown and "6789" in shown
    emails = [m for m in recent_outbox(services.db, services.box, account_id=carded.id) if m.channel == "email"]
    assert emails and all("15123456789" not in m.body for m in emails)
    with services.db.transaction(readonly=True) as session:
        from sqlmodel import select

        from secconsole.store.models import MethodEnrollment

        row = session.exec(select(MethodEnrollment).where(MethodEnrollment.kind == "sms")).one()
        assert b"15123456789" not in row.secret and "15123456789" not in row.detail
    messages = recent_outbox(services.db, services.box, account_id=carded.id)
    assert all("15123456789" not in m.to + m.body for m in messages)
    if services.db.is_sqlite:  # not in any byte of the database's files either
        from pathlib import Path

        files = [Path(f"{services.db.file}{suffix}") for suffix in ("", "-wal")]
        assert not any(b"15123456789" in f.read_bytes() for f in files if f.exists())


def test_codes_expire_after_ten_minutes(services, carded, clock):
    enroll(services, carded.id)
    clock.advance(seconds=61)
    services.way("sms").begin(carded.id, source=SRC)
    code = sms_code(services, carded.id)
    clock.advance(minutes=10, seconds=1)
    assert "No code is waiting" in services.way("sms").verify(carded.id, code, source=SRC).message


def test_a_code_dies_after_five_wrong_tries_and_a_resend_does_not_reset_the_way(services, carded, clock):
    limits = SmsLimits()
    enroll(services, carded.id)
    clock.advance(seconds=61)
    way = services.way("sms")
    way.begin(carded.id, source=SRC)
    code = sms_code(services, carded.id)
    wrong = "000000" if code != "000000" else "111111"
    said = []
    for _ in range(limits.tries_per_code):
        result = way.verify(carded.id, wrong, source=SRC)
        said.append(result.message)
        clock.advance(seconds=result.retry_after)  # the way's back-off; the code's own count is the subject
    assert "4 tries left" in said[0] and "last try" in said[-1]
    assert "No code is waiting" in way.verify(carded.id, code, source=SRC).message  # even the right one
    clock.advance(seconds=61)
    way.begin(carded.id, source=SRC)  # a resend: a fresh code, but the way's count goes on
    clock.advance(seconds=60)
    wrong_again = way.verify(carded.id, wrong, source=SRC)
    assert wrong_again.retry_after >= 16 or wrong_again.locked  # reset, it would be 0


def test_resend_waits_for_the_cooldown_and_the_old_code_stops(services, carded, clock):
    enroll(services, carded.id)
    clock.advance(seconds=61)
    way = services.way("sms")
    way.begin(carded.id, source=SRC)
    first = sms_code(services, carded.id)
    with pytest.raises(SendRefused, match="ask for another in 1 minute") as refused:
        way.begin(carded.id, source=SRC)
    assert refused.value.retry_after == 60
    assert way.resend_wait(carded.id) == 60
    clock.advance(seconds=60)
    assert way.resend_wait(carded.id) == 0
    way.begin(carded.id, source=SRC)
    second = sms_code(services, carded.id)
    if first != second:
        assert not way.verify(carded.id, first, source=SRC).ok
        clock.advance(seconds=3)
    assert way.verify(carded.id, second, source=SRC).ok


def test_at_most_five_sends_without_a_successful_check(services, carded, clock):
    enroll(services, carded.id)
    way = services.way("sms")
    for _ in range(5):
        clock.advance(minutes=16)  # under the hourly cap per number: the unchecked sends are the subject
        way.begin(carded.id, source=SRC)
    clock.advance(minutes=16)
    with pytest.raises(SendRefused, match="5 codes were sent without one being entered"):
        way.begin(carded.id, source=SRC)
    assert len(texts(services, carded.id)) == 6  # the enrollment's and five


def test_hourly_caps_per_number_and_per_source(services, carded, clock):
    enroll(services, carded.id)
    way = services.way("sms")
    for _ in range(4):  # with the enrollment's, five to this number this hour
        clock.advance(seconds=61)
        code = (way.begin(carded.id, source=SRC), sms_code(services, carded.id))[1]
        assert way.verify(carded.id, code, source=SRC).ok
    clock.advance(seconds=61)
    with pytest.raises(SendRefused, match="Too many text messages to this number in the last hour") as refused:
        way.begin(carded.id, source=SRC)
    assert 0 < refused.value.retry_after <= 3600
    clock.advance(seconds=refused.value.retry_after)
    way.begin(carded.id, source=SRC)


def test_a_new_number_replaces_the_old_one_and_tells_it(services, carded, clock):
    enroll(services, carded.id)
    clock.advance(seconds=61)
    enroll(services, carded.id, ("+49 1522 3456780", ""))
    view = services.accounts.get_by_id(carded.id)
    assert view.method("sms").detail["number"] == "+49 ••• ••• 6780"
    told = [m for m in texts(services, carded.id) if m.to == "+49 ••• ••• 6789"][-0]
    assert "Number changed" == told.subject
    assert "changed to +49 ••• ••• 6780" in told.body
    kinds = [e.kind for e in services.accounts.recent_events("carol")]
    assert kinds.count(audit.METHOD_ENABLED) == 2


def test_an_enrollment_code_works_only_for_its_number(services, carded):
    way = services.way("sms")
    first = way.check_number(carded.id, *DE_MOBILE)
    way.send_enrollment_code(carded.id, first, source=SRC)
    code = sms_code(services, carded.id)
    other = way.check_number(carded.id, "+49 1522 3456780", "")
    assert not way.confirm(carded.id, other, code, source=SRC).ok
    assert not services.accounts.get_by_id(carded.id).method("sms").enabled


def _send_and_die(config, when):
    """In a forked child: send a code through a gateway that kills the process mid-send."""
    import os
    import signal
    from dataclasses import replace

    from db_helpers import cheap_hasher
    from secconsole.core.clock import ManualClock
    from secconsole.core.delivery import ChannelSender
    from secconsole.core.methods.sms import TextMessages
    from secconsole.services import open_services

    class Dies:
        def send(self, message):
            os.kill(os.getpid(), signal.SIGKILL)

    services = open_services(config, clock=ManualClock(when), hasher=cheap_hasher())
    ctx = replace(services.way("sms").ctx, sender=ChannelSender({"email": services.sender, "sms": Dies()}))
    TextMessages(ctx).begin(services.accounts.get("carol").id, source=SRC)


def test_a_crash_during_the_send_leaves_a_pending_code_that_counts(services, carded, clock):
    import multiprocessing
    import signal

    from sqlmodel import select

    from secconsole.store.models import SmsCode

    enroll(services, carded.id)
    clock.advance(seconds=61)
    child = multiprocessing.get_context("fork").Process(target=_send_and_die, args=(services.config, clock.now()))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    with services.db.transaction(readonly=True) as session:
        assert [r.status for r in session.exec(select(SmsCode).order_by(SmsCode.id)).all()][-1] == "pending"
    assert services.way("sms").resend_wait(carded.id) == 60  # it may have gone out: the cooldown holds


def test_a_used_code_does_not_hold_the_next_one_back(services, carded, clock):
    enroll(services, carded.id)
    clock.advance(seconds=61)
    way = services.way("sms")
    way.begin(carded.id, source=SRC)
    assert way.verify(carded.id, sms_code(services, carded.id), source=SRC).ok
    assert way.resend_wait(carded.id) == 0
    way.begin(carded.id, source=SRC)  # a second sign-in moments later gets its code at once
