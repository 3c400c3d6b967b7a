"""The command line, run as a user runs it: a real process, real files, exit codes, stderr."""

import json
import re
import os
import subprocess
import sys

import pytest

from conftest import STRONG
from secconsole.errors import ValidationError
from throttle_helpers import set_failures


def cli_env(tmp_path, db=None, env_extra=None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
    env["SECCONSOLE_DATA_DIR"] = str(tmp_path / "data")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    if db:
        env["SECCONSOLE_DB"] = db
    env.update(env_extra or {})
    return env


def run(tmp_path, *args, stdin=None, db=None, env_extra=None):
    return subprocess.run([sys.executable, "-m", "secconsole", *args], input=stdin, capture_output=True, text=True,
                          env=cli_env(tmp_path, db, env_extra), timeout=60)


def follow(tmp_path, printed: str, *, stdin=None, pty=False, **placeholders):
    """Run, exactly, the command a hint printed (its placeholders such as CODE filled in)."""
    import shlex

    line = next((line for line in printed.splitlines() if "secconsole " in line), None)
    assert line, f"no command to run in: {printed!r}"
    start = line.index("secconsole ")
    quoted = line[start - 1] == "`"  # a command in `backquotes` inside a sentence
    text = line[start:line.index("`", start)] if quoted else line[start:]
    words = [placeholders.get(word, word) for word in shlex.split(text)]
    if pty:
        from pty_helpers import Pty

        return Pty([sys.executable, "-m", "secconsole", *words[1:]], cli_env(tmp_path))
    return run(tmp_path, *words[1:], stdin=stdin)


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
    assert set(shown["methods"]) == {"push", "sms", "totp", "question", "recovery", "email"}
    assert shown["recent_events"][0]["kind"] == "account.created"
    assert shown["recent_events"][0]["source"] == "cli user add"
    assert STRONG not in json.dumps(shown)
    text = run(tmp_path, "user", "show", "alice")
    assert "Authenticator app code" in text.stdout and "recent events" in text.stdout
    unlocked = run(tmp_path, "user", "unlock", "alice")
    assert unlocked.returncode == 6 and "Nothing to do: Alice had no failed attempts" in unlocked.stdout


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
    from secconsole.store.migrate import HEAD

    first = run(tmp_path, "db", "upgrade", db=pg_schema_url)
    assert first.returncode == 0 and f"to {HEAD}" in first.stdout, first.stderr
    again = run(tmp_path, "db", "upgrade", db=pg_schema_url)
    assert f"already at schema {HEAD}" in again.stdout


def test_postgresql_is_never_upgraded_behind_the_operators_back(pg_schema_url, tmp_path):
    assert_clean_error(run(tmp_path, "user", "list", db=pg_schema_url), "run `secconsole db upgrade` first")
    run(tmp_path, "db", "upgrade", db=pg_schema_url)
    assert run(tmp_path, "user", "list", db=pg_schema_url).returncode == 0


def test_the_upgrade_hint_names_the_database_given_with_db(pg_schema_url, tmp_path):
    refused = run(tmp_path, "--db", pg_schema_url, "user", "list")
    assert_clean_error(refused, "run `secconsole --db ")
    upgraded = follow(tmp_path, refused.stderr)
    assert upgraded.returncode == 0 and "Upgraded" in upgraded.stdout, upgraded.stderr
    assert run(tmp_path, "--db", pg_schema_url, "user", "list").returncode == 0


def _run_in_pty(tmp_path, args, answers):
    """Run the CLI on a real terminal (a PTY as controlling tty) and answer its prompts."""
    import pty
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
    env["SECCONSOLE_DATA_DIR"] = str(tmp_path / "data")
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(sys.executable, [sys.executable, "-m", "secconsole", *args], env)
    output = b""
    deadline = time.monotonic() + 60
    pending = list(answers)
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        while pending and pending[0][0].encode() in output.split(b"\n")[-1]:
            prompt, answer = pending.pop(0)
            os.write(fd, answer.encode() + b"\n")
            output += b"\n"
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_user_add_prompts_twice_on_a_terminal_without_echo(tmp_path):
    code, out = _run_in_pty(
        tmp_path, ["user", "add", "dora", "--email", "dora@example.com"],
        [("Password:", STRONG), ("Password again:", STRONG)],
    )
    assert code == 0, out
    assert "Created account dora" in out
    assert STRONG not in out  # not echoed


def test_user_add_prompt_mismatch_creates_nothing(tmp_path):
    code, out = _run_in_pty(
        tmp_path, ["user", "add", "dora", "--email", "dora@example.com"],
        [("Password:", STRONG), ("Password again:", STRONG + "x")],
    )
    assert code == 1 and "do not match; nothing was created" in out
    assert json.loads(run(tmp_path, "user", "list", "--json").stdout) == []


def test_key_file_location_can_be_chosen(tmp_path):
    key = tmp_path / "elsewhere" / "my.key"
    result = run(tmp_path, "user", "add", "eve", "--email", "eve@example.com", "--password-stdin",
                 stdin=STRONG, env_extra={"SECCONSOLE_KEY_FILE": str(key)})
    assert result.returncode == 0, result.stderr
    assert key.exists() and not (tmp_path / "data" / "secret.key").exists()


def test_demo_with_db_keeps_data_and_key_between_runs(tmp_path):
    import shutil

    from secconsole.demo.seed import seed
    from secconsole.cli.console import demo_config
    from secconsole.cli.parser import build_parser
    from secconsole.services import open_services

    db = tmp_path / "kept" / "demo.db"
    args = build_parser().parse_args(["demo", "--db", str(db)])
    for run_number in range(2):
        config, throwaway = demo_config(args, environ={})
        assert config.demo and config.key_file == db.with_name("demo.db.key") and not config.throwaway
        services = open_services(config)
        created = seed(services)
        assert created == (["alice", "bob", "carol", "dave"] if run_number == 0 else [])
        services.close()
        shutil.rmtree(throwaway)
    assert db.exists() and db.with_name("demo.db.key").exists()


def test_demo_without_db_is_thrown_away(tmp_path):
    from secconsole.cli.console import demo_config
    from secconsole.cli.parser import build_parser

    import shutil

    config, throwaway = demo_config(build_parser().parse_args(["demo"]), environ={})
    shutil.rmtree(throwaway)
    assert str(config.data_dir) == throwaway and str(config.key_file).startswith(throwaway)
    assert not str(config.error_log).startswith(throwaway)
    assert config.throwaway
    kept, folder = demo_config(build_parser().parse_args(["demo", "--data-dir", str(tmp_path)]), environ={})
    assert folder is None and not kept.throwaway


def test_support_puts_an_identity_record_on_file(tmp_path):
    run(tmp_path, "user", "add", "gina", "--email", "gina@example.com", "--password-stdin", stdin=STRONG)
    done = run(tmp_path, "user", "set-identity", "gina", "--legal-name", "Gina Ortiz", "--birth-date", "1988-02-03")
    assert done.returncode == 0 and "Identity record on file for gina" in done.stdout
    shown = json.loads(run(tmp_path, "user", "show", "gina", "--json").stdout)
    assert shown["recent_events"][0]["kind"] == "identity.recorded"
    assert "Gina" not in json.dumps(shown) and "1988" not in json.dumps(shown)
    bad = run(tmp_path, "user", "set-identity", "gina", "--legal-name", "Gina", "--birth-date", "03/02/1988")
    assert_clean_error(bad, "YYYY-MM-DD")


def test_outbox_lists_email_codes_per_user(tmp_path):
    run(tmp_path, "user", "add", "hana", "--email", "hana@example.com", "--password-stdin", stdin=STRONG)
    assert run(tmp_path, "outbox").stdout.strip() == "The outbox is empty."
    from secconsole.config import resolve
    from secconsole.services import open_services

    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    services.way("email").send_code(services.accounts.get("hana").id, source="test")
    services.close()
    listed = json.loads(run(tmp_path, "outbox", "--user", "hana", "--json").stdout)
    assert listed[0]["to"] == "hana@example.com" and listed[0]["subject"] == "Your SecConsole sign-in code"
    assert_clean_error(run(tmp_path, "outbox", "--user", "nobody"), "no account named 'nobody'")
    assert_clean_error(run(tmp_path, "user", "list", "--smtp", "nonsense"), "HOST:PORT")


def test_support_reset_2fa_and_unlock_tell_the_user(tmp_path):
    from secconsole.config import resolve
    from secconsole.services import open_services
    from tui_helpers import enroll_totp

    run(tmp_path, "user", "add", "ivan", "--email", "ivan@example.com", "--password-stdin", stdin=STRONG)
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    enroll_totp(services, "ivan")
    services.close()
    done = run(tmp_path, "user", "reset-2fa", "ivan")
    assert done.returncode == 0 and "ivan: removed the authenticator app. They were told" in done.stdout
    shown = json.loads(run(tmp_path, "user", "show", "ivan", "--json").stdout)
    assert shown["second_step"] is False and shown["recent_events"][0]["kind"] == "two_step.reset"
    nothing = run(tmp_path, "user", "unlock", "ivan")  # the reset cleared everything: no second notice
    assert nothing.returncode == 6 and "Nothing to do" in nothing.stdout
    subjects = [m["subject"] for m in json.loads(run(tmp_path, "outbox", "--user", "ivan", "--json").stdout)]
    assert subjects == ["Your SecConsole two-step verification was reset", "Two-step verification was turned on"]
    assert_clean_error(run(tmp_path, "user", "reset-2fa", "nobody"), "no account named 'nobody'")


def test_user_show_names_a_locked_way_and_unlock_clears_it(tmp_path):
    from secconsole.config import resolve
    from secconsole.services import open_services

    run(tmp_path, "user", "add", "kim", "--email", "kim@example.com", "--password-stdin", stdin=STRONG)
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    kim = services.accounts.get("kim")
    services.identity.record(kim.id, "Kim Park", "1990-04-25", source="support")
    set_failures(services, f"identity:{kim.id}", services.profile.lockout.lock_after - 1)
    with pytest.raises(ValidationError, match="Too many attempts"):
        services.identity.verify(kim.id, "Kim Park", "1991-01-01", source="test")
    services.close()
    shown = run(tmp_path, "user", "show", "kim").stdout
    assert re.search(r"\n  sign-in state +ok \(0 failed attempts\)\n", shown)
    assert re.search(r"\n  Identity verification +LOCKED until support unlocks it\n", shown)
    rows = [line for line in shown.splitlines()[1:] if line.startswith("  ") and not line.startswith("    ")][:-1]
    columns = {re.match(r"  (\S.*?)  +(\S)", line).start(2) for line in rows}
    assert len(columns) == 1, f"the values stand in one column: {rows}"
    assert json.loads(run(tmp_path, "user", "show", "kim", "--json").stdout)["locked_ways"] == ["identity"]
    done = run(tmp_path, "user", "unlock", "kim")
    assert done.returncode == 0 and "cleared the failed attempts of identity checks" in done.stdout
    assert "LOCKED" not in run(tmp_path, "user", "show", "kim").stdout


def test_unlock_source(tmp_path):
    from secconsole.config import resolve
    from secconsole.services import open_services

    run(tmp_path, "user", "add", "jan", "--email", "jan@example.com", "--password-stdin", stdin=STRONG)
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    for n in range(services.profile.source_lockout.free_failures + 2):
        services.signin.sign_in(f"x{n}", "guess", source="ssh 198.51.100.7")
    assert services.signin.sign_in("jan", STRONG, source="ssh 198.51.100.7").outcome.value == "wait"
    services.close()
    done = run(tmp_path, "unlock-source", "ssh 198.51.100.7")
    assert done.returncode == 0 and "Cleared" in done.stdout
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    assert services.signin.sign_in("jan", STRONG, source="ssh 198.51.100.7").ok
    services.close()


@pytest.mark.parametrize("command", [[], ["demo"]])
def test_the_console_without_a_terminal_says_so_instead_of_hanging(tmp_path, command):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECCONSOLE_", "TEXTUAL"))}
    env["SECCONSOLE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "secconsole", *command], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "secconsole: The console needs a terminal: run it in one, or connect with `ssh -t`.\n"


def test_user_add_names_every_password_problem_at_once_in_the_checklists_words(tmp_path):
    from secconsole.core.passwords import check_password
    from secconsole.core.policy import get_profile

    result = run(tmp_path, "user", "add", "carol", "--email", "c@example.com", "--password-stdin", stdin="password\n")
    assert_clean_error(result, "Password must meet: ")
    problems = check_password("password", get_profile("classic"), username="carol", email="c@example.com").problems
    assert len(problems) >= 5  # length, uppercase, number, symbol, common, guessable
    for rule in problems:
        assert rule.label.lower() in result.stderr, rule.label


def test_sign_up_setting_on_the_command_line(tmp_path):
    refused = run(tmp_path, "--signup", "closed", "--open", "create-account")
    assert refused.returncode == 1
    assert_clean_error(refused, "--open create-account: this console has no such screen: sign-up is closed")
    env_refused = run(tmp_path, "demo", "--open", "create-account", env_extra={"SECCONSOLE_SIGNUP": "closed"})
    assert_clean_error(env_refused, "sign-up is closed")
    assert_clean_error(run(tmp_path, "--signup", "maybe"), "invalid choice: 'maybe'")
    bad_env = run(tmp_path, "user", "list", env_extra={"SECCONSOLE_SIGNUP": "maybe"})
    assert bad_env.returncode == 1
    assert_clean_error(bad_env, "SECCONSOLE_SIGNUP must be open or closed, not 'maybe'")


def test_a_console_reached_over_ssh_defaults_to_closed_sign_up(monkeypatch):
    from secconsole.cli.common import resolve_config
    from secconsole.cli.parser import build_parser

    monkeypatch.delenv("SECCONSOLE_SIGNUP", raising=False)
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.7 50000 127.0.0.1 22")  # sshd's ForceCommand
    assert resolve_config(build_parser().parse_args([])).signup == "closed"
    assert resolve_config(build_parser().parse_args(["--signup", "open"])).signup == "open"
    assert resolve_config(build_parser().parse_args(["demo"]), demo=True).signup == "open"
    monkeypatch.delenv("SSH_CONNECTION")
    assert resolve_config(build_parser().parse_args([])).signup == "open"
