"""`secconsole login`: the console's sign-in from a script, with its exit codes."""

from __future__ import annotations

import re

import json

import pytest

from conftest import STRONG
from test_cli import cli_env, follow, run


@pytest.fixture
def secret(tmp_path):
    from secconsole.config import resolve
    from secconsole.services import open_services
    from tui_helpers import enroll_totp

    run(tmp_path, "user", "add", "dave", "--email", "dave@example.com", "--password-stdin", stdin=STRONG)
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    value = enroll_totp(services, "dave")
    services.way("question").set(services.accounts.get("dave").id, "What was the name of your first pet?", "Biscuit",
                           source="t")
    services.close()
    return value


def login(tmp_path, *args, stdin=STRONG + "\n"):
    return run(tmp_path, "login", "dave", "--password-stdin", *args, stdin=stdin)


def test_password_only_account(tmp_path):
    run(tmp_path, "user", "add", "carol", "--email", "carol@example.com", "--password-stdin", stdin=STRONG)
    ok = run(tmp_path, "login", "carol", "--password-stdin", stdin=STRONG)
    assert ok.returncode == 0 and "signed in as carol" in ok.stdout
    bad = run(tmp_path, "login", "carol", "--password-stdin", stdin="nope")
    assert bad.returncode == 3 and "do not match" in bad.stdout


def test_totp_code(tmp_path, secret):
    from datetime import datetime, timezone

    from secconsole.core.totp import TotpParams, code_at

    code = code_at(secret, datetime.now(timezone.utc), TotpParams())
    ok = login(tmp_path, "--code", code)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "second step: totp" in ok.stdout and "signed in as dave" in ok.stdout
    again = login(tmp_path, "--code", code)
    assert again.returncode == 3 and "already used" in again.stdout


def test_question_then_email_then_support(tmp_path, secret):
    wrong = login(tmp_path, "--method", "question", "--answer-stdin", stdin=STRONG + "\nRex\n")
    assert wrong.returncode == 3
    ok = login(tmp_path, "--method", "question", "--answer-stdin", stdin=STRONG + "\n biscuit \n")
    assert ok.returncode == 0
    early = login(tmp_path, "--method", "email")
    assert early.returncode == 1 and "last resort" in early.stderr
    sent = login(tmp_path, "--give-up", "totp", "--give-up", "question", "--method", "email")
    assert sent.returncode == 4 and "emailed a 6-digit code to d•••e@example.com" in sent.stdout
    outbox = json.loads(run(tmp_path, "outbox", "--user", "dave", "--json").stdout)
    code = outbox[0]["body"].split("code is ")[1][:6]
    done = login(tmp_path, "--give-up", "totp", "--give-up", "question", "--method", "email", "--code", code)
    assert done.returncode == 0 and "signed in as dave" in done.stdout


def test_fallback_off_ends_at_support(tmp_path, secret):
    from secconsole.config import resolve
    from secconsole.services import open_services

    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    services.accounts.set_email_fallback(services.accounts.get("dave").id, False, source="t")
    services.close()
    out = login(tmp_path, "--give-up", "totp", "--give-up", "question")
    assert out.returncode == 5 and "contact support and quote" in out.stdout
    ref = out.stdout.split("quote ")[1].strip()
    shown = json.loads(run(tmp_path, "user", "show", "dave", "--json").stdout)
    assert shown["recent_events"][0]["ref"] == ref


def test_recovery_code(tmp_path, secret):
    from secconsole.config import resolve
    from secconsole.services import open_services

    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    codes = services.way("recovery").generate(services.accounts.get("dave").id, source="t")
    services.close()
    ok = login(tmp_path, "--method", "recovery", "--code", codes[0])
    assert ok.returncode == 0 and "9 recovery codes left" not in ok.stderr and "signed in as dave" in ok.stdout
    again = login(tmp_path, "--method", "recovery", "--code", codes[0])
    assert again.returncode == 3 and "already used" in again.stdout


def emailed_code(tmp_path) -> str:
    outbox = json.loads(run(tmp_path, "outbox", "--user", "dave", "--json").stdout)
    return outbox[0]["body"].split("code is ")[1][:6]


def totp_now(secret) -> str:
    from datetime import datetime, timezone

    from secconsole.core.totp import TotpParams, code_at

    return code_at(secret, datetime.now(timezone.utc), TotpParams())


# -- every hint works when followed literally --------------------------------------------------


def test_the_emailed_code_hint_is_the_whole_command_with_the_give_ups(tmp_path, secret):
    sent = login(tmp_path, "--give-up", "totp", "--give-up", "question", "--method", "email")
    assert sent.returncode == 4
    assert "Run again with the password on standard input: secconsole login dave --password-stdin --give-up totp " \
           "--give-up question --method email --code CODE" in sent.stdout
    done = follow(tmp_path, sent.stdout, stdin=STRONG + "\n", CODE=emailed_code(tmp_path))
    assert done.returncode == 0 and "signed in as dave" in done.stdout, done.stdout + done.stderr


def test_the_last_resort_hint_gives_up_the_other_ways_then_its_own_hint_signs_in(tmp_path, secret):
    early = login(tmp_path, "--method", "email")
    assert early.returncode == 1 and "last resort" in early.stderr
    sent = follow(tmp_path, early.stderr, stdin=STRONG + "\n")
    assert sent.returncode == 4, sent.stdout + sent.stderr
    done = follow(tmp_path, sent.stdout, stdin=STRONG + "\n", CODE=emailed_code(tmp_path))
    assert done.returncode == 0 and "signed in as dave" in done.stdout


def test_the_answer_and_code_hints_are_whole_commands(tmp_path, secret):
    asked = login(tmp_path, "--method", "question")
    assert asked.returncode == 1 and "question: What was the name of your first pet?" in asked.stdout
    done = follow(tmp_path, asked.stderr, stdin=STRONG + "\nBiscuit\n")
    assert done.returncode == 0 and "signed in as dave" in done.stdout, done.stdout + done.stderr
    coded = login(tmp_path, "--give-up", "question")
    assert coded.returncode == 1 and "--give-up question --method totp --code CODE" in coded.stderr
    done = follow(tmp_path, coded.stderr, stdin=STRONG + "\n", CODE=totp_now(secret))
    assert done.returncode == 0 and "signed in as dave" in done.stdout, done.stdout + done.stderr


def test_hints_keep_the_common_options_given(tmp_path):
    kept = str(tmp_path / "elsewhere.db")
    empty = run(tmp_path, "--db", kept, "user", "list")
    assert f"Create one with: secconsole --db {kept} user add NAME --email ADDRESS" in empty.stdout
    term = follow(tmp_path, empty.stdout, pty=True, NAME="erin", ADDRESS="erin@example.com")
    try:
        term.wait_for("Password: ")
        term.send(STRONG + "\n")
        term.wait_for("Password again: ")
        term.send(STRONG + "\n")
        assert term.finish() == 0, term.text
        assert STRONG not in term.text
    finally:
        term.close()
    assert "erin" in run(tmp_path, "--db", kept, "user", "list").stdout
    piped = run(tmp_path, "--db", kept, "user", "add", "fay", "--email", "fay@example.com", stdin=STRONG + "\n")
    assert piped.returncode == 1 and "Standard input is not a terminal" in piped.stderr
    added = follow(tmp_path, piped.stderr, stdin=STRONG + "\n")
    assert added.returncode == 0 and "Created account fay" in added.stdout, added.stderr
    sign_in = run(tmp_path, "--db", kept, "login", "fay", stdin=STRONG + "\n")
    assert sign_in.returncode == 2 and "add --password-stdin" in sign_in.stderr


# -- at a terminal: hidden prompts --------------------------------------------------------------


def at_terminal(tmp_path, *args):
    import sys

    from pty_helpers import Pty

    return Pty([sys.executable, "-m", "secconsole", "login", "dave", *args], cli_env(tmp_path))


def test_at_a_terminal_the_password_and_code_are_asked_for_hidden(tmp_path, secret):
    term = at_terminal(tmp_path)
    try:
        term.wait_for("Password: ")
        term.send(STRONG + "\n")
        term.wait_for("Code: ")
        code = totp_now(secret)
        term.send(code + "\n")
        assert term.finish() == 0, term.text
        assert "signed in as dave" in term.text and STRONG not in term.text and code not in term.text
    finally:
        term.close()


def test_at_a_terminal_the_question_is_shown_as_text_before_its_hidden_answer(tmp_path, secret):
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "secconsole.db") as conn:
        conn.execute("UPDATE account SET security_question = ? WHERE username = 'dave'",
                     ("Your first pet\x1b[2J\x1b]0;owned\x07 called?",))
    term = at_terminal(tmp_path, "--method", "question")
    try:
        term.wait_for("Password: ")
        term.send(STRONG + "\n")
        term.wait_for("Answer: ")
        assert "question: Your first pet" in term.text
        assert b"\x1b[2J" not in term.raw and b"\x1b]0;" not in term.raw  # printed as text, not run
        term.send("Biscuit\n")
        assert term.finish() == 0, term.text
        assert "signed in as dave" in term.text and "Biscuit" not in term.text
    finally:
        term.close()


def test_at_a_terminal_the_emailed_code_is_asked_for_in_the_same_run(tmp_path, secret):
    term = at_terminal(tmp_path, "--give-up", "totp", "--give-up", "question", "--method", "email")
    try:
        term.wait_for("Password: ")
        term.send(STRONG + "\n")
        term.wait_for("Code: ")
        assert "emailed a 6-digit code" in term.text and "Run again" not in term.text
        term.send(emailed_code(tmp_path) + "\n")
        assert term.finish() == 0, term.text
        assert "signed in as dave" in term.text
    finally:
        term.close()


def test_without_a_terminal_or_password_stdin_it_says_how_and_exits_2(tmp_path, secret):
    out = run(tmp_path, "login", "dave", stdin=STRONG + "\n")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip() == ("secconsole: Standard input is not a terminal, so the password cannot be asked "
                                  "for: put it on the first line of standard input and add --password-stdin.")
    both = run(tmp_path, "login", "dave", "--answer-stdin", stdin=STRONG + "\n")
    assert both.returncode == 2 and "add --password-stdin" in both.stderr


def test_no_email_code_for_an_unverified_address(tmp_path):
    from secconsole.config import resolve
    from secconsole.core.delivery import recent_outbox
    from secconsole.services import open_services
    from tui_helpers import enroll_totp

    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    erin = services.signup.create("erin", "erin@example.com", STRONG, source="t")  # by sign-up: unverified
    enroll_totp(services, "erin")
    services.way("recovery").generate(erin.id, source="t")
    services.close()
    refused = run(tmp_path, "login", "erin", "--password-stdin", "--give-up", "totp", "--method", "email", stdin=STRONG)
    assert refused.returncode == 1 and "not verified yet" in refused.stderr, refused.stderr
    assert "can use recovery\n" in refused.stdout  # not the email code
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    assert not [m for m in recent_outbox(services.db, services.box, account_id=erin.id) if "code is" in m.body]
    services.close()


def test_a_text_message_code_from_the_command_line(tmp_path):
    """`login --method sms`: the first run texts the code (exit 4, the hint a whole command), the
    second signs in with it, a third with the same code is refused; `user show` masks the number."""
    from secconsole.config import resolve
    from secconsole.services import open_services
    from method_drivers import Sms, sms_code

    from datetime import datetime, timedelta, timezone

    from secconsole.core.clock import ManualClock

    run(tmp_path, "user", "add", "erin", "--email", "erin@example.com", "--password-stdin", stdin=STRONG)
    earlier = ManualClock(datetime.now(timezone.utc) - timedelta(minutes=3))  # the enrollment, a while ago
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}), clock=earlier)
    erin = services.accounts.get("erin")
    Sms(services, erin.id).enroll()
    services.close()
    sent = run(tmp_path, "login", "erin", "--password-stdin", "--method", "sms", stdin=STRONG + "\n")
    assert sent.returncode == 4, sent.stdout + sent.stderr
    assert "We sent a 6-digit code to +49 ••• ••• 6789" in sent.stdout
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    code = sms_code(services, erin.id)
    services.close()
    done = follow(tmp_path, sent.stdout, stdin=STRONG + "\n", CODE=code)
    assert done.returncode == 0 and "signed in as erin" in done.stdout, done.stdout + done.stderr
    again = follow(tmp_path, sent.stdout, stdin=STRONG + "\n", CODE=code)
    assert again.returncode == 3 and "No code is waiting" in again.stdout
    shown = run(tmp_path, "user", "show", "erin")
    assert re.search(r"\n  Text message +on \(\+49 ••• ••• 6789\)\n", shown.stdout) and "15123456789" not in shown.stdout


def test_a_mobile_app_prompt_from_the_command_line(tmp_path):
    """`login --method push` prompts the devices, shows the number and waits for the answer."""
    import subprocess
    import sys
    import time

    from secconsole.config import resolve
    from secconsole.services import open_services
    from push_helpers import Phone

    from datetime import datetime, timezone

    from secconsole.core.clock import ManualClock

    run(tmp_path, "user", "add", "fay", "--email", "fay@example.com", "--password-stdin", stdin=STRONG)
    from datetime import timedelta

    clock = ManualClock(datetime.now(timezone.utc) - timedelta(hours=1))  # the enrollment, earlier
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}), clock=clock)
    fay = services.accounts.get("fay")
    from method_drivers import Push

    Push(services, fay.id).enroll()
    phone = Phone(services.push(), fay.id, name="Fay's phone")
    password = tmp_path / "password"
    password.write_text(STRONG + "\n")
    with password.open() as stdin:
        login = subprocess.Popen([sys.executable, "-m", "secconsole", "login", "fay", "--password-stdin", "--method",
                                  "push"], env=cli_env(tmp_path), stdin=stdin, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    prompts = []
    while not prompts and time.monotonic() < deadline:
        clock.set(datetime.now(timezone.utc))
        prompts = phone.prompts()
        time.sleep(0.2)
    assert prompts, "no prompt reached the phone"
    phone.answer(prompts[0], "approve", services.push().prompt(fay.id).number)
    out, err = login.communicate(timeout=30)
    services.close()
    assert login.returncode == 0, out + err
    assert "push: Open the prompt from your mobile app and tap " in out and "signed in as fay" in out


def test_after_it_wasnt_me_the_next_login_must_change_the_password(tmp_path):
    """A phone answers "It wasn't me" to the prompt `login --method push` sent: that login is
    refused, prompts pause, and the next login by another way (the authenticator app) says the
    password must be changed and prints the console command that does it, exiting 3."""
    import subprocess
    import sys
    import time
    from datetime import datetime, timedelta, timezone

    from secconsole.config import resolve
    from secconsole.core.clock import ManualClock
    from secconsole.core.views import PASSWORD_CHANGE_REASON
    from secconsole.services import open_services
    from method_drivers import Push
    from tui_helpers import enroll_totp

    run(tmp_path, "user", "add", "fay", "--email", "fay@example.com", "--password-stdin", stdin=STRONG)
    clock = ManualClock(datetime.now(timezone.utc) - timedelta(hours=1))  # the enrollments, earlier
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}), clock=clock)
    fay = services.accounts.get("fay")
    secret = enroll_totp(services, "fay")
    driver = Push(services, fay.id)
    driver.enroll()
    password = tmp_path / "password"
    password.write_text(STRONG + "\n")
    with password.open() as stdin:
        pushed = subprocess.Popen([sys.executable, "-m", "secconsole", "login", "fay", "--password-stdin", "--method",
                                   "push"], env=cli_env(tmp_path), stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
    deadline, prompts = time.monotonic() + 30, []
    while not prompts and time.monotonic() < deadline:
        clock.set(datetime.now(timezone.utc))
        prompts = driver.phone.prompts()
        time.sleep(0.2)
    assert prompts, "no prompt reached the phone"
    assert driver.phone.answer(prompts[0], "report") == "reported"
    out, err = pushed.communicate(timeout=30)
    services.close()
    assert pushed.returncode == 3 and "reported that it wasn't you" in out, out + err

    paused = login_as(tmp_path, "fay", "--method", "push")
    assert paused.returncode == 1 and "paused" in paused.stderr, paused.stdout + paused.stderr
    other = login_as(tmp_path, "fay", "--method", "totp", "--code", totp_now(secret))
    assert other.returncode == 3, other.stdout + other.stderr
    assert f"password change required: {PASSWORD_CHANGE_REASON}" in other.stdout
    assert "signed in as" not in other.stdout
    assert "secconsole console --user fay --open change-password" in other.stdout
    shown = json.loads(run(tmp_path, "user", "show", "fay", "--json").stdout)
    assert shown["password_change_required"] is True
    assert "password.change_required" in [e["kind"] for e in shown["recent_events"]]
    again = login_as(tmp_path, "fay", "--method", "push")  # still paused: signed in, password unchanged
    assert again.returncode == 1 and "paused" in again.stderr
    follow_the_hint_in_a_terminal(tmp_path, other.stdout, secret)
    assert json.loads(run(tmp_path, "user", "show", "fay", "--json").stdout)["password_change_required"] is False


def follow_the_hint_in_a_terminal(tmp_path, printed: str, secret: str) -> None:
    """The printed command, as typed at a terminal (tmux, 80x24): sign in (the name is filled in),
    the next authenticator code, the forced form with its explanation, a new password, Home."""
    import shlex
    from datetime import datetime, timedelta, timezone

    from secconsole.core.totp import TotpParams, code_at
    from tmux_helpers import Tmux, have_tmux, secconsole

    if not have_tmux():
        pytest.skip("tmux is not installed (apt-get install tmux)")
    line = next(line for line in printed.splitlines() if "secconsole console" in line)
    words = shlex.split(line[line.index("secconsole console"):])
    term = Tmux(secconsole(*words[1:]), cli_env(tmp_path))
    try:
        term.wait_for("Password")
        term.type(STRONG)
        term.keys("Enter")
        term.wait_for("authenticator")
        term.type(code_at(secret, datetime.now(timezone.utc) + timedelta(seconds=30), TotpParams()))  # a new step
        term.keys("Enter")
        screen = " ".join(" ".join(term.wait_for("Change your password")).split())
        assert "A sign-in prompt was reported as" in screen and "whoever sent it knew your" in screen
        assert "Save Sign out" in screen
        term.keys("Escape")
        term.wait_for("or press Sign out")
        new = "Quartz-Falcon-2026%"
        term.type(STRONG)
        term.keys("Tab")  # Tab moves at once (a priority binding); Enter's move may trail fast typing
        term.type(new)
        term.keys("Tab")
        term.type(new)
        term.keys("Enter")
        term.wait_for("Signed in as fay")
    finally:
        term.close()


def login_as(tmp_path, name, *args, stdin=STRONG + "\n"):
    return run(tmp_path, "login", name, "--password-stdin", *args, stdin=stdin)
