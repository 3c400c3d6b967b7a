"""PostgreSQL's LISTEN/NOTIFY for whoever waits on a change another process commits.

``notify`` runs inside the caller's transaction (``pg_notify`` is transactional: it is delivered on
commit, and not at all on rollback). ``connect``/``aconnect`` open a dedicated connection (outside
the engine's pool, autocommit) that LISTENs on channels; the caller closes it when its wait ends.
Channel names are quoted as identifiers: callers still build them from ids, never from user text.

Channels are shared by the whole PostgreSQL database, but the tables live in a schema (the
search_path): the channel actually used ends with a digest of the database and schema names,
computed by the server on both sides, so two installs (or two test schemas) never wake each other."""

from __future__ import annotations

import sqlalchemy as sa

from secconsole.store.engine import Database


def is_postgresql(db: Database) -> bool:
    return not db.is_sqlite


#: ``base`` + "_" + a digest of where the tables are, evaluated by the server.
_SCOPED = "{base} || '_' || substr(md5(current_database() || '.' || current_schema()), 1, 12)"


def notify(session, channel: str) -> None:
    """Queue a notification on ``channel`` (scoped to this schema), sent when ``session``'s
    transaction commits (PostgreSQL only; SQLite has no such thing and its waiters poll)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"SELECT pg_notify({_SCOPED.format(base=':channel')}, '')"), {"channel": channel})


def _connect_params(db: Database) -> tuple[list, dict]:
    """What the engine passes to ``psycopg.connect`` (the URL's host, user, password, options and
    the ``Database``'s connect_args), for a connection of our own."""
    cargs, cparams = db.engine.dialect.create_connect_args(db.engine.url)
    cparams = {**cparams, **db.connect_args, "autocommit": True}
    return list(cargs), cparams


def _listen_sql(name: str):
    from psycopg import sql

    return sql.SQL("LISTEN {}").format(sql.Identifier(name))


_NAME_SQL = f"SELECT {_SCOPED.format(base='%s')}"


def connect(db: Database, channel: str):
    """A new psycopg connection listening on ``channel`` (the LISTEN has taken effect on return)."""
    import psycopg

    cargs, cparams = _connect_params(db)
    conn = psycopg.connect(*cargs, **cparams)
    try:
        (name,) = conn.execute(_NAME_SQL, (channel,)).fetchone()
        conn.execute(_listen_sql(name))
    except BaseException:
        conn.close()
        raise
    return conn


async def aconnect(db: Database, channel: str):
    """``connect`` for an event loop (psycopg's ``AsyncConnection``)."""
    import psycopg

    cargs, cparams = _connect_params(db)
    conn = await psycopg.AsyncConnection.connect(*cargs, **cparams)
    try:
        (name,) = await (await conn.execute(_NAME_SQL, (channel,))).fetchone()
        await conn.execute(_listen_sql(name))
    except BaseException:
        await conn.close()
        raise
    return conn
