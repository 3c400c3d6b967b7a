"""Notices of security changes (issue 11, holes 8 and 12), through the core services and the real
outbox on SQLite and PostgreSQL, and through a real SMTP conversation: exactly one notice per
change, naming where it was done from and the audit reference; none for a change that did not
happen; and the notice commits or rolls back with its change."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event
from sqlmodel import Session

from conftest import STRONG, STRONG_2, make_config
from secconsole.core import audit
from secconsole.core.delivery import recent_outbox
from secconsole.core.methods.question import PRESET_QUESTIONS
from secconsole.core.methods.recovery import RECOVERY_GENERATED
from secconsole.core.notices import TEMPLATES
from secconsole.core.totp import code_at
from secconsole.errors import ValidationError
from secconsole.store.models import AuditEvent, OutboxMessage

SRC = "ssh 198.51.100.7"


@pytest.fixture
def alice(services):
    return services.accounts.create("alice", "alice@example.com", STRONG, source="setup")


def enroll_totp(services, account):
    pending = services.way("totp").start(account.id, account.username)
    assert services.way("totp").confirm(pending, code_at(pending.secret, services.clock.now(), pending.params),
                                        source=SRC).ok
    return pending


def outbox(services, account_id):
    return recent_outbox(services.db, services.box, account_id=account_id, limit=100)


def latest_event(services, account_id, kind):
    return next(e for e in services.accounts.recent_events_by_id(account_id, limit=100) if e.kind == kind)


def assert_one_notice(services, account_id, before: int, kind: str, subject: str, *phrases: str):
    """Exactly one new message, for ``kind``'s audit event: its subject, source and reference."""
    messages = outbox(services, account_id)
    assert len(messages) == before + 1, [m.subject for m in messages]
    notice, event_ = messages[0], latest_event(services, account_id, kind)
    assert notice.subject == subject
    assert notice.to == "alice@example.com"
    assert f"From: {SRC}\n" in notice.body and f"Reference: {event_.ref}\n" in notice.body
    assert event_.source == SRC
    for phrase in phrases:
        assert phrase in notice.body, notice.body
    return notice


# Each change: (what it does given services and the account, the audit kind, the subject, phrases).
CHANGES = {
    "password": (lambda s, a: s.passwords.change_password(a.id, STRONG, STRONG_2, source=SRC),
                 audit.PASSWORD_CHANGED, "Your SecConsole password was changed", "Your password was changed."),
    "totp on": (enroll_totp, audit.METHOD_ENABLED, "Two-step verification was turned on",
                "with the authenticator app was turned on"),
    "totp off": (lambda s, a: s.enrollments.disable(a.id, "totp", source=SRC), audit.METHOD_DISABLED,
                 "Two-step verification was turned off", "with the authenticator app was turned off"),
    "recovery": (lambda s, a: s.way("recovery").generate(a.id, source=SRC), RECOVERY_GENERATED,
                 "New SecConsole recovery codes were made", "the old ones no longer work"),
    "question set": (lambda s, a: s.way("question").set(a.id, PRESET_QUESTIONS[0], "Biscuit", source=SRC),
                     audit.QUESTION_SET, "Your security question was set", "answer were set."),
    "question changed": (lambda s, a: s.way("question").set(a.id, PRESET_QUESTIONS[1], "Paris", source=SRC),
                         audit.QUESTION_SET, "Your security question was changed", "answer were changed."),
    "question removed": (lambda s, a: s.way("question").remove(a.id, source=SRC), audit.QUESTION_REMOVED,
                         "Your security question was removed", "was removed."),
    "email codes off": (lambda s, a: s.accounts.set_email_fallback(a.id, False, source=SRC),
                        audit.EMAIL_FALLBACK_CHANGED, "Email codes were switched off", "were switched off."),
    "email codes on": (lambda s, a: s.accounts.set_email_fallback(a.id, True, source=SRC),
                       audit.EMAIL_FALLBACK_CHANGED, "Email codes were switched on", "were switched on."),
}
#: What must be true before a change can happen (turning off needs it on, and so on).
SETUP = {
    "totp off": ["totp on"],
    "question changed": ["question set"],
    "question removed": ["question set"],
    "email codes on": ["email codes off"],
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_security_change_sends_one_notice_with_source_and_reference(services, alice, change):
    for step in SETUP.get(change, []):
        CHANGES[step][0](services, alice)
    before = len(outbox(services, alice.id))
    do, kind, subject, phrase = CHANGES[change]
    do(services, alice)
    assert_one_notice(services, alice.id, before, kind, subject, phrase, "Hello alice,",
                      "If this was not you, change your password")


def test_every_template_names_a_real_audit_kind():
    from secconsole.core.methods import registry

    known = set(audit.DESCRIPTIONS) | {k for s in registry.all_ways() for k in s.audit}
    assert set(TEMPLATES) <= known


def test_changes_that_did_not_happen_send_nothing(services, alice):
    """Refused or no-op changes: the same switch setting, removing what is not there, a wrong code."""
    services.accounts.set_email_fallback(alice.id, True, source=SRC)  # already on
    with pytest.raises(ValidationError):
        services.way("question").remove(alice.id, source=SRC)
    with pytest.raises(ValidationError):
        services.enrollments.disable(alice.id, "totp", source=SRC)
    pending = services.way("totp").start(alice.id, "alice")
    assert not services.way("totp").confirm(pending, "000000", source=SRC).ok
    with pytest.raises(ValidationError):
        services.passwords.change_password(alice.id, STRONG, "short", source=SRC)
    assert outbox(services, alice.id) == []


# -- hole 8: support's notices say exactly what happened -----------------------------------------------


def test_unlock_with_nothing_to_clear_tells_no_one(services, alice):
    assert services.support.unlock("alice", source=SRC) == []
    assert outbox(services, alice.id) == []
    assert latest_event(services, alice.id, audit.ACCOUNT_UNLOCKED).detail == {"cleared": []}


def test_unlock_names_exactly_the_counters_it_cleared(services, alice, clock):
    enroll_totp(services, alice)
    assert not services.way("totp").verify(alice.id, "000000", source="attacker").ok
    before = len(outbox(services, alice.id))
    assert services.support.unlock("alice", source=SRC) == ["totp"]
    notice = assert_one_notice(services, alice.id, before, audit.ACCOUNT_UNLOCKED,
                               "Your SecConsole account was unlocked", "(the authenticator app)",
                               "If you did not ask support for this")
    assert "sign-in" not in notice.body
    services.signin.sign_in("alice", "wrong password", source="attacker")
    assert services.support.unlock("alice", source=SRC) == ["signin"]
    assert "(password sign-in)" in outbox(services, alice.id)[0].body


def test_reset_with_nothing_on_tells_no_one(services, alice):
    assert services.support.reset_second_steps("alice", source=SRC) == ([], [])
    assert outbox(services, alice.id) == []


def test_reset_names_exactly_what_it_removed(services, alice):
    enroll_totp(services, alice)
    before = len(outbox(services, alice.id))
    assert services.support.reset_second_steps("alice", source=SRC) == (["totp"], [])
    notice = assert_one_notice(services, alice.id, before, audit.TWO_STEP_RESET,
                               "Your SecConsole two-step verification was reset",
                               "Removed: the authenticator app.\n", "Failed attempts cleared: none.\n")
    assert "every" not in notice.body


# -- the notice and its change commit together ---------------------------------------------------------


def change_password_failing(services, account, target, hook: str, fail) -> None:
    """Change the password while ``fail`` is listening on ``target``'s ``hook``: it must raise."""
    event.listen(target, hook, fail)
    try:
        with pytest.raises(RuntimeError, match="crash"):
            services.passwords.change_password(account.id, STRONG, STRONG_2, source=SRC)
    finally:
        event.remove(target, hook, fail)


def test_a_change_that_fails_midway_leaves_no_notice(services, alice):
    def fail(session, *_args):  # the password change's transaction dies once its audit event is written
        if any(isinstance(row, AuditEvent) and row.kind == audit.PASSWORD_CHANGED for row in session.new):
            raise RuntimeError("crash")

    change_password_failing(services, alice, Session, "before_flush", fail)
    assert outbox(services, alice.id) == []
    assert services.signin.sign_in("alice", STRONG, source="t").ok  # the old password still works


def test_a_notice_that_cannot_be_queued_undoes_its_change(services, alice):
    def fail(*_args):
        raise RuntimeError("crash")

    change_password_failing(services, alice, OutboxMessage, "before_insert", fail)
    assert services.signin.sign_in("alice", STRONG, source="t").ok  # not changed without its notice
    assert audit.PASSWORD_CHANGED not in [e.kind for e in services.accounts.recent_events_by_id(alice.id)]


# -- SMTP: relayed after the commit, kept in the outbox if the server is down ---------------------------


def open_smtp_services(request, tmp_path, clock, port: int):
    from conftest import open_test_services

    return open_test_services(request, replace(make_config(tmp_path), smtp=f"127.0.0.1:{port}"), clock)


def test_notices_go_through_a_real_smtp_conversation(request, tmp_path, clock, smtp_server):
    controller, received = smtp_server
    services = open_smtp_services(request, tmp_path, clock, controller.port)
    try:
        account = services.accounts.create("alice", "alice@example.com", STRONG, source="setup")
        services.passwords.change_password(account.id, STRONG, STRONG_2, source=SRC)
        assert services.support.unlock("alice", source=SRC) == []  # nothing to clear: no mail
        assert [m["Subject"] for m in received] == ["Your SecConsole password was changed"]
        ref = latest_event(services, account.id, audit.PASSWORD_CHANGED).ref
        body = received[0].get_payload()
        assert received[0]["To"] == "alice@example.com" and f"Reference: {ref}" in body and f"From: {SRC}" in body
        assert recent_outbox(services.db, services.box) == []  # relayed, so no longer queued
    finally:
        services.close()


def test_a_notice_smtp_could_not_take_stays_queued_and_the_change_stands(request, tmp_path, clock):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    services = open_smtp_services(request, tmp_path, clock, port)
    try:
        account = services.accounts.create("alice", "alice@example.com", STRONG, source="setup")
        services.passwords.change_password(account.id, STRONG, STRONG_2, source=SRC)
        assert services.signin.sign_in("alice", STRONG_2, source="t").ok
        assert [m.subject for m in recent_outbox(services.db, services.box)] == ["Your SecConsole password was changed"]
    finally:
        services.close()


def test_a_lock_with_the_mail_server_down_still_says_locked_and_keeps_its_notice(request, tmp_path, clock):
    """The lock notice is sent after the lock committed: a mail server that is down must not turn
    "locked" into a mail error; the notice waits in the outbox."""
    import socket

    from secconsole.core.views import SignInOutcome

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    services = open_smtp_services(request, tmp_path, clock, port)
    try:
        services.accounts.create("alice", "alice@example.com", STRONG, source="setup")
        rules = services.profile.signin_lockout
        for _ in range(rules.lock_after):
            result = services.signin.sign_in("alice", "Wrong-Password-1", source="t")
            clock.advance(seconds=rules.backoff_max_seconds)
        assert result.outcome is SignInOutcome.LOCKED
        assert [m.subject for m in recent_outbox(services.db, services.box)] == ["Your SecConsole account was locked"]
    finally:
        services.close()


# -- the CLI says when there was nothing to do --------------------------------------------------------


def test_cli_unlock_and_reset_say_nothing_to_do_with_exit_6(tmp_path, capsys):
    from secconsole.cli import EXIT_NOTHING_TO_DO, main

    base = ["--data-dir", str(tmp_path / "data")]
    import io
    import sys

    sys.stdin = io.StringIO(STRONG + "\n")
    try:
        assert main([*base, "user", "add", "alice", "--email", "alice@example.com", "--password-stdin"]) == 0
    finally:
        sys.stdin = sys.__stdin__
    capsys.readouterr()
    assert main([*base, "user", "unlock", "alice"]) == EXIT_NOTHING_TO_DO == 6
    assert "Nothing to do: alice had no failed attempts and no lock. No one was told." in capsys.readouterr().out
    assert main([*base, "user", "reset-2fa", "alice"]) == EXIT_NOTHING_TO_DO
    assert "Nothing to do: alice had no second step on" in capsys.readouterr().out
    assert main([*base, "outbox", "--user", "alice"]) == 0
    assert "The outbox is empty." in capsys.readouterr().out
