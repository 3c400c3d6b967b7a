"""`secconsole login`: the console's sign-in from a script, with its exit codes."""

from __future__ import annotations

import json

import pytest

from conftest import STRONG
from test_cli import run


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
