"""Shared fixtures: an injected clock, real SQLite files and (with SECCONSOLE_TEST_PG) a real
PostgreSQL server, each test in a schema of its own.

The ``services`` fixtures hash with cheap argon2id parameters (``@pytest.mark.real_hasher`` for
the real ones) and start from a database the real migrations made once per session
(``db_helpers``), so a test pays neither for argon2 nor for Alembic unless it is about them."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from db_helpers import (
    build_sqlite_template,
    cheap_hasher,
    copy_sqlite_template,
    describe_pg_schema,
    fresh_schema,
    record_pg_migration,
    schema_url,
    sqlite_path,
)
from secconsole.config import Config, resolve
from secconsole.core.clock import ManualClock

START = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
PG_URL = os.environ.get("SECCONSOLE_TEST_PG")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "real_hasher: the services fixtures hash with the production argon2id parameters "
        "(for tests of hashing, rehashing, or whose timing depends on it)",
    )


def _require_pg() -> str:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL suite: .ci/run sets SECCONSOLE_TEST_PG")
        pytest.skip("set SECCONSOLE_TEST_PG to run the PostgreSQL suite")
    return PG_URL


@pytest.fixture
def pg_schema_url():
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = _require_pg()
    with fresh_schema(base) as schema:
        yield schema_url(base, schema)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file the real migrations brought to head, once per session."""
    return build_sqlite_template(tmp_path_factory.mktemp("template") / "migrated.db")


@pytest.fixture(scope="session")
def pg_migration():
    """The real migrations, run once per session into a template schema and recorded; replaying
    them into a second schema must describe the same as the template, else every test using it
    errors with the difference."""
    base = _require_pg()
    with fresh_schema(base, "tmpl") as template:
        recorded = record_pg_migration(schema_url(base, template), template)
        with fresh_schema(base, "tmpl") as replica:
            recorded.replay(schema_url(base, replica))
            expected, got = describe_pg_schema(base, template), describe_pg_schema(base, replica)
    if got != expected:
        diff = {k: (expected[k], got[k]) for k in expected if expected[k] != got[k]}
        pytest.fail(f"replaying the recorded migration does not give the migrated schema: {diff}")
    return recorded


def start_migrated(request, db_url: str) -> None:
    """Give a new test database the current schema without running Alembic: a copy of the
    SQLite template, or the recorded migration replayed into the test's PostgreSQL schema."""
    path = sqlite_path(db_url)
    if path is not None:
        copy_sqlite_template(request.getfixturevalue("sqlite_template"), path)
    else:
        request.getfixturevalue("pg_migration").replay(db_url)


@pytest.fixture
def hasher(request):
    """Cheap argon2id for the services fixtures; the real parameters under ``real_hasher``."""
    if request.node.get_closest_marker("real_hasher"):
        from secconsole.core.passwords import PasswordHasher

        return PasswordHasher()
    return cheap_hasher()


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


def open_test_services(request, config: Config, clock):
    """``open_services`` as the services fixtures do it, for fixtures that must open their own
    (say inside a registry context): a new database started migrated, and the ``hasher``
    fixture's hasher. ``config`` must name a database no one has opened yet."""
    from secconsole.services import open_services

    start_migrated(request, config.db_url)
    return open_services(config, clock=clock, migrate=True, hasher=request.getfixturevalue("hasher"))


@pytest.fixture
def services(request, config, clock):
    opened = open_test_services(request, config, clock)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_services(request, tmp_path, clock):
    """Services on a SQLite file only: for UI tests, where the backend is not the subject."""
    opened = open_test_services(request, make_config(tmp_path), clock)
    yield opened
    opened.close()


STRONG = "Tulip-Harbor-42!"
STRONG_2 = "Quartz-Falcon-2026%"


@pytest.fixture
def read_only():
    """Make a file truly read-only, for root too: root ignores modes but not the immutable flag."""
    made = []

    def make(path: str) -> None:
        if os.geteuid() == 0:
            if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", path]).returncode:
                pytest.skip("root needs chattr +i (CAP_LINUX_IMMUTABLE) to make a file read-only")
        else:
            os.chmod(path, 0o444)
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", path], check=True)
        os.chmod(path, 0o600)


@pytest.fixture
def alice_db(request, tmp_path, clock):
    """A migrated SQLite database holding alice, closed (its WAL folded back into the file)."""
    config = make_config(tmp_path)
    services = open_test_services(request, config, clock)
    services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    services.close()
    return config


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port: ``(controller, received messages)``."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received = []

    class Keep(MessageHandler):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, received
    controller.stop()
