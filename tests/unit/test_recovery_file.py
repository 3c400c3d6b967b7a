"""Recovery codes saved to a file (core.recovery_file): 0600, never over another file, and a
clear message for a place that will not do."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from secconsole.core.recovery_file import default_path, save_codes
from secconsole.errors import ValidationError

CODES = ["abcde-23456", "fghij-78923"]
MADE = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def save(path) -> Path:
    return save_codes(str(path), CODES, username="alice", issuer="SecConsole", made=MADE)


def test_the_file_is_0600_and_holds_the_codes_the_account_and_the_date(tmp_path):
    os.umask(0o022)
    path = save(tmp_path / "codes.txt")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert text.startswith("SecConsole recovery codes for alice\nMade 2026-01-15 12:00 UTC.")
    assert all(f"\n{code}\n" in text for code in CODES)


def test_the_default_is_in_the_home_folder_and_names_the_account(tmp_path):
    assert default_path("alice", tmp_path) == tmp_path / "secconsole-recovery-codes-alice.txt"
    assert default_path("../x y", tmp_path).parent == tmp_path  # odd names cannot leave it


def test_a_tilde_means_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert save("~/c.txt") == tmp_path / "c.txt"


@pytest.mark.parametrize("where, message", [
    ("missing/codes.txt", "There is no folder"),
    ("taken.txt", "already exists: choose another name"),
    ("", "Type where to save the codes"),
    (".", "is a folder: add a file name"),
])
def test_a_place_that_will_not_do_says_why_and_changes_nothing(tmp_path, monkeypatch, where, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.txt").write_text("mine")
    with pytest.raises(ValidationError, match=message):
        save(where if where in ("", ".") else tmp_path / where)
    assert (tmp_path / "taken.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.txt"]


def test_a_symlink_in_the_way_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep")
    (tmp_path / "link.txt").symlink_to(target)
    with pytest.raises(ValidationError, match="already exists"):
        save(tmp_path / "link.txt")
    assert target.read_text() == "keep"


def test_a_folder_without_permission_says_so(tmp_path, read_only):
    folder = tmp_path / "locked"
    folder.mkdir()
    read_only(str(folder))
    with pytest.raises(ValidationError, match="You may not make files in"):
        save(folder / "codes.txt")
