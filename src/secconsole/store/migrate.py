"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

from importlib import resources

from secconsole.errors import DatabaseReadOnly, SchemaBehind
from secconsole.store import faults
from secconsole.store.engine import Database


#: The newest migration. A test keeps it equal to Alembic's head; with it, a start-up against a
#: current schema never imports Alembic (about 15 MB and 100 ms per process, per SSH session).
HEAD = "0012"


def _config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("secconsole.store") / "migrations"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction (on SQLite, under BEGIN IMMEDIATE,
    so two processes starting at once migrate once)."""
    from alembic import command

    cfg = _config()
    with faults.translated(db.display_url), db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def stored_revision(db: Database) -> str | None:
    """The schema version with one plain query (None for an empty database)."""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def ensure_current(db: Database, *, auto_upgrade: bool) -> None:
    """Upgrade the schema if allowed; otherwise refuse to run against an old one. A current
    schema is not written to, so a read-only database opens for reading."""
    stored = stored_revision(db)
    if stored == HEAD:
        return
    if auto_upgrade:
        try:
            upgrade(db)
        except DatabaseReadOnly:
            raise DatabaseReadOnly(
                f"The database {db.display_url} is at schema {stored or 'none'}, this version needs {HEAD}, "
                "and it is read-only, so it cannot be upgraded. Make it writable once (or run "
                "`secconsole db upgrade` where it is); nothing was changed."
            ) from None
        return
    current, head = current_revision(db), head_revision()
    if current != head:
        raise SchemaBehind(db.display_url, current, head)


def claim(db: Database, mark: str, value: str) -> bool:
    """Whether the database is one that carries ``mark`` in ``meta``, making it one when it is
    empty (no tables at all): the schema and the mark in one transaction, so no process ever sees
    the schema without the mark. On SQLite the check holds the write lock (BEGIN IMMEDIATE), so
    two processes starting on a new file at once both end up on the one marked database."""
    import sqlalchemy as sa

    with db.engine.begin() as conn:
        tables = sa.inspect(conn).get_table_names()
        if tables:
            if "meta" not in tables:
                return False
            found = conn.execute(sa.text("SELECT value FROM meta WHERE key = :k"), {"k": mark}).first()
            return found is not None
        from alembic import command

        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": mark, "v": value})
    return True
