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
