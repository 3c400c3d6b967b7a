"""Database faults in words a person can act on: SQLite's and PostgreSQL's errors (SQLAlchemy
wraps both) become the project's `DatabaseFault` types here, and only here. Anything else passes
through untouched (a constraint violation is the caller's business)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from secconsole.errors import DatabaseBusy, DatabaseDamaged, DatabaseFault, DatabaseFull, DatabaseReadOnly

#: SQLite's primary result codes (extended ones, e.g. SQLITE_READONLY_DBMOVED, share the prefix).
SQLITE_CODES = {
    "SQLITE_READONLY": DatabaseReadOnly,
    "SQLITE_BUSY": DatabaseBusy,
    "SQLITE_LOCKED": DatabaseBusy,
    "SQLITE_FULL": DatabaseFull,
    "SQLITE_CORRUPT": DatabaseDamaged,
    "SQLITE_NOTADB": DatabaseDamaged,
}
#: PostgreSQL's SQLSTATEs: read_only_sql_transaction, lock_not_available, disk_full,
#: data_corrupted, index_corrupted.
PG_STATES = {
    "25006": DatabaseReadOnly,
    "55P03": DatabaseBusy,
    "53100": DatabaseFull,
    "XX001": DatabaseDamaged,
    "XX002": DatabaseDamaged,
}
MESSAGES = {
    DatabaseReadOnly: "The database {where} is read-only, so nothing can be changed (looking still works). {hint}",
    DatabaseBusy: "The database {where} is busy: another program has held its lock for too long. Try again "
                  "in a moment; if it lasts, look for a stuck process using the database.",
    DatabaseFull: "The disk holding the database {where} is full (or the database reached its size limit). "
                  "Free some space and try again.",
    DatabaseDamaged: "The database {where} is damaged ({detail}). Restore it from a backup; "
                     "`sqlite3 FILE 'PRAGMA integrity_check'` shows what is broken in a SQLite file.",
}
NOTHING_CHANGED = " Nothing was changed."
READ_ONLY_HINTS = {
    "sqlite": "Check the permissions of the file and its folder, and whether its disk is mounted read-only.",
    "postgresql": "The server takes reads only on this connection (a standby, or default_transaction_read_only).",
}


def fault_for(exc: BaseException, where: str) -> DatabaseFault | None:
    """The fault ``exc`` (SQLAlchemy's or the driver's) is, or None when it is not one of ours."""
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", None)
    if name is not None:
        kind = next((k for code, k in SQLITE_CODES.items() if name == code or name.startswith(code + "_")), None)
    else:
        kind = PG_STATES.get(getattr(orig, "sqlstate", None) or "")
    if kind is None:
        return None
    detail = (str(orig).strip().splitlines() or [type(orig).__name__])[0]  # the driver's words, no parameters
    hint = READ_ONLY_HINTS["sqlite" if name is not None else "postgresql"]
    return kind(MESSAGES[kind].format(where=where, detail=detail, hint=hint) + NOTHING_CHANGED)


@contextmanager
def translated(where: str) -> Iterator[None]:
    """Raise a `DatabaseFault` for a fault inside the block; ``where`` names the database."""
    try:
        yield
    except Exception as exc:  # SQLAlchemy's wrapper, or a driver's error raised from an event hook
        fault = fault_for(exc, where)
        if fault is None:
            raise
        raise fault from exc


def bound_lock_waits(engine, milliseconds: int) -> None:
    """PostgreSQL waits for a row lock forever by default: give up after ``milliseconds``, as
    SQLite's busy timeout does, so a stuck holder becomes `DatabaseBusy`, not a hang."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(milliseconds)}")
        dbapi_connection.commit()
