"""One ``Database`` per process: the engine, per-backend settings and the transaction scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from secconsole.errors import DatabaseError
from secconsole.store import faults, files

SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalize_url(url: str) -> str:
    """Accept the URLs people type: ``postgresql://`` means psycopg 3; a bare path means SQLite."""
    if "://" not in url:
        return f"sqlite:///{url}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable URL>"


class Database:
    def __init__(self, url: str, *, connect_args: dict | None = None) -> None:
        self.url = normalize_url(url)
        try:
            parsed = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError:
            raise DatabaseError(f"Not a database URL: {url!r}.") from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        args = dict(connect_args or {})
        self.connect_args = dict(args)  # for a dedicated connection outside the pool (store.listen)
        if self.is_sqlite:
            args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
            args.setdefault("check_same_thread", False)
            # hide_parameters: a failed statement's text (in errors and the error log) must
            # not carry its values, which can be a password hash or a sealed secret.
            self.engine = sa.create_engine(self.url, connect_args=args, hide_parameters=True)
            _make_sqlite_transactional(self.engine)
            self.file = files.sqlite_file_path(parsed)
            _create_private_on_connect(self.engine, self.file)
        elif parsed.get_backend_name() == "postgresql":
            self.file = None
            self.engine = sa.create_engine(self.url, connect_args=args, pool_pre_ping=True, hide_parameters=True)
            faults.bound_lock_waits(self.engine, SQLITE_BUSY_TIMEOUT_MS)
        else:
            raise DatabaseError(f"Unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL.")
        self._reader = self.engine.execution_options(secconsole_readonly=True)

    @property
    def display_url(self) -> str:
        return redact(self.url)

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back if it raises.

        ``readonly`` lets SQLite readers run beside a writer instead of queueing behind it."""
        bind = self._reader if readonly else self.engine
        with faults.translated(self.display_url), Session(bind, expire_on_commit=False) as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _make_sqlite_transactional(engine: sa.Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE so that two writers queue
    instead of one failing midway (pysqlite's own transaction handling is turned off)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        readonly = connection.get_execution_options().get("secconsole_readonly", False)
        connection.exec_driver_sql("BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE")


def _create_private_on_connect(engine: sa.Engine, path) -> None:
    """A new database file is made 0600 before SQLite opens it (SQLite would make it with the
    umask, often 0644); its -wal and -shm files then take the same mode."""
    if path is None:
        return

    @event.listens_for(engine, "do_connect")
    def _before_connect(_dialect, _record, _cargs, _cparams) -> None:
        files.create_private(path)
