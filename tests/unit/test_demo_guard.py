"""Demo mode runs only on a database it created, and shows codes of (and signs in to) only its
seeded accounts."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from conftest import STRONG, make_config, start_migrated
from secconsole.demo.hints import hint
from secconsole.demo.seed import seed, sign_in_as
from secconsole.errors import ValidationError
from secconsole.services import DEMO_MARK, NotADemoDatabase, open_services

SRC = "test"


def test_demo_mode_creates_and_marks_a_new_database_then_reopens_it(db_url, tmp_path, clock, hasher):
    config = make_config(tmp_path, db_url, demo=True)
    services = open_services(config, clock=clock, hasher=hasher)
    assert seed(services) == ["alice", "bob", "carol", "dave"]
    services.close()
    with sa.create_engine(services.db.url).connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM meta WHERE key = :k"), {"k": DEMO_MARK}).scalar()
    again = open_services(config, clock=clock, hasher=hasher)
    assert seed(again) == []
    again.close()


def test_demo_mode_refuses_a_real_database_and_touches_nothing(request, db_url, tmp_path, clock, hasher):
    real = make_config(tmp_path, db_url)
    start_migrated(request, db_url)
    services = open_services(real, clock=clock, hasher=hasher)
    services.accounts.create("hana", "hana@example.com", STRONG, source=SRC)
    services.close()
    demo = replace(real, demo=True, key_file=tmp_path / "demo.key")
    with pytest.raises(NotADemoDatabase, match="was not created by demo mode, so demo mode will not open it"):
        open_services(demo, clock=clock, hasher=hasher)
    assert not demo.key_file.exists()
    after = open_services(real, clock=clock, hasher=hasher)
    try:
        assert [a.username for a in after.accounts.list()] == ["hana"]  # no seeded account added
    finally:
        after.close()


def test_a_database_of_another_program_is_refused(tmp_path, clock, hasher):
    other = tmp_path / "other.db"
    with sa.create_engine(f"sqlite:///{other}").begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (body TEXT)")
    with pytest.raises(NotADemoDatabase):
        open_services(make_config(tmp_path, str(other), demo=True), clock=clock, hasher=hasher)


@pytest.fixture
def demo(tmp_path, clock, hasher):
    """A demo database with its seeded accounts and one account someone created in the demo."""
    services = open_services(make_config(tmp_path, demo=True), clock=clock, hasher=hasher)
    seed(services)
    services.accounts.create("zoe", "zoe@example.com", STRONG, source=SRC)
    yield services
    services.close()


def test_hints_show_only_the_seeded_accounts_codes(demo):
    from secconsole.demo.seed import enroll_totp

    zoe = demo.accounts.get("zoe")
    enroll_totp(demo, zoe.id, "zoe")
    demo.way("email").send_code(zoe.id, source=SRC)
    assert hint(demo, "totp", zoe.id) == "" and hint(demo, "email", zoe.id) == ""
    assert hint(demo, "totp", demo.accounts.get("bob").id).startswith("the app would show ")


def test_demo_as_signs_in_to_seeded_accounts_only(demo):
    assert sign_in_as(demo, "Bob").username == "bob"
    with pytest.raises(ValidationError, match=r"--as takes one of the demo accounts \(alice, bob, carol, dave\), "
                                              r"not 'zoe'"):
        sign_in_as(demo, "zoe")
    assert [e.kind for e in demo.accounts.recent_events("zoe")] == ["account.created"]


def test_the_panels_password_check_verifies_each_stored_hash_once(db_url, tmp_path, clock, hasher):
    """The sign-in screen rechecks the demo passwords each time it comes back: a hash already
    checked costs no argon2 again, and a changed password (a new hash) is checked anew."""
    from secconsole.demo import DEMO_ACCOUNTS
    from secconsole.demo.seed import password_states

    services = open_services(make_config(tmp_path, db_url, demo=True), clock=clock, hasher=hasher)
    seed(services)
    calls = []
    verify = services.hasher.verify
    services.hasher.verify = lambda stored, password: calls.append(1) or verify(stored, password)
    try:
        assert set(password_states(services).values()) == {True}
        first = len(calls)
        assert password_states(services) == {d.username: True for d in DEMO_ACCOUNTS}
        assert len(calls) == first  # nothing verified again
        alice = next(d for d in DEMO_ACCOUNTS if d.username == "alice")
        account = services.accounts.get("alice")
        services.passwords.change_password(account.id, alice.password, "Quiet-Lantern-93!x", source=SRC)
        changed = len(calls)  # (the change checks the current password and the history itself)
        assert password_states(services)["alice"] is False and len(calls) == changed + 1
    finally:
        services.close()
