"""The command line, run as a user runs it: a real process, real files, exit codes, stderr."""

import json
import os
import subprocess
import sys

import pytest

from conftest import STRONG


def run(tmp_path, *args, stdin=None, db=None, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
    env["SECCONSOLE_DATA_DIR"] = str(tmp_path / "data")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    if db:
        env["SECCONSOLE_DB"] = db
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "secconsole", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def assert_clean_error(result, fragment):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]


def test_version_and_help_on_every_command(tmp_path):
    from secconsole import __version__

    assert run(tmp_path, "--version").stdout.strip() == f"secconsole {__version__}"
    for cmd in ([], ["console"], ["demo"], ["user"], ["user", "add"], ["user", "list"], ["user", "show"],
                ["user", "unlock"], ["db"], ["db", "upgrade"]):
        result = run(tmp_path, *cmd, "--help")
        assert result.returncode == 0 and "usage: secconsole" in result.stdout, cmd


def test_user_add_list_show_unlock(tmp_path):
    added = run(tmp_path, "user", "add", "Alice", "--email", "alice@example.com", "--password-stdin", stdin=STRONG + "\n")
    assert added.returncode == 0, added.stderr
    assert "Created account Alice" in added.stdout
    listed = run(tmp_path, "user", "list", "--json")
    assert [a["username"] for a in json.loads(listed.stdout)] == ["Alice"]
    shown = json.loads(run(tmp_path, "user", "show", "alice", "--json").stdout)
    assert shown["username"] == "Alice" and shown["second_step"] is False
    assert set(shown["methods"]) == {"push", "sms", "totp"}
    assert shown["recent_events"][0]["kind"] == "account.created"
    assert shown["recent_events"][0]["source"] == "cli user add"
    assert STRONG not in json.dumps(shown)
    text = run(tmp_path, "user", "show", "alice")
    assert "Authenticator app code" in text.stdout and "recent events" in text.stdout
    unlocked = run(tmp_path, "user", "unlock", "alice")
    assert unlocked.returncode == 0 and "no failed attempts" in unlocked.stdout


def test_the_key_file_is_private_and_lives_in_the_data_dir(tmp_path):
    run(tmp_path, "user", "add", "bob", "--email", "bob@example.com", "--password-stdin", stdin=STRONG)
    key = tmp_path / "data" / "secret.key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (["user", "add", "[/]", "--email", "a@example.com", "--password-stdin"], STRONG, "letters, digits"),
        (["user", "add", "carol", "--email", "nope", "--password-stdin"], STRONG, "email address is not valid"),
        (["user", "add", "carol", "--email", "c@example.com", "--password-stdin"], "password\n", "Password must meet"),
        (["user", "add", "carol", "--email", "c@example.com", "--password-stdin"], "", "No password on standard input"),
        (["user", "add", "carol", "--email", "c@example.com"], "", "--password-stdin"),
        (["user", "show", "nobody"], None, "no account named 'nobody'"),
        (["user", "unlock", "nobody"], None, "no account named 'nobody'"),
        (["user", "frobnicate"], None, "invalid choice"),
        (["--policy", "strict"], None, "invalid choice"),
        (["--open", "nowhere"], None, "invalid choice"),
    ],
)
def test_user_errors_are_one_line_and_change_nothing(tmp_path, args, stdin, fragment):
    assert_clean_error(run(tmp_path, *args, stdin=stdin), fragment)
    listed = run(tmp_path, "user", "list", "--json")
    assert json.loads(listed.stdout) == []


def test_a_lost_key_file_is_reported_in_one_line(tmp_path):
    run(tmp_path, "user", "add", "bob", "--email", "bob@example.com", "--password-stdin", stdin=STRONG)
    (tmp_path / "data" / "secret.key").unlink()
    assert_clean_error(run(tmp_path, "user", "list"), "is missing, but this database holds secrets")
    assert not (tmp_path / "data" / "secret.key").exists()


def test_unreachable_database_is_one_line(tmp_path):
    result = run(tmp_path, "user", "list", db="postgresql://nobody@127.0.0.1:1/none")
    assert_clean_error(result, "Cannot open the database postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_db_upgrade_on_postgresql(pg_schema_url, tmp_path):
    first = run(tmp_path, "db", "upgrade", db=pg_schema_url)
    assert first.returncode == 0 and "to 0001" in first.stdout, first.stderr
    again = run(tmp_path, "db", "upgrade", db=pg_schema_url)
    assert "already at schema 0001" in again.stdout


def test_postgresql_is_never_upgraded_behind_the_operators_back(pg_schema_url, tmp_path):
    assert_clean_error(run(tmp_path, "user", "list", db=pg_schema_url), "run `secconsole db upgrade` first")
    run(tmp_path, "db", "upgrade", db=pg_schema_url)
    assert run(tmp_path, "user", "list", db=pg_schema_url).returncode == 0
