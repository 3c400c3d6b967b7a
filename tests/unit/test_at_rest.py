"""Secrets at rest: file modes of what we create, warnings for what others can read, SQL
parameters kept out of errors and logs, and outbox bodies sealed with the key file."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import STRONG, make_config
from secconsole import errorlog
from secconsole.core.delivery import OUTBOX_UNSEALED, recent_outbox
from secconsole.services import open_services
from secconsole.store import migrate
from secconsole.store.engine import Database

SRC = "test"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextmanager
def umask(value: int):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def shared(tmp_path) -> Path:
    """An existing folder every local user can enter, as /tmp or a team share."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    return folder


def test_a_new_database_and_its_wal_and_shm_are_private(shared, tmp_path, clock, hasher):
    db_file = shared / "console.db"
    with umask(0o022):
        services = open_services(make_config(tmp_path, str(db_file)), clock=clock, hasher=hasher)
        try:
            services.accounts.create("hana", "hana@example.com", STRONG, source=SRC)
            side = [db_file.with_name(db_file.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in side)
            assert {p.name: mode(p) for p in [db_file, *side]} == {p.name: 0o600 for p in [db_file, *side]}
            assert services.warnings == []
        finally:
            services.close()


def test_a_rollback_journal_takes_the_private_mode_too(shared):
    """SQLite gives its side files the database file's mode: the -journal of a file we made."""
    db_file = shared / "plain.db"
    with umask(0o022):
        Database(str(db_file)).engine.connect().close()
        conn = sqlite3.connect(db_file, isolation_level=None)
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE t (x)")
        journal = db_file.with_name("plain.db-journal")
        assert journal.exists() and mode(journal) == 0o600
        conn.execute("ROLLBACK")
        conn.close()


def test_an_existing_database_or_key_open_to_others_is_warned_about(tmp_path, clock, hasher):
    config = make_config(tmp_path)
    open_services(config, clock=clock, hasher=hasher).close()
    db_file = Path(config.db_url)
    db_file.chmod(0o644)
    config.key_file.chmod(0o640)
    services = open_services(config, clock=clock, hasher=hasher)
    services.close()
    wal, shm = (db_file.with_name(db_file.name + s) for s in ("-wal", "-shm"))
    assert services.warnings == [
        f"warning: {db_file} can be read by other users (mode 0644, {wal.name} (0644), {shm.name} (0644)) "
        f"and holds secrets; make it private with: chmod 600 {db_file} {wal} {shm}",
        f"warning: {config.key_file} can be read by other users (mode 0640) and holds secrets; "
        f"make it private with: chmod 600 {config.key_file}",
    ]
    assert mode(db_file) == 0o644  # warned about, not changed behind the operator's back


def test_the_error_log_is_made_private_and_an_open_one_is_warned_about(shared):
    log = shared / "secconsole.log"
    with umask(0o022):
        assert errorlog.where(ValueError("boom"), log) == f"The details are in {log}."
    assert mode(log) == 0o600 and "ValueError: boom" in log.read_text()
    log.chmod(0o644)
    said = errorlog.where(ValueError("again"), log)
    assert said.startswith(f"The details are in {log}. Warning: {log} can be read by other users (mode 0644)")


def test_statement_parameters_never_reach_errors_or_the_log(db_url, tmp_path):
    """A failed statement's text carries no values: here a fake password hash in a duplicate row."""
    secret = "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LXNhbHQ$SECRET-HASH-VALUE"
    db = Database(db_url)
    migrate.upgrade(db)
    insert = sa.text("INSERT INTO meta (key, value) VALUES ('k', :v)")
    with db.engine.begin() as conn:
        conn.execute(insert, {"v": secret})
    with pytest.raises(sa.exc.IntegrityError) as caught:
        with db.transaction() as session:
            session.execute(insert, {"v": secret})
    db.dispose()
    log = tmp_path / "error.log"
    errorlog.write(caught.value, log)
    assert "INSERT INTO meta" in str(caught.value)
    assert secret not in str(caught.value) and "SECRET-HASH" not in log.read_text()


def _send_one(services, name="hana"):
    account = services.accounts.create(name, f"{name}@example.com", STRONG, source=SRC)
    services.way("email").send_code(account.id, source=SRC)
    body = recent_outbox(services.db, services.box, account_id=account.id, limit=1)[0].body
    return account, body


def test_outbox_bodies_are_sealed_and_read_back_with_the_key(services):
    account, body = _send_one(services)
    assert "Your sign-in code is" in body
    code = body.split("code is ")[1][:6]
    with services.db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT body, sealed_body FROM outbox")).all()
    assert [r.body for r in rows] == [""]
    assert code.encode() not in bytes(rows[0].sealed_body) and b"sign-in" not in bytes(rows[0].sealed_body)


def test_a_sealed_body_copied_to_another_row_does_not_open(services):
    from secconsole.core.delivery import Message

    account, body = _send_one(services)

    services.sender.send(Message("email", "hana@example.com", "Other", "another body", account.id))
    with services.db.engine.begin() as conn:
        ids = [r.id for r in conn.execute(sa.text("SELECT id FROM outbox ORDER BY id")).all()]
        conn.execute(sa.text("UPDATE outbox SET sealed_body = (SELECT sealed_body FROM outbox WHERE id = :a) "
                             "WHERE id = :b"), {"a": ids[0], "b": ids[-1]})
    shown = recent_outbox(services.db, services.box, account_id=account.id, limit=1)[0].body
    assert "code is" not in shown and "damaged" in shown


def _plain_outbox_at_0007(db_url: str, bodies: list[str]) -> None:
    """A database as schema 0007 left it: one account and its outbox rows in plain text."""
    db = Database(db_url)
    migrate.upgrade(db, "0007")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO account (id, username, username_key, email, password_hash, password_changed_at, "
            "created_at, identity_verified, email_fallback_enabled) VALUES (1, 'old', 'old', 'old@example.com', "
            "'h', '2026-01-01 00:00:00', '2026-01-01 00:00:00', false, true)")
        conn.execute(sa.text("INSERT INTO outbox (at, account_id, channel, recipient, subject, body) VALUES "
                             "('2026-01-01 00:00:00', 1, 'email', 'old@example.com', 'Code', :b)"),
                     [{"b": b} for b in bodies])
    db.dispose()


@pytest.fixture
def secure_delete_off_by_default(db_url):
    """Debian builds SQLite with secure_delete on; others do not. Test the build that does not."""
    if db_url.startswith("postgresql"):
        yield
        return

    def off(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA secure_delete = OFF")

    sa.event.listen(sa.engine.Engine, "connect", off)
    yield
    sa.event.remove(sa.engine.Engine, "connect", off)


@pytest.mark.usefixtures("secure_delete_off_by_default")
def test_plain_bodies_from_before_0008_are_sealed_at_the_first_open_with_the_key(db_url, tmp_path, clock, hasher):
    codes = [str(913500 + i) for i in range(20)]  # a page's worth: one row alone may leave no trace
    bodies = [f"Your sign-in code is {code}. It works once, for 10 minutes." for code in codes]
    _plain_outbox_at_0007(db_url, bodies)
    db = Database(db_url)
    migrate.upgrade(db)  # what `db upgrade` does: it cannot seal (no key), so it marks
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM meta WHERE key = :k"), {"k": OUTBOX_UNSEALED}).scalar() == "1"
    db.dispose()
    services = open_services(make_config(tmp_path, db_url), clock=clock, hasher=hasher)
    try:
        assert sorted(m.body for m in recent_outbox(services.db, services.box, limit=50)) == bodies
        with services.db.engine.connect() as conn:
            assert set(conn.execute(sa.text("SELECT body FROM outbox")).scalars().all()) == {""}
            assert conn.execute(sa.text("SELECT count(*) FROM meta WHERE key = :k"), {"k": OUTBOX_UNSEALED}).scalar() == 0
        if not db_url.startswith("postgresql"):  # while open: the old pages must not wait for the last close
            on_disk = b"".join(p.read_bytes() for p in Path(db_url).parent.glob(Path(db_url).name + "*"))
            assert [c for c in codes if c.encode() in on_disk] == []  # overwritten, not just unlinked
    finally:
        services.close()


def test_an_empty_outbox_is_not_marked_for_sealing(db_url):
    db = Database(db_url)
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM meta WHERE key = :k"), {"k": OUTBOX_UNSEALED}).scalar() == 0
    db.dispose()
