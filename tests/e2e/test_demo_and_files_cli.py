"""As an operator meets them: demo mode pointed at real data, and files others can read."""

import json
import sqlite3

import pytest

from conftest import STRONG
from test_cli import run

REFUSAL = "was not created by demo mode, so demo mode will not open it"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """A real data folder with one real account (shared: every test here leaves it as it was)."""
    home = tmp_path_factory.mktemp("real")
    added = run(home, "user", "add", "hana", "--email", "hana@example.com", "--password-stdin", stdin=STRONG + "\n")
    assert added.returncode == 0, added.stderr
    return home


def accounts(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [name for (name,) in conn.execute("SELECT username FROM account")]


@pytest.mark.parametrize("how", [
    ["demo", "--db", "{db}", "--as", "hana"], ["demo", "--data-dir", "{dir}"],
    ["serve-ssh", "--demo", "--db", "{db}", "--port", "0"], ["serve-web", "--db", "{db}", "--port", "8999"],
])
def test_demo_mode_refuses_real_data_with_one_clear_line(real, how):
    real_db = real / "data" / "secconsole.db"
    argv = [a.format(db=real_db, dir=real_db.parent) for a in how]
    result = run(real, *argv, env_extra={"TEXTUAL_DRIVER": "headless"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"secconsole: sqlite:///{real_db} {REFUSAL}: its seeded accounts have "
                                                  "published passwords and it shows sign-in codes. Run `secconsole "
                                                  "demo` without --db and --data-dir (throwaway data), or give it a "
                                                  "new file or folder to keep the demo in (demo databases made "
                                                  "before this check carry no mark either)."]
    assert accounts(real_db) == ["hana"]
    assert not real_db.with_name("secconsole.db.key").exists()


def test_demo_mode_makes_and_marks_a_new_file(tmp_path):
    kept = tmp_path / "kept" / "demo.db"
    kept.parent.mkdir()
    result = run(tmp_path, "demo", "--db", str(kept))  # no terminal: refused after the check passed
    assert result.returncode == 1 and "needs a terminal" in result.stderr and REFUSAL not in result.stderr
    with sqlite3.connect(kept) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'demo_database'").fetchone()


def test_a_database_others_can_read_gets_a_warning_on_stderr(real):
    real_db = real / "data" / "secconsole.db"
    real_db.chmod(0o644)
    result = run(real, "user", "list")
    assert result.returncode == 0
    assert result.stderr.startswith(f"secconsole: warning: {real_db} can be read by other users (mode 0644")
    assert f"make it private with: chmod 600 {real_db}" in result.stderr
    real_db.chmod(0o600)
    assert run(real, "user", "list").stderr == ""
