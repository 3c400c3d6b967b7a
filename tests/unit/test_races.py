"""Races between real processes on SQLite and PostgreSQL: each round, RACERS forked processes with
services of their own wait at one barrier and then send their answer at the same moment.

- the same valid code from every process (authenticator app, recovery, email): exactly one wins;
- wrong guesses at the threshold (password, authenticator app, security question): one check
  locks, none after; during a back-off none is checked; from no failures exactly the free ones
  and the one that starts the back-off are checked;
- a right answer among wrong ones at the threshold wins only if it was checked first;
- two claims that take the same counters in opposite orders never deadlock (PostgreSQL).

Checks that ran are counted in the audit trail (one failure row per wrong answer looked at) and
in the counter itself."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal

import pytest

from conftest import STRONG
from secconsole.core import audit, throttle
from secconsole.core.totp import TotpParams, code_at
from secconsole.core.views import SignInOutcome
from throttle_helpers import events, failures_of, set_failures
from tui_helpers import enroll_totp

RACERS = 6
ROUNDS = 3
WRONG = {"password": "Wrong-Guess-1!", "totp": "000000", "question": "rex", "sms": "000000"}
FAILED = {"password": audit.SIGNIN_FAILED, "totp": "totp.failed", "question": "question.failed", "sms": "sms.failed"}


# -- the racers ------------------------------------------------------------------------------------


def _work(config, index, barrier, tasks, results):
    from db_helpers import cheap_hasher
    from secconsole.core.clock import ManualClock
    from secconsole.services import open_services

    services = None
    try:
        while (task := tasks.get()) is not None:
            when, job, args = task
            services = services or open_services(config, clock=ManualClock(when), hasher=cheap_hasher())
            services.clock.set(when)
            barrier.wait(timeout=60)
            try:
                results.put((index, job(services, *args)))
            except Exception as exc:  # reported to the test, not lost in a child
                results.put((index, f"error: {exc!r}"))
    finally:
        if services is not None:
            services.close()


class Racers:
    """``count`` forked processes, each opening its own services on the test's database once."""

    def __init__(self, config, count: int = RACERS) -> None:
        ctx = multiprocessing.get_context("fork")
        self.barrier, self.results = ctx.Barrier(count), ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(count)]
        self.procs = [ctx.Process(target=_work, args=(config, i, self.barrier, q, self.results), daemon=True)
                      for i, q in enumerate(self.tasks)]
        for p in self.procs:
            p.start()

    def race(self, when, jobs: list[tuple]) -> list:
        """Give worker i ``jobs[i]`` (a function and its arguments); all start together. Returns
        their answers in worker order."""
        assert len(jobs) == len(self.tasks)
        for q, (job, *args) in zip(self.tasks, jobs):
            q.put((when, job, args))
        answers = dict(self.results.get(timeout=60) for _ in jobs)
        errors = [a for a in answers.values() if isinstance(a, str) and a.startswith("error")]
        assert not errors, errors
        return [answers[i] for i in range(len(jobs))]

    def close(self) -> None:
        for q in self.tasks:
            q.put(None)
        for p in self.procs:
            p.join(10)


@pytest.fixture
def racers(services):
    pool = Racers(services.config)
    yield pool
    pool.close()


@pytest.fixture
def alice(services):
    return services.accounts.create("alice", "alice@example.com", STRONG, source="test")


def sign_in(services, password, source="race"):
    return services.signin.sign_in("alice", password, source=source).outcome.value


def verify(services, kind, account_id, answer):
    result = services.way(kind).verify(account_id, answer, source="race")
    return result.ok, result.reason.value, result.checked


# -- the same valid code from every process -------------------------------------------------------


def fresh_code(services, kind, account, made, r):
    """A right answer not used yet, for round ``r`` (``made``: the seed or the recovery codes)."""
    if kind == "totp":
        services.clock.advance(seconds=30)
        return code_at(made, services.clock.now(), TotpParams())
    if kind == "recovery":
        return made[r]
    services.clock.advance(seconds=61)  # past the resend wait
    if kind == "sms":
        from method_drivers import sms_code

        services.way("sms").begin(account.id, source="test")
        return sms_code(services, account.id)
    services.way("email").send_code(account.id, source="test")
    from secconsole.core.delivery import recent_outbox

    return re.search(r"code is (\d{6})", recent_outbox(services.db, services.box, account_id=account.id, limit=1)[0].body).group(1)


@pytest.mark.parametrize("kind", ["totp", "recovery", "email", "sms"])
def test_the_same_code_from_every_process_wins_exactly_once(services, alice, racers, kind):
    made = None  # the email fallback is on for a new account
    if kind == "sms":
        from method_drivers import Sms

        Sms(services, alice.id).enroll()
    if kind == "totp":
        made = enroll_totp(services, "alice")
    elif kind == "recovery":
        made = services.way("recovery").generate(alice.id, source="test")
    for r in range(ROUNDS):
        code = fresh_code(services, kind, alice, made, r)
        answers = racers.race(services.clock.now(), [(verify, kind, alice.id, code)] * RACERS)
        assert sum(ok for ok, _, _ in answers) == 1, (r, answers)
        services.accounts.unlock("alice", source="test")  # the losers counted as wrong answers


def verify_email(services, account_id, code):
    return services.signup.verify(account_id, code, source="race").ok


def test_the_same_email_verification_code_from_every_process_wins_exactly_once(services, racers):
    erin = services.signup.create("erin", "erin@example.com", STRONG, source="test")
    services.signup.send_code(erin.id, source="test")
    from secconsole.core.delivery import recent_outbox

    code = re.search(r"code is (\d{6})", recent_outbox(services.db, services.box, account_id=erin.id, limit=1)[0].body).group(1)
    answers = racers.race(services.clock.now(), [(verify_email, erin.id, code)] * RACERS)
    assert sum(answers) == 1, answers
    assert services.accounts.get("erin").email_verified
    assert len(events(services, erin.id, audit.EMAIL_VERIFIED)) == 1


def send_sms(services, account_id):
    from secconsole.errors import SecConsoleError

    try:
        services.way("sms").begin(account_id, source="race")
        return "sent"
    except SecConsoleError as exc:
        return str(exc)


def test_sends_asked_for_at_once_stay_within_the_cooldown(services, alice, racers):
    """N processes asking for a text message at the same moment: one is sent, the rest wait."""
    from method_drivers import Sms

    Sms(services, alice.id).enroll()
    from secconsole.core.delivery import recent_outbox

    def texts():
        return sum(m.channel == "sms" for m in recent_outbox(services.db, services.box, account_id=alice.id, limit=100))

    for r in range(ROUNDS):
        services.clock.advance(seconds=61)
        before = texts()
        answers = racers.race(services.clock.now(), [(send_sms, alice.id)] * RACERS)
        assert answers.count("sent") == 1, (r, answers)
        assert texts() - before == 1, r


# -- wrong guesses at the threshold ----------------------------------------------------------------


def gated(services, kind, account):
    """Make the way answerable; returns its counter key, the job that sends a wrong guess and
    the authenticator seed (for totp)."""
    if kind == "password":
        return throttle.signin_key("alice"), (sign_in, WRONG["password"]), None
    secret = None
    if kind == "totp":
        secret = enroll_totp(services, "alice")
    elif kind == "sms":
        from method_drivers import Sms

        Sms(services, account.id).enroll()
        services.way("sms").begin(account.id, source="test")
    else:
        services.way("question").set(account.id, "What was the name of your first pet?", "Biscuit", source="test")
    return throttle.way_key(kind, account.id), (verify, kind, account.id, WRONG[kind]), secret


def checks(services, kind, account_id):
    return len(events(services, account_id, FAILED[kind]))


@pytest.mark.parametrize("kind", ["password", "totp", "question", "sms"])
def test_wrong_guesses_at_the_threshold_check_one_then_none(services, alice, racers, kind):
    key, wrong, _ = gated(services, kind, alice)
    limit = services.profile.signin_lockout.lock_after if kind == "password" else services.profile.lockout.lock_after
    for r in range(ROUNDS):
        set_failures(services, key, limit - 1)
        set_failures(services, throttle.source_key("race"), 0)
        before = checks(services, kind, alice.id)
        racers.race(services.clock.now(), [wrong] * RACERS)
        assert checks(services, kind, alice.id) - before == 1, r  # one looked at, RACERS - 1 refused unseen
        assert failures_of(services, key) == limit, r
        racers.race(services.clock.now(), [wrong] * RACERS)  # locked now: none is looked at
        assert checks(services, kind, alice.id) - before == 1, r
    assert len(events(services, alice.id, audit.ACCOUNT_LOCKED)) == ROUNDS  # one lock per round


def test_a_burst_checks_exactly_the_free_failures_and_the_one_that_starts_the_back_off(services, alice, racers):
    rules, key = services.profile.signin_lockout, throttle.signin_key("alice")
    assert rules.free_failures + 1 < RACERS
    for r in range(ROUNDS):
        services.accounts.unlock("alice", source="test")
        set_failures(services, throttle.source_key("race"), 0)
        before = checks(services, "password", alice.id)
        answers = racers.race(services.clock.now(), [(sign_in, WRONG["password"])] * RACERS)
        assert checks(services, "password", alice.id) - before == rules.free_failures + 1, (r, answers)
        assert failures_of(services, key) == rules.free_failures + 1
        assert answers.count(SignInOutcome.WAIT.value) == RACERS - rules.free_failures - 1
        racers.race(services.clock.now(), [(sign_in, WRONG["password"])] * RACERS)  # backing off: none
        assert checks(services, "password", alice.id) - before == rules.free_failures + 1, r


# -- a right answer among wrong ones at the threshold ----------------------------------------------


@pytest.mark.parametrize("kind", ["password", "totp"])
def test_a_right_answer_among_wrong_ones_at_the_threshold_wins_only_if_checked_first(services, alice, racers, kind):
    key, wrong, secret = gated(services, kind, alice)
    limit = services.profile.signin_lockout.lock_after if kind == "password" else services.profile.lockout.lock_after
    outcomes = []
    for r in range(ROUNDS):
        services.clock.advance(seconds=30)
        set_failures(services, key, limit - 1)
        set_failures(services, throttle.source_key("race"), 0)
        if kind == "password":
            right = (sign_in, STRONG)
        else:
            right = (verify, "totp", alice.id, code_at(secret, services.clock.now(), TotpParams()))
        before = events(services, alice.id, FAILED[kind])
        at = (r * 5) % RACERS  # the right one from a different process each round
        jobs = [wrong] * RACERS
        jobs[at] = right
        answers = racers.race(services.clock.now(), jobs)
        won = answers[at] == SignInOutcome.OK.value if kind == "password" else answers[at][0]
        wrong_checks = events(services, alice.id, FAILED[kind])[len(before):]
        at_threshold = [e for e in wrong_checks if e.detail["failures"] >= limit]
        assert len(at_threshold) <= 1, (r, answers)
        # A wrong guess checked at the threshold locks, and then the right one is never looked at.
        assert won is not bool(at_threshold), (r, answers, wrong_checks)
        outcomes.append(won)
    print(f"{kind}: right answer won {sum(outcomes)} of {ROUNDS} rounds")


# -- a crash between the count and the check -------------------------------------------------------


def _sign_in_and_die(config, when):
    """Sign in with a hasher that kills the process in the middle of checking the password."""
    from db_helpers import CHEAP_ARGON2
    from secconsole.core.clock import ManualClock
    from secconsole.core.passwords import PasswordHasher
    from secconsole.services import open_services

    class DiesWhileChecking(PasswordHasher):
        def verify(self, stored, password):
            os.kill(os.getpid(), signal.SIGKILL)

    services = open_services(config, clock=ManualClock(when), hasher=DiesWhileChecking(**CHEAP_ARGON2))
    services.signin.sign_in("alice", "Wrong-Guess-1!", source="race")


def test_a_crash_while_checking_leaves_the_attempt_counted(services, alice):
    set_failures(services, throttle.signin_key("alice"), 2)
    child = multiprocessing.get_context("fork").Process(target=_sign_in_and_die,
                                                        args=(services.config, services.clock.now()))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert failures_of(services, throttle.signin_key("alice")) == 3
    assert failures_of(services, throttle.source_key("race")) == 1
    assert not events(services, alice.id, audit.SIGNIN_FAILED)  # the outcome was never known


# -- claims in opposite key orders -----------------------------------------------------------------


def claim_many(services, keys, times):
    """Claim ``keys`` (in this order) ``times`` times; returns how many failed."""
    counters = [throttle.Counter(k, services.profile.source_lockout, shared=True) for k in keys]
    failed = 0
    for _ in range(times):
        try:
            with services.db.transaction() as session:
                attempt = throttle.claim_attempt(session, services.clock.now(), *counters)
                throttle.refund(session, attempt)
        except Exception:
            failed += 1
    return failed


def test_claims_taking_counters_in_opposite_orders_never_deadlock(services, racers):
    keys = ["source:a", "source:b", "source:c"]
    jobs = [(claim_many, keys if i % 2 else keys[::-1], 10) for i in range(RACERS)]
    assert racers.race(services.clock.now(), jobs) == [0] * RACERS
    assert all(failures_of(services, k) == 0 for k in keys)
