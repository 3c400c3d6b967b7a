"""An unexpected error on the command line: one line on stderr, the traceback in a 0600 log, and a
warning when that log is open to other users."""

from __future__ import annotations

import os
import stat

import secconsole.cli as cli


def test_an_unexpected_error_goes_to_a_private_log_and_an_open_log_is_warned_about(tmp_path, monkeypatch, capsys):
    def broken(_args):
        raise RuntimeError("boom")

    monkeypatch.setenv("SECCONSOLE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "resolve_handler", lambda spec: broken)
    log = tmp_path / "secconsole.log"
    assert cli.main(["user", "list"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err == f"secconsole: unexpected error (RuntimeError); details in {log}\n"
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    log.chmod(0o604)
    assert cli.main(["user", "list"]) == cli.EXIT_INTERNAL
    assert capsys.readouterr().err.splitlines()[1] == (
        f"secconsole: warning: {log} can be read by other users (mode 0604) and holds secrets; "
        f"make it private with: chmod 600 {log}")
