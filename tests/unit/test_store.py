"""Migrations and engine settings, on real SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import secconsole.store.models  # noqa: F401
from secconsole.errors import DatabaseError
from secconsole.store import migrate
from secconsole.store.engine import Database, normalize_url


def test_migrations_from_empty_match_the_models(db_url):
    db = Database(db_url)
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata) == []
    db.dispose()


def test_downgrade_to_base_and_up_again(db_url):
    from alembic import command

    db = Database(db_url)
    migrate.upgrade(db)
    cfg = migrate._config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "account" not in sa.inspect(db.engine).get_table_names()
    migrate.upgrade(db)
    assert "account" in sa.inspect(db.engine).get_table_names()
    db.dispose()


def test_an_old_schema_is_refused_without_auto_upgrade(db_url):
    db = Database(db_url)
    with pytest.raises(DatabaseError, match="secconsole db upgrade"):
        migrate.ensure_current(db, auto_upgrade=False)
    migrate.ensure_current(db, auto_upgrade=True)
    migrate.ensure_current(db, auto_upgrade=False)
    db.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(tmp_path):
    db = Database(str(tmp_path / "x.db"))
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


def test_a_failed_transaction_leaves_nothing_behind(db_url):
    from secconsole.store.models import Meta

    db = Database(db_url)
    migrate.upgrade(db)
    with pytest.raises(RuntimeError):
        with db.transaction() as session:
            session.add(Meta(key="half", value="written"))
            session.flush()
            raise RuntimeError("crash midway")
    with db.transaction(readonly=True) as session:
        assert session.get(Meta, "half") is None
    db.dispose()


def test_urls_people_type_are_understood():
    assert normalize_url("/tmp/a.db") == "sqlite:////tmp/a.db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_unsupported_or_unreachable_databases_are_clear_errors(tmp_path):
    from secconsole.config import resolve
    from secconsole.services import open_database

    with pytest.raises(DatabaseError, match="Unsupported database 'mysql'"):
        Database("mysql://root@127.0.0.1/test")
    cfg = resolve(data_dir=str(tmp_path), db="postgresql://nobody@127.0.0.1:1/none", environ={})
    with pytest.raises(DatabaseError, match="Cannot open the database"):
        open_database(cfg)


def test_each_migration_upgrades_a_database_holding_data(db_url):
    """Upgrading step by step keeps existing rows (what a real install goes through)."""
    from alembic.script import ScriptDirectory

    db = Database(db_url)
    cfg = migrate._config()
    revisions = [r.revision for r in reversed(list(ScriptDirectory.from_config(cfg).walk_revisions()))]
    migrate.upgrade(db, revisions[0])
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO account (username, username_key, email, password_hash, password_changed_at, created_at, "
            "identity_verified, email_fallback_enabled) VALUES ('old', 'old', 'old@example.com', 'h', "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', false, true)"
        )
    for revision in revisions[1:]:
        migrate.upgrade(db, revision)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT username FROM account").scalar() == "old"
    db.dispose()


def test_0009_marks_existing_accounts_verified_and_new_ones_as_written(db_url):
    """Accounts made before email verification existed are trusted as verified; afterwards the
    column holds what the application writes, and a downgrade and upgrade keep the data."""
    from alembic import command

    db = Database(db_url)
    migrate.upgrade(db, "0008")
    insert = ("INSERT INTO account (username, username_key, email, password_hash, password_changed_at, created_at, "
              "identity_verified, email_fallback_enabled{col}) VALUES ('{n}', '{n}', '{n}@example.com', 'h', "
              "'2026-01-01 00:00:00', '2026-01-01 00:00:00', false, true{val})")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(insert.format(n="old", col="", val=""))
    migrate.upgrade(db, "0009")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(insert.format(n="new", col=", email_verified", val=", false"))
        rows = dict(conn.exec_driver_sql("SELECT username, email_verified FROM account").all())
    assert rows == {"old": True, "new": False}
    cfg = migrate._config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    assert "email_verification" not in sa.inspect(db.engine).get_table_names()
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM account").scalar() == 2
    db.dispose()


def test_0012_adds_the_password_change_requirement_and_keeps_every_row(db_url):
    """Accounts from before 0012 keep every column and need no password change; afterwards the
    column holds what the application writes; a downgrade and upgrade keep the rows."""
    from alembic import command

    db = Database(db_url)
    migrate.upgrade(db, "0011")
    insert = ("INSERT INTO account (username, username_key, email, password_hash, password_changed_at, created_at, "
              "identity_verified, email_fallback_enabled, email_verified, preferred_method{col}) VALUES ('{n}', "
              "'{n}', '{n}@example.com', 'hash-{n}', '2026-01-01 00:00:00', '2026-01-01 00:00:00', true, false, "
              "true, 'totp'{val})")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(insert.format(n="old", col="", val=""))
        conn.exec_driver_sql("INSERT INTO push_prompt (id, account_id, purpose, number, entry, created_at, expires_at, "
                             "status) SELECT 'p1', id, 'sign-in', 47, 'pick', '2026-01-01 00:00:00', "
                             "'2026-01-01 00:01:00', 'reported' FROM account")
    migrate.upgrade(db, "0012")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(insert.format(n="new", col=", password_change_required", val=", true"))
        rows = {r[0]: tuple(r[1:]) for r in conn.exec_driver_sql(
            "SELECT username, password_hash, identity_verified, email_fallback_enabled, email_verified, "
            "preferred_method, password_change_required FROM account").all()}
        prompts = conn.exec_driver_sql("SELECT id, status FROM push_prompt").all()
    assert rows == {"old": ("hash-old", True, False, True, "totp", False),
                    "new": ("hash-new", True, False, True, "totp", True)}
    assert [tuple(p) for p in prompts] == [("p1", "reported")]
    cfg = migrate._config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    assert "password_change_required" not in {c["name"] for c in sa.inspect(db.engine).get_columns("account")}
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM account").scalar() == 2
        assert conn.exec_driver_sql("SELECT count(*) FROM push_prompt").scalar() == 1
    db.dispose()


def test_the_head_constant_is_alembics_head():
    """ensure_current trusts migrate.HEAD to skip Alembic at start-up: it must be the real head."""
    assert migrate.HEAD == migrate.head_revision()


def test_a_current_database_starts_without_importing_alembic(tmp_path):
    import subprocess
    import sys

    db_file = tmp_path / "x.db"
    migrate.upgrade(Database(str(db_file)))
    code = (
        "import sys\n"
        "from secconsole.store.engine import Database\n"
        "from secconsole.store import migrate\n"
        f"migrate.ensure_current(Database({str(db_file)!r}), auto_upgrade=True)\n"
        "assert 'alembic' not in sys.modules, 'alembic was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
