"""Hostile stored text through the CLI's output (``user show``, ``user list``, ``outbox``, their
``--json``, and error messages): no control or bidi character reaches the terminal raw."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from conftest import STRONG
from secconsole.cli import main
from secconsole.store.models import Account, AuditEvent

EVIL = "\x1b]0;pwned\x07\x1b]52;c;aGk=\x07\x1b[2J\u202e\x00[/]"


def raw_controls(text: str) -> set[str]:
    return {c for c in text if (c < " " and c != "\n") or "\x7f" <= c < "\xa0" or c == "\u202e"}


def strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """An account whose stored name, address and audit sources hold escape sequences."""
    from secconsole.config import resolve
    from secconsole.services import open_services

    tmp_path = tmp_path_factory.mktemp("hostile-cli")
    services = open_services(resolve(data_dir=str(tmp_path / "data"), environ={}))
    try:
        account = services.accounts.create("alice", "alice@example.com", STRONG, source="t")
        services.passwords.change_password(account.id, STRONG, STRONG + "x", source=f"ssh {EVIL}")
        with services.db.transaction() as session:
            row = session.get(Account, account.id)
            row.username, row.email = f"al{EVIL}", f"{EVIL}@example.com"
            for event in session.exec(select(AuditEvent)).all():
                event.source = f"ssh {EVIL}"
    finally:
        services.close()
    return ["--data-dir", str(tmp_path / "data")]


@pytest.mark.parametrize("command", [["user", "show", "alice"], ["user", "list"], ["outbox"],
                                     ["user", "show", "alice", "--json"], ["user", "list", "--json"],
                                     ["outbox", "--json"]])
def test_stored_text_is_printed_with_visible_escapes(data, capsys, command):
    assert main([*data, *command]) == 0
    out = capsys.readouterr().out
    assert not raw_controls(out)
    if "--json" in command:
        assert any(EVIL in text for text in strings(json.loads(out)))  # the data itself is intact
    else:
        assert "\\x1b]0;pwned\\x07" in out


def test_error_messages_and_usage_errors_show_escapes(data, capsys):
    assert main([*data, "user", "show", EVIL]) == 1
    with pytest.raises(SystemExit):
        main([*data, "user", "list", f"--{EVIL}"])
    err = capsys.readouterr().err
    assert not raw_controls(err) and err.count("\\x1b]0;pwned") == 2
