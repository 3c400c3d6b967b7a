"""The authenticator app: RFC vectors, an independent implementation, enrollment, replay, drift,
brute force and a two-process race, on real SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import multiprocessing
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from secconsole.core import audit
from secconsole.core.methods.totp import PendingTotp
from secconsole.errors import KeyFileError, ValidationError
from secconsole.core.methods import registry
from secconsole.core.totp import TotpParams, clean_code, code_at, code_for_step, grouped, key_uri, step_at
from secconsole.store.models import MethodEnrollment

from conftest import STRONG

SRC = "test"
SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [  # RFC 6238 appendix B: time, SHA1, SHA256, SHA512 (8 digits)
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]


def b32(seed: bytes) -> str:
    return base64.b32encode(seed).decode()


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


@pytest.mark.parametrize(("when", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(when, sha1, sha256, sha512):
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        assert code_at(b32(SEEDS[algorithm]), at(when), TotpParams(algorithm, 8)) == expected


def test_rfc4226_vectors():
    secret = b32(SEEDS["SHA1"])
    assert [code_for_step(secret, n, TotpParams()) for n in range(10)] == RFC4226


@pytest.mark.skipif(not shutil.which("oathtool"), reason="oathtool is not installed (apt-get install oathtool)")
@pytest.mark.parametrize("algorithm", ["SHA1", "SHA256", "SHA512"])
@pytest.mark.parametrize("digits", [6, 8])
def test_agrees_with_oathtool(algorithm, digits):
    from secconsole.core.totp import new_secret

    secret = new_secret()
    for when in (0, 59, 1_700_000_000, 1_799_999_999, 4_000_000_000):
        out = subprocess.run(
            ["oathtool", f"--totp={algorithm.lower()}", "-d", str(digits), "-b", secret, "-N", f"@{when}"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        assert code_at(secret, at(when), TotpParams(algorithm, digits)) == out


def test_ci_has_oathtool_and_zbar():
    import os

    if os.environ.get("CI"):
        assert shutil.which("oathtool") and shutil.which("zbarimg"), ".ci/run installs oathtool and zbar-tools"


def test_key_uri_leaves_out_defaults():
    uri = key_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "carol", "SecConsole", TotpParams())
    assert uri == "otpauth://totp/SecConsole:carol?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=SecConsole"
    uri8 = key_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "carol", "SecConsole", TotpParams("SHA256", 8))
    assert "algorithm=SHA256" in uri8 and "digits=8" in uri8 and "period" not in uri8
    assert grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Enter the 6-digit code"), ("12a456", "digits only"), ("12345", "6 digits; you typed 5"),
     ("1234567", "you typed 7"), ("１２３４５６", "digits only")],
)
def test_bad_code_input(text, message):
    with pytest.raises(ValidationError, match=message):
        clean_code(text, 6, registry.get("totp"))


def test_pasted_codes_with_spaces_or_dashes_are_fine():
    spec = registry.get("totp")
    assert clean_code(" 123 456 ", 6, spec) == clean_code("123-456", 6, spec) == "123456"


# -- the service on real databases -------------------------------------------------------------


@pytest.fixture
def carol(services):
    return services.accounts.create("carol", "carol@example.com", STRONG, source=SRC)


def enroll(services, account, params=None) -> PendingTotp:
    pending = services.way("totp").start(account.id, account.username, params)
    result = services.way("totp").confirm(pending, code_at(pending.secret, services.clock.now(), pending.params), source=SRC)
    assert result.ok, result.message
    return pending


def test_enrollment_stores_only_a_sealed_secret(services, carol):
    pending = services.way("totp").start(carol.id, "carol")
    assert pending.uri.startswith("otpauth://totp/SecConsole:carol?secret=")
    with services.db.transaction() as session:
        assert session.exec(select(MethodEnrollment)).all() == []  # nothing until confirmed
    wrong = services.way("totp").confirm(pending, "000000", source=SRC)
    assert not wrong.ok and not services.accounts.get("carol").has_second_step
    enroll_code = code_at(pending.secret, services.clock.now(), pending.params)
    assert services.way("totp").confirm(pending, enroll_code, source=SRC).ok
    view = services.accounts.get("carol")
    assert view.method("totp").enabled and view.has_second_step
    with services.db.transaction() as session:
        row = session.exec(select(MethodEnrollment)).one()
    assert pending.secret.encode() not in row.secret
    # the enrollment code is spent: it cannot sign in
    assert not services.way("totp").verify(carol.id, enroll_code, source=SRC).ok
    assert audit.METHOD_ENABLED in [e.kind for e in services.accounts.recent_events("carol")]


def test_codes_of_this_step_and_one_either_side_are_accepted_once(services, carol, clock):
    pending = enroll(services, carol)
    clock.advance(seconds=90)
    step = step_at(clock.now(), pending.params)
    previous = code_for_step(pending.secret, step - 1, pending.params)
    assert services.way("totp").verify(carol.id, previous, source=SRC).ok
    replay = services.way("totp").verify(carol.id, previous, source=SRC)
    assert not replay.ok and "already used" in replay.message
    assert services.way("totp").verify(carol.id, code_for_step(pending.secret, step + 1, pending.params), source=SRC).ok
    # an older step than one already accepted is a replay too
    assert not services.way("totp").verify(carol.id, code_for_step(pending.secret, step, pending.params), source=SRC).ok
    clock.advance(seconds=60)
    assert not services.way("totp").verify(carol.id, code_for_step(pending.secret, step - 3, pending.params), source=SRC).ok


def test_a_fast_phone_gets_clock_advice_then_is_learned(services, carol, clock):
    pending = enroll(services, carol)
    clock.advance(seconds=300)

    def fast():
        return code_at(pending.secret, clock.now() + timedelta(minutes=3), pending.params)

    first = services.way("totp").verify(carol.id, fast(), source=SRC)
    assert not first.ok and "about 3 minutes fast" in first.message and "Set Automatically" in first.message
    clock.advance(seconds=30)
    second = services.way("totp").verify(carol.id, fast(), source=SRC)
    assert second.ok and "3 minutes fast" in second.note
    clock.advance(seconds=30)
    assert services.way("totp").verify(carol.id, fast(), source=SRC).ok  # the learned offset holds
    kinds = [e.kind for e in services.accounts.recent_events("carol", limit=50)]
    assert "totp.drift_learned" in kinds


def test_drift_is_only_learned_from_two_codes_in_a_row(services, carol, clock):
    pending = enroll(services, carol)
    clock.advance(seconds=300)

    def slow():
        return code_at(pending.secret, clock.now() - timedelta(minutes=4), pending.params)

    assert "4 minutes slow" in services.way("totp").verify(carol.id, slow(), source=SRC).message
    clock.advance(seconds=30)
    assert not services.way("totp").verify(carol.id, "000000", source=SRC).ok  # breaks the run
    clock.advance(seconds=30)
    assert not services.way("totp").verify(carol.id, slow(), source=SRC).ok
    clock.advance(seconds=30)
    assert services.way("totp").verify(carol.id, slow(), source=SRC).ok


def test_wrong_codes_back_off_then_lock_and_a_success_clears(services, carol, clock):
    pending = enroll(services, carol)
    rules = services.profile.lockout
    for _ in range(rules.free_failures):
        assert services.way("totp").verify(carol.id, "000000", source=SRC).retry_after == 0
    clock.advance(seconds=60)
    assert services.way("totp").verify(carol.id, code_at(pending.secret, clock.now(), pending.params), source=SRC).ok
    for n in range(rules.lock_after):
        result = services.way("totp").verify(carol.id, "000000", source=SRC)
        clock.advance(seconds=rules.backoff_max_seconds)
    assert result.locked and "locked" in result.message
    from secconsole.core.delivery import recent_outbox

    assert [m.subject for m in recent_outbox(services.db, services.box, account_id=carol.id)] == [
        "Your SecConsole account was locked", "Two-step verification was turned on"]
    good = services.way("totp").verify(carol.id, code_at(pending.secret, clock.now(), pending.params), source=SRC)
    assert not good.ok and good.locked
    assert services.accounts.unlock("carol", source="support")
    assert services.way("totp").verify(carol.id, code_at(pending.secret, clock.now(), pending.params), source=SRC).ok
    assert [e.kind for e in services.accounts.recent_events("carol", limit=100)].count("totp.failed") >= rules.lock_after


def test_bad_input_counts_nothing(services, carol):
    enroll(services, carol)
    for text in ("", "abcdef", "12345"):
        with pytest.raises(ValidationError):
            services.way("totp").verify(carol.id, text, source=SRC)
    assert services.accounts.get("carol").failures == 0
    assert "totp.failed" not in [e.kind for e in services.accounts.recent_events("carol")]


def test_new_phone_means_disable_and_enable_and_the_old_secret_stops(services, carol, clock):
    old = enroll(services, carol)
    with pytest.raises(ValidationError, match="already on"):
        enroll(services, carol)
    services.enrollments.disable(carol.id, "totp", source=SRC)
    clock.advance(seconds=60)
    new = enroll(services, carol)
    clock.advance(seconds=60)
    assert not services.way("totp").verify(carol.id, code_at(old.secret, clock.now(), old.params), source=SRC).ok
    assert services.way("totp").verify(carol.id, code_at(new.secret, clock.now(), new.params), source=SRC).ok


def test_eight_digit_sha512_enrollment(services, carol, clock):
    pending = enroll(services, carol, TotpParams("SHA512", 8))
    clock.advance(seconds=30)
    assert services.way("totp").verify(carol.id, code_at(pending.secret, clock.now(), pending.params), source=SRC).ok
    with pytest.raises(ValidationError, match="8 digits"):
        services.way("totp").verify(carol.id, "123456", source=SRC)


def test_a_damaged_secret_is_reported_and_changes_nothing(services, carol):
    enroll(services, carol)
    with services.db.transaction() as session:
        row = session.exec(select(MethodEnrollment)).one()
        row.secret = row.secret[:-1] + bytes([row.secret[-1] ^ 1])
    with pytest.raises(KeyFileError, match="damaged"):
        services.way("totp").verify(carol.id, "123456", source=SRC)
    assert services.accounts.get("carol").failures == 0


# -- two processes, one code -------------------------------------------------------------------


def _race_worker(config, when, code, barrier, results):
    from secconsole.core.clock import ManualClock
    from secconsole.services import open_services

    services = open_services(config, clock=ManualClock(when))
    account = services.accounts.get("carol")
    barrier.wait()
    results.put(services.way("totp").verify(account.id, code, source="race").ok)
    services.close()


def test_two_processes_racing_with_one_code_exactly_one_wins(services, carol, clock):
    pending = enroll(services, carol)
    clock.advance(seconds=60)
    code = code_at(pending.secret, clock.now(), pending.params)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_race_worker, args=(services.config, clock.now(), code, barrier, results))
               for _ in range(2)]
    for w in workers:
        w.start()
    outcomes = sorted(results.get(timeout=60) for _ in workers)
    for w in workers:
        w.join(30)
    assert outcomes == [False, True]


def test_a_refusal_while_waiting_is_not_a_checked_answer(services, carol):
    enroll(services, carol)
    for _ in range(services.profile.lockout.free_failures + 1):
        last = services.way("totp").verify(carol.id, "000000", source=SRC)
    assert last.checked and last.retry_after
    waiting = services.way("totp").verify(carol.id, "000000", source=SRC)
    assert not waiting.ok and not waiting.checked and "Try again in" in waiting.message
