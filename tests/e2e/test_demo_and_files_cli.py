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


def test_a_kept_demo_database_is_read_by_every_command_with_the_key_beside_it(tmp_path):
    """`demo --db FILE` keeps its key in FILE.key; `--db FILE user list` (data folder elsewhere) finds it."""
    import os
    import sys

    from pty_helpers import Pty

    kept = tmp_path / "kept" / "demo.db"
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), XDG_STATE_HOME=str(tmp_path / "state"), TERM="xterm-256color")
    term = Pty([sys.executable, "-m", "secconsole", "demo", "--db", str(kept), "--as", "alice"], env)
    try:
        term.wait_for(lambda _: kept.with_name("demo.db.key").exists() and "dave" in accounts(kept), timeout=30)
        term.wait_for("alice")
        term.send("\x11")  # ^Q
        assert term.finish() == 0
    finally:
        term.close()
    listed = run(tmp_path, "--db", str(kept), "user", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["username"] for a in json.loads(listed.stdout)] == ["alice", "bob", "carol", "dave"]
    outbox = run(tmp_path, "outbox", "--db", str(kept), env_extra={"SECCONSOLE_DB": str(kept)})
    assert outbox.returncode == 0, outbox.stderr
    assert not (tmp_path / "data" / "secret.key").exists()


def test_a_named_database_whose_key_is_still_in_the_data_folder_keeps_working(tmp_path):
    """Before the rule, `--db FILE` used the data folder's secret.key: that key still opens it when
    it is the database's, FILE.key is not made; a data folder key that is not is named."""
    kept = tmp_path / "mine.db"
    shared = tmp_path / "data" / "secret.key"
    added = run(tmp_path, "--db", str(kept), "user", "add", "ines", "--email", "ines@example.com",
                "--password-stdin", stdin=STRONG, env_extra={"SECCONSOLE_KEY_FILE": str(shared)})
    assert added.returncode == 0 and shared.exists(), added.stderr
    listed = run(tmp_path, "--db", str(kept), "user", "list")
    assert listed.returncode == 0 and "ines" in listed.stdout and listed.stderr == ""
    assert not kept.with_name("mine.db.key").exists()
    login = run(tmp_path, "--db", str(kept), "login", "ines", "--password-stdin", stdin=STRONG)
    assert login.returncode == 0, login.stderr

    shared.unlink()  # a data folder whose key belongs to another database
    assert run(tmp_path, "user", "list").returncode == 0 and shared.exists()
    wrong = run(tmp_path, "--db", str(kept), "user", "list")
    assert wrong.returncode == 78 and "Traceback" not in wrong.stderr
    assert f"The key file {kept}.key is missing" in wrong.stderr and f"{shared} holds another key" in wrong.stderr
    assert not kept.with_name("mine.db.key").exists()
