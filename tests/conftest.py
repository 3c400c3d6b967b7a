"""Shared fixtures: an injected clock, real SQLite files and (with SECCONSOLE_TEST_PG) a real
PostgreSQL server, each test in a schema of its own."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from secconsole.config import Config, resolve
from secconsole.core.clock import ManualClock

START = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
PG_URL = os.environ.get("SECCONSOLE_TEST_PG")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def pg_schema_url():
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL suite: .ci/run sets SECCONSOLE_TEST_PG")
        pytest.skip("set SECCONSOLE_TEST_PG to run the PostgreSQL suite")
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """Every store-backed test runs on a real SQLite file and on real PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "test.db")
    return request.getfixturevalue("pg_schema_url")


def make_config(tmp_path, db_url: str | None = None, **changes) -> Config:
    config = resolve(data_dir=str(tmp_path / "data"), db=db_url, environ={}, source="test")
    return replace(config, **changes)


@pytest.fixture
def config(tmp_path, db_url) -> Config:
    return make_config(tmp_path, db_url)


@pytest.fixture
def services(config, clock):
    from secconsole.services import open_services

    opened = open_services(config, clock=clock, migrate=True)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_services(tmp_path, clock):
    """Services on a SQLite file only: for UI tests, where the backend is not the subject."""
    from secconsole.services import open_services

    opened = open_services(make_config(tmp_path), clock=clock)
    yield opened
    opened.close()


STRONG = "Tulip-Harbor-42!"
STRONG_2 = "Quartz-Falcon-2026%"
