"""Cheap set-up for the services fixtures: an argon2id hasher with tiny parameters, and databases
that start migrated without running Alembic per test.

The real migrations still run, once per session: into a template SQLite file, which each test
copies, and into a template PostgreSQL schema, whose statements are recorded and replayed into
each test's own schema (checked once per session to give the same schema as the migration)."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

#: The smallest argon2id parameters argon2 accepts (8 KiB per lane, 1 pass): a hash costs
#: microseconds instead of ~20 ms. Still argon2id, so ``verify`` and ``needs_rehash`` behave as
#: with the real parameters; tests that check hashing itself use ``@pytest.mark.real_hasher``.
CHEAP_ARGON2 = {"memory_kib": 8, "time_cost": 1, "parallelism": 1}


def cheap_hasher():
    from secconsole.core.passwords import PasswordHasher

    return PasswordHasher(**CHEAP_ARGON2)


# --- SQLite: a migrated template file, copied per test ------------------------------------------


def sqlite_path(db_url: str) -> Path | None:
    """The file of a SQLite URL or path; None for anything else."""
    import sqlalchemy as sa

    from secconsole.store.engine import normalize_url

    url = sa.engine.make_url(normalize_url(db_url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


def build_sqlite_template(path: Path) -> Path:
    """Run the real migrations into a new file; no key fingerprint yet (each test's key file is
    recorded when its copy is first opened, as with a new database)."""
    from secconsole.store import migrate
    from secconsole.store.engine import Database

    db = Database(str(path))
    migrate.upgrade(db)
    db.dispose()
    with closing(sqlite3.connect(path)) as conn:  # everything into the main file, which is copied
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"{wal} still holds data: a copy of {path.name} alone would miss it")
    return path


def copy_sqlite_template(template: Path, target: Path) -> None:
    """Put a migrated database where the test's config expects one (a new file, as before)."""
    if target.exists():
        raise FileExistsError(f"{target} exists already: refusing to replace a test's database")
    if not target.parent.exists():
        # What open_database would do: a data folder only its owner can enter.
        target.parent.mkdir(mode=0o700, parents=True)
    shutil.copyfile(template, target)


# --- PostgreSQL: the migration's statements, recorded once and replayed per schema --------------


def plain_pg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def schema_url(base_url: str, schema: str) -> str:
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_schema(base_url: str, prefix: str = "t") -> Iterator[str]:
    """A new, empty schema, dropped afterwards; yields its name."""
    import psycopg

    schema = f"{prefix}_{secrets.token_hex(6)}"
    plain = plain_pg_url(base_url)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass(frozen=True)
class Statement:
    sql: str
    params: object
    many: bool
    no_params: bool


@dataclass(frozen=True)
class RecordedMigration:
    """What Alembic sent to the server while migrating an empty schema to head."""

    statements: tuple[Statement, ...]

    def replay(self, url: str) -> None:
        """The same statements, in one transaction as Alembic runs them, into the (empty)
        schema that ``url``'s search_path names."""
        import psycopg

        with psycopg.connect(plain_pg_url(url)) as conn, conn.cursor() as cursor:
            for st in self.statements:
                if st.many:
                    cursor.executemany(st.sql, st.params)
                elif st.no_params:
                    cursor.execute(st.sql)
                else:
                    cursor.execute(st.sql, st.params)


def record_pg_migration(url: str, schema: str) -> RecordedMigration:
    """Run the real migrations into ``schema`` (empty, named by ``url``'s search_path), keeping
    every statement exactly as it went to the driver."""
    import sqlalchemy as sa

    from secconsole.store import migrate
    from secconsole.store.engine import Database

    db = Database(url)
    seen: list[Statement] = []

    @sa.event.listens_for(db.engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, parameters, context, executemany) -> None:
        params = [dict(p) for p in parameters] if executemany else (
            dict(parameters) if hasattr(parameters, "keys") else parameters
        )
        no_params = bool(context is not None and context.no_parameters)
        seen.append(Statement(statement, params, executemany, no_params))

    try:
        migrate.upgrade(db)
    finally:
        db.dispose()
    for st in seen:
        if schema in st.sql or schema in repr(st.params):
            raise RuntimeError(f"a migration statement names the template schema, it cannot be replayed: {st.sql}")
    return RecordedMigration(tuple(seen))


def describe_pg_schema(base_url: str, schema: str) -> dict[str, list]:
    """Tables, columns, constraints, indexes, sequences and the stored revision of a schema, with
    the schema's own name taken out: two schemas made the same way describe the same."""
    import psycopg

    queries = {
        "columns": """
            SELECT table_name, column_name, data_type, character_maximum_length, is_nullable,
                   column_default, ordinal_position
            FROM information_schema.columns WHERE table_schema = %(s)s""",
        "constraints": """
            SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = %(s)s""",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s",
        "sequences": """
            SELECT sequencename, data_type, start_value, increment_by, last_value
            FROM pg_sequences WHERE schemaname = %(s)s""",
    }
    out: dict[str, list] = {}
    with psycopg.connect(plain_pg_url(base_url), autocommit=True) as conn:
        for name, query in queries.items():
            rows = conn.execute(query, {"s": schema}).fetchall()
            out[name] = sorted(tuple(str(v).replace(f'"{schema}".', "").replace(f"{schema}.", "") for v in row) for row in rows)
        out["revision"] = conn.execute(f'SELECT version_num FROM "{schema}".alembic_version').fetchall()
    return out


def answer_matches(services, account_id: int, answer: str) -> bool:
    """Whether ``answer`` matches the stored security answer, read straight from the database.
    For tests only: the product checks an answer only through ``verify``, counted first."""
    from secconsole.core.lookup import require_account
    from secconsole.core.methods.question import normalize_answer

    with services.db.transaction(readonly=True) as session:
        stored = require_account(session, account_id).security_answer_hash
    return stored is not None and services.hasher.verify(stored, normalize_answer(answer))


def tagged(db_url: str) -> tuple[str, str | None]:
    """``db_url`` with an application_name of its own on PostgreSQL (every connection made from it,
    the pool's and the dedicated LISTEN ones, carries it), and that name; SQLite URLs unchanged."""
    if "://" not in db_url or db_url.startswith("sqlite"):
        return db_url, None
    tag = f"sc_{secrets.token_hex(6)}"
    return f"{db_url}{'&' if '?' in db_url else '?'}application_name={tag}", tag


def url_tag(db_url: str) -> str | None:
    """The application_name ``tagged`` gave ``db_url``."""
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(db_url).query).get("application_name", [None])[0]


def listening_connections(tag: str, *, settle_to: int | None = None, timeout: float = 5.0) -> int:
    """Open connections named ``tag`` whose last statement was a LISTEN (the dedicated ones).
    ``settle_to``: look again until the count is that (a backend leaves pg_stat_activity a moment
    after its client closed the socket), at most ``timeout`` seconds; the last count either way."""
    import time

    import psycopg

    base = os.environ["SECCONSOLE_TEST_PG"]
    deadline = time.monotonic() + timeout
    with psycopg.connect(plain_pg_url(base), autocommit=True) as conn:
        while True:
            count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                                 "AND query ILIKE 'LISTEN%%'", (tag,)).fetchone()[0]
            if settle_to is None or count == settle_to or time.monotonic() > deadline:
                return count
            time.sleep(0.05)
