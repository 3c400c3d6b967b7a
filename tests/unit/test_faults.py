"""Faults outside the program, each real: a read-only file, a write lock held by another process,
a full database, a damaged page, the key file gone or wrong, the mail server down. Each gets its
own message (and exit status from the CLI), and nothing is half-written."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import event

from conftest import STRONG, make_config, open_test_services
from secconsole import cli
from secconsole.errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseFull,
    DatabaseReadOnly,
    DeliveryError,
    KeyFileError,
)
from secconsole.services import open_services
from secconsole.store import engine, migrate


def db_file(config) -> str:
    return config.db_url if "://" not in config.db_url else config.db_url.split("///", 1)[1]


def rows(config, table: str) -> int:
    with sqlite3.connect(f"file:{db_file(config)}?mode=ro", uri=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    status = cli.main(list(argv))
    return status, capsys.readouterr().err


# -- read-only --------------------------------------------------------------------------------


def test_a_read_only_database_opens_for_reading_and_names_the_fault_on_a_write(alice_db, read_only, clock, hasher):
    read_only(db_file(alice_db))
    audit_before = rows(alice_db, "audit_event")
    services = open_services(alice_db, clock=clock, hasher=hasher)  # the current schema is not migrated again
    try:
        assert services.accounts.get("alice").email == "alice@example.com"
        with pytest.raises(DatabaseReadOnly, match="is read-only, so nothing can be changed") as fault:
            services.signin.sign_in("alice", STRONG, source="test")
        assert "Nothing was changed." in str(fault.value)
    finally:
        services.close()
    assert rows(alice_db, "audit_event") == audit_before


def test_a_read_only_database_at_an_old_schema_says_it_cannot_be_upgraded(tmp_path, read_only, clock, hasher):
    config = make_config(tmp_path)
    os.makedirs(config.data_dir)
    old = engine.Database(config.db_url)
    migrate.upgrade(old, "0005")
    old.dispose()
    read_only(db_file(config))
    with pytest.raises(DatabaseReadOnly, match="at schema 0005, this version needs .* cannot be upgraded"):
        open_services(config, clock=clock, hasher=hasher)


def test_the_cli_lists_from_a_read_only_database_and_refuses_a_change_with_its_own_status(
        alice_db, read_only, capsys):
    read_only(db_file(alice_db))
    data = str(alice_db.data_dir)
    status, _ = run_cli(capsys, "--data-dir", data, "user", "list")
    assert status == 0
    status, err = run_cli(capsys, "--data-dir", data, "user", "unlock", "alice")
    assert status == cli.EXIT_DB_READONLY == 77
    assert "is read-only" in err and "unexpected" not in err and "Traceback" not in err


# -- a write lock held by another process -----------------------------------------------------


@pytest.fixture
def short_waits(monkeypatch):
    """Wait 0.3 s for a lock instead of 10 s (the databases opened after this)."""
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 300)


def test_a_write_lock_held_past_the_busy_timeout_is_named(alice_db, short_waits, clock, hasher):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"c = sqlite3.connect({db_file(alice_db)!r}, isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    services = open_services(alice_db, clock=clock, hasher=hasher)
    try:
        assert holder.stdout.readline() == "held\n"
        assert services.accounts.get("alice")  # readers are not blocked by the writer
        started = time.monotonic()
        with pytest.raises(DatabaseBusy, match="is busy: another program has held its lock"):
            services.accounts.create("bob", "bob@example.com", STRONG, source="test")
        assert 0.25 < time.monotonic() - started < 5
        holder.communicate("\n", timeout=10)
        services.accounts.create("bob", "bob@example.com", STRONG, source="test")  # the lock is gone
    finally:
        holder.kill()
        services.close()


def test_a_row_lock_held_past_the_timeout_on_postgresql_is_named(request, pg_schema_url, short_waits, tmp_path,
                                                                  clock):
    import psycopg

    from db_helpers import plain_pg_url

    services = open_test_services(request, make_config(tmp_path, pg_schema_url), clock)
    try:
        with psycopg.connect(plain_pg_url(pg_schema_url)) as holder, ThreadPoolExecutor(1) as pool:
            holder.execute("LOCK TABLE account IN ACCESS EXCLUSIVE MODE")
            attempt = pool.submit(services.accounts.create, "bob", "bob@example.com", STRONG, source="test")
            try:
                with pytest.raises(DatabaseBusy, match="is busy"):
                    attempt.result(timeout=10)  # without a lock timeout it would wait for ever
            finally:
                holder.rollback()
        services.accounts.create("bob", "bob@example.com", STRONG, source="test")
    finally:
        services.close()


def test_a_read_only_postgresql_session_is_named(request, pg_schema_url, tmp_path, clock, hasher):
    open_test_services(request, make_config(tmp_path, pg_schema_url), clock).close()  # records the key
    config = make_config(tmp_path, pg_schema_url + "%20-cdefault_transaction_read_only%3Don")
    services = open_services(config, clock=clock, hasher=hasher)
    try:
        assert services.accounts.list() == []
        with pytest.raises(DatabaseReadOnly, match="is read-only.*takes reads only on this connection"):
            services.accounts.create("bob", "bob@example.com", STRONG, source="test")
    finally:
        services.close()


# -- a full disk ------------------------------------------------------------------------------


def test_a_full_database_is_named_and_the_write_is_whole_or_absent(request, tmp_path, clock):
    """``PRAGMA max_page_count`` at the current size: SQLite's own "database or disk is full"."""
    config = make_config(tmp_path)
    services = open_test_services(request, config, clock)

    @event.listens_for(services.db.engine, "connect")
    def _cap(dbapi_connection, _record) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    services.db.engine.dispose()
    created = 0
    try:
        with pytest.raises(DatabaseFull, match="is full") as fault:
            for created in range(200):
                services.accounts.create(f"user{created}", f"user{created}@example.com", STRONG, source="test")
        assert "Nothing was changed." in str(fault.value)
    finally:
        services.close()
    assert created > 0
    with sqlite3.connect(db_file(config)) as conn:
        names = {name for (name,) in conn.execute("SELECT username FROM account")}
        audited = {name for (name,) in conn.execute("SELECT username FROM audit_event WHERE kind = 'account.created'")}
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert f"user{created}" not in names and len(names) == created and audited == names


# -- damage -----------------------------------------------------------------------------------


def damage(path: str, *, table: str | None = None, offset: int = 0) -> None:
    """Overwrite a table's root page (or, with no table, the file from ``offset``: 0 is the header,
    100 the schema's own page)."""
    if table is not None:
        with sqlite3.connect(path) as conn:
            size = conn.execute("PRAGMA page_size").fetchone()[0]
            root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        offset = (root - 1) * size
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(b"\xa5" * 64)


def test_a_damaged_page_is_named(alice_db, clock, hasher):
    damage(db_file(alice_db), table="account")
    services = open_services(alice_db, clock=clock, hasher=hasher)
    try:
        with pytest.raises(DatabaseDamaged, match=r"is damaged \(database disk image is malformed\)"):
            services.accounts.get("alice")
    finally:
        services.close()


def test_a_damaged_schema_page_is_named_at_start_up(alice_db, clock, hasher):
    damage(db_file(alice_db), offset=100)
    with pytest.raises(DatabaseDamaged, match="is damaged"):
        open_services(alice_db, clock=clock, hasher=hasher)


def test_a_file_that_is_not_a_database_is_named(alice_db, capsys):
    damage(db_file(alice_db))
    status, err = run_cli(capsys, "--data-dir", str(alice_db.data_dir), "user", "list")
    assert status == cli.EXIT_DB_DAMAGED == 65
    assert "is damaged (file is not a database)" in err and "Restore it from a backup" in err


# -- the key file -----------------------------------------------------------------------------


def test_a_missing_or_wrong_key_file_has_its_own_status(alice_db, capsys):
    data = str(alice_db.data_dir)
    alice_db.key_file.rename(alice_db.key_file.with_suffix(".moved"))
    status, err = run_cli(capsys, "--data-dir", data, "user", "list")
    assert status == cli.EXIT_KEY_FILE == 78 and "is missing, but this database holds secrets" in err
    alice_db.key_file.write_text("bm90IGEga2V5\n")
    status, err = run_cli(capsys, "--data-dir", data, "user", "list")
    assert status == 78 and "is damaged: it does not hold a 32-byte key" in err
    alice_db.key_file.write_text("A" * 43 + "=\n")
    status, err = run_cli(capsys, "--data-dir", data, "user", "list")
    assert status == 78 and "Point SECCONSOLE_KEY_FILE at the right file" in err


# -- the mail server --------------------------------------------------------------------------


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_a_mail_server_that_is_down_is_named_and_the_cli_says_unavailable(request, tmp_path, clock, capsys,
                                                                          monkeypatch):
    from tui_helpers import enroll_totp

    config = replace(make_config(tmp_path), smtp=f"127.0.0.1:{closed_port()}")
    services = open_test_services(request, config, clock)
    try:
        services.accounts.create("alice", "alice@example.com", STRONG, source="test")
        enroll_totp(services, "alice")
        with pytest.raises(DeliveryError, match=r"nothing is listening there \(is the mail server running\?\)"):
            services.way("email").begin(services.accounts.get("alice").id, source="test")
    finally:
        services.close()
    monkeypatch.setattr(sys, "stdin", io.StringIO(STRONG + "\n"))
    status, err = run_cli(capsys, "--data-dir", str(config.data_dir), "--smtp", config.smtp, "login", "alice",
                          "--password-stdin", "--give-up", "totp", "--method", "email")
    assert status == cli.EXIT_UNAVAILABLE == 69
    assert "No email was sent." in err and "Traceback" not in err


def test_every_exit_status_is_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for name in dir(cli):
        if name.startswith("EXIT_") and getattr(cli, name) >= 65:
            assert f" {getattr(cli, name)} " in shown, name
