"""Crash points: kill -9 in the middle of each enrollment and each disable, on SQLite and
PostgreSQL, and the database holds the whole state from before or the whole state after.

Each write runs in a forked child whose engine carries a hook (a SQLAlchemy event listener,
registered in the child only): it SIGKILLs its own process inside the call's first write
transaction, just before COMMIT, after its first statement, or after its Nth INSERT, UPDATE or
DELETE (N = 1, 2, ... until the call gets through). Once it gets through, the process is killed
all the same, as a second write transaction begins or right after the call returned. Every
process (each child and each check) starts by dumping every table: the dump after a kill inside
the transaction must equal the one the killed child started from; after the last, a fresh
process checks that the whole change is there, audit event included. A fresh process also checks
that everything still verifies, after a crash and after the write: the password, the
authenticator app, the security answer, a recovery code (and SQLite's integrity check)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from dataclasses import dataclass, field, replace
from itertools import chain, count
from pathlib import Path

import pytest

from conftest import STRONG, make_config, open_test_services

QUESTION = ("What was the name of your first school?", "Hillside Primary")
NEW_QUESTION = ("What street did you grow up on?", "Orchard Lane")
SRC = "crash test"
AFTER_COMMIT = "after COMMIT, as a second write transaction begins"


# -- in the forked child ------------------------------------------------------------------------


def dump(db) -> str:
    """Every row of every table, in primary-key order, as one comparable string."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    import secconsole.store.models  # noqa: F401 - the tables

    out = {}
    with db.engine.connect() as conn:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            order = list(table.primary_key.columns) or list(table.columns)
            out[name] = [{k: v.hex() if isinstance(v, bytes) else str(v) for k, v in row._mapping.items()}
                         for row in conn.execute(sa.select(table).order_by(*order))]
    return json.dumps(out, sort_keys=True)


def arm(engine, kill_at, report, skip: int = 0) -> None:
    """SIGKILL this process at ``kill_at`` within the first write transaction: ``"first"``
    after its first statement, N after its Nth INSERT, UPDATE or DELETE, ``"commit"`` when all
    its statements ran and COMMIT is not yet sent. Whatever ``kill_at``, a later write
    transaction of the same call is killed as it begins: what is committed then must be whole.
    ``skip``: write transactions let through before the one under test (a code is counted
    first, in a transaction of its own, before the write it allows)."""
    from sqlalchemy import event

    state = {"writing": False, "over": False, "statements": 0, "writes": 0, "skip": skip}

    def die(where: str) -> None:
        report({"outcome": "killed", "where": where})
        os.kill(os.getpid(), signal.SIGKILL)

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # runs after the store's own listener has sent BEGIN IMMEDIATE
        if conn.get_execution_options().get("secconsole_readonly"):
            return
        if state["over"]:
            die(AFTER_COMMIT)
        state["writing"] = True

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, *_args) -> None:
        if state["writing"] and not state["skip"]:
            state["statements"] += 1
            state["writes"] += statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
            if kill_at == "first" or state["writes"] == kill_at:
                die(f"after statement {state['statements']}: {' '.join(statement.split())[:70]}")

    @event.listens_for(engine, "commit")
    def _commit(conn) -> None:
        if state["writing"] and state["skip"]:
            state["writing"], state["skip"] = False, state["skip"] - 1
        elif state["writing"]:
            if kill_at == "commit":
                die(f"before COMMIT, after {state['statements']} statements")
            state["writing"], state["over"] = False, True


def forget_attempts(db) -> None:
    """Attempts a killed child counted before the write under test stay counted (as they must:
    tests/unit/test_races.py checks that). Each process clears them first, so that the lockout
    they add up to does not stop the write this test kills, and dumps compare the write alone."""
    import sqlalchemy as sa

    from secconsole.store.models import Throttle

    with db.transaction() as session:
        session.execute(sa.delete(Throttle))


def child(config, when, result_path: str, job, kill_at, skip: int = 0) -> None:
    """Dump, then either run ``job`` armed with ``kill_at`` or, with ``kill_at=None``, run it
    as a check. The process always ends by SIGKILL (or ``os._exit`` on an error): no clean-up."""
    def report(values: dict) -> None:
        with open(result_path, "w") as f:
            json.dump({**values, "dump": before}, f)
            f.flush()
            os.fsync(f.fileno())

    before = None
    try:
        from db_helpers import cheap_hasher
        from secconsole.core.clock import ManualClock
        from secconsole.services import open_services

        services = open_services(config, clock=ManualClock(when), migrate=False, hasher=cheap_hasher())
        forget_attempts(services.db)
        before = dump(services.db)
        if kill_at is not None:
            arm(services.db.engine, kill_at, report, skip)
        answer = job(services)
        report({"outcome": "done", "answer": answer})
        os.kill(os.getpid(), signal.SIGKILL)  # the whole after-state, then kill -9 all the same
    except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails on it
        report({"outcome": "error", "error": f"{type(exc).__name__}: {exc}"})
        os._exit(3)


# -- in the test ------------------------------------------------------------------------------


@dataclass
class Account:
    """carol, and what she has set up: what the checks use."""

    id: int
    totp: str | None = None
    question: tuple[str, str] | None = QUESTION
    #: The first one is used by a check; the check reads how many are left before.
    recovery: list[str] = field(default_factory=list)
    recovery_left: int = 10
    #: Codes that must no longer work.
    dead_codes: list[str] = field(default_factory=list)
    email_fallback: bool = True
    sms: bool = False


def run(config, clock, tmp_path: Path, job, kill_at=None, skip: int = 0) -> dict:
    clock.advance(seconds=31)  # each process a time step later: a check never replays a code
    path = tmp_path / "result.json"
    path.unlink(missing_ok=True)
    process = multiprocessing.get_context("fork").Process(
        target=child, args=(config, clock.now(), str(path), job, kill_at, skip))
    process.start()
    process.join(60)
    assert process.exitcode == -signal.SIGKILL, (process.exitcode, path.exists() and path.read_text())
    result = json.loads(path.read_text())
    assert result["outcome"] != "error", result["error"]
    return result


def check(services, account: Account) -> dict:
    """What a person can still do, in a fresh process, with what the crash left."""
    from db_helpers import answer_matches
    from secconsole.core.totp import TotpParams, code_at

    view = services.accounts.get_by_id(account.id)
    out = {"password": services.signin.sign_in("carol", STRONG, source=SRC).ok,
           "totp": view.method("totp").enabled, "question": view.security_question,
           "email_fallback": view.email_fallback_enabled, "recovery_left": view.recovery_codes_left,
           "sms": view.method("sms").enabled}
    if out["totp"]:
        code = code_at(account.totp, services.clock.now(), TotpParams())
        out["totp_verifies"] = services.way("totp").verify(account.id, code, source=SRC).ok
    if out["question"]:
        out["answer_matches"] = answer_matches(services, account.id, account.question[1])
    if account.recovery:
        out["recovery_verifies"] = services.way("recovery").verify(account.id, account.recovery[0], source=SRC).ok
    if account.dead_codes:
        out["dead_codes_work"] = any(services.way("recovery").verify(account.id, c, source=SRC).ok
                                     for c in account.dead_codes)
    if services.db.is_sqlite:
        with services.db.engine.connect() as conn:
            out["integrity"] = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    return out


def expected(account: Account, *, sqlite: bool) -> dict:
    """What ``check`` says when everything is as ``account`` describes."""
    out = {"password": True, "totp": account.totp is not None, "question": account.question and account.question[0],
           "email_fallback": account.email_fallback, "recovery_left": account.recovery_left, "sms": account.sms}
    if account.totp:
        out["totp_verifies"] = True
    if account.question:
        out["answer_matches"] = True
    if account.recovery:
        out["recovery_verifies"] = True
    if account.dead_codes:
        out["dead_codes_work"] = False
    if sqlite:
        out["integrity"] = "ok"
    return out


def audit_kinds_added(before: str, after: str) -> list[str]:
    old = {json.dumps(r, sort_keys=True) for r in json.loads(before)["audit_event"]}
    return [r["kind"] for r in json.loads(after)["audit_event"] if json.dumps(r, sort_keys=True) not in old]


@dataclass
class Write:
    """One write under test: the call, its audit event, and the account after it (from the
    call's answer, which is None when the process was killed after COMMIT)."""

    job: object
    audit_kind: str
    after: object
    #: Write transactions let through before the one under test (an attempt counted first).
    skip: int = 0


def crash_everywhere(config, clock, tmp_path, account: Account, write: Write, *, sqlite: bool) -> list[str]:
    """Kill the write at every point of its transaction and check each leftover state, then let
    it finish and check that. Returns where the kills landed."""
    where, previous = [], None
    for kill_at in chain(["commit", "first"], count(1)):
        assert kill_at != 40, "the write never finished"
        result = run(config, clock, tmp_path, write.job, kill_at, write.skip)
        if previous is not None:
            assert result["dump"] == previous, f"the kill {where[-1]} left part of the write behind"
        if result["outcome"] == "done" or result["where"] == AFTER_COMMIT:
            break
        if where and where[-1] == result["where"]:  # the first statement was also the first write
            continue
        where.append(result["where"])
        previous = result["dump"]
        if kill_at == "commit":
            # Once, against what a crash left: everything verifies as before. The check writes
            # (audit events, a spent code), so the next child's dump is the new baseline.
            seen = run(config, clock, tmp_path, lambda s: check(s, account))
            assert seen["dump"] == previous, "the kill before COMMIT left part of the write behind"
            assert seen["answer"] == expected(account, sqlite=sqlite)
            previous = None
    after = write.after(result.get("answer"))
    seen = run(config, clock, tmp_path, lambda s: check(s, after))
    assert seen["answer"] == expected(after, sqlite=sqlite)
    added = audit_kinds_added(result["dump"], seen["dump"])
    assert write.audit_kind in added, f"the write's audit event is missing: {result.get('where', '')} {added}"
    assert where[1].startswith("after statement 1:") and len(where) >= 3, where
    return where


# -- the writes ---------------------------------------------------------------------------------


@pytest.fixture
def carol(request, tmp_path, db_url, clock):
    """carol with a password, a security question and ten recovery codes, the email fallback on."""
    config = make_config(tmp_path, db_url)
    services = open_test_services(request, config, clock)
    view = services.accounts.create("carol", "carol@example.com", STRONG, source=SRC)
    services.way("question").set(view.id, *QUESTION, source=SRC)
    account = Account(view.id, recovery=services.way("recovery").generate(view.id, source=SRC))
    yield services, config, account
    services.close()


def later(account: Account, **changes) -> Account:
    """The same account as a check finds it after one of its recovery codes was used."""
    return replace(account, recovery=account.recovery[1:], recovery_left=account.recovery_left - 1, **changes)


def totp_enroll(services, account: Account) -> Write:
    pending = services.way("totp").start(account.id, "carol")

    def confirm(s):
        from secconsole.core.totp import code_at

        return s.way("totp").confirm(pending, code_at(pending.secret, s.clock.now(), pending.params), source=SRC).ok

    return Write(confirm, "method.enabled", lambda _: later(account, totp=pending.secret), skip=1)


def sms_enroll(services, account: Account) -> Write:
    from method_drivers import sms_code

    services.payments.add_card(account.id, "Carol Kent", "4242 4242 4242 4242", "12/30", source=SRC)
    number = services.way("sms").check_number(account.id, "01512 3456789", "DE")
    services.way("sms").send_enrollment_code(account.id, number, source=SRC)
    code = sms_code(services, account.id)
    return Write(lambda s: s.way("sms").confirm(account.id, number, code, source=SRC).ok, "method.enabled",
                 lambda _: later(account, sms=True), skip=1)


def totp_disable(services, account: Account) -> Write:
    from secconsole.core.totp import code_at

    pending = services.way("totp").start(account.id, "carol")
    assert services.way("totp").confirm(pending, code_at(pending.secret, services.clock.now(), pending.params),
                                        source=SRC).ok
    account.totp = pending.secret
    return Write(lambda s: s.enrollments.disable(account.id, "totp", source=SRC), "method.disabled",
                 lambda _: later(account, totp=None))


def question_set(services, account: Account) -> Write:
    return Write(lambda s: s.way("question").set(account.id, *NEW_QUESTION, source=SRC), "question.set",
                 lambda _: later(account, question=NEW_QUESTION))


def question_remove(services, account: Account) -> Write:
    return Write(lambda s: s.way("question").remove(account.id, source=SRC), "question.removed",
                 lambda _: later(account, question=None))


def recovery_again(services, account: Account) -> Write:
    # The new codes are known only from a call that got through; the old ones stop working.
    return Write(lambda s: s.way("recovery").generate(account.id, source=SRC), "recovery.generated",
                 lambda codes: replace(account, recovery=codes or [], dead_codes=account.recovery[1:2]))


def email_switch(services, account: Account) -> Write:
    return Write(lambda s: s.accounts.set_email_fallback(account.id, False, source=SRC).email_fallback_enabled,
                 "email_fallback.changed", lambda _: later(account, email_fallback=False))


@pytest.mark.parametrize("case", [totp_enroll, sms_enroll, totp_disable, question_set, question_remove, recovery_again,
                                  email_switch], ids=lambda case: case.__name__)
def test_a_kill_anywhere_in_the_write_leaves_before_or_after(carol, clock, tmp_path, case):
    services, config, account = carol
    write = case(services, account)
    sqlite = services.db.is_sqlite
    services.close()  # the parent holds no connection while its children write and die
    crash_everywhere(config, clock, tmp_path, account, write, sqlite=sqlite)
