"""Files that hold secrets (the SQLite database and its side files, logs): created readable by
their owner only, and a warning when an existing one is open to other users.

SQLite creates its -wal, -shm and -journal files with the database file's own mode, so a
database file made 0600 here keeps all of them private (the tests check each with ``os.stat``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def create_private(path: Path) -> bool:
    """Make an empty ``path`` with mode 0600 unless it exists (the umask cannot widen it).
    True when it was made here; a folder that is missing or not writable is left to the caller,
    whose own open then says what is wrong."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except (FileExistsError, FileNotFoundError, PermissionError, NotADirectoryError):
        return False
    os.close(fd)
    return True


def open_private_append(path: Path):
    """``open(path, "a")`` for a log, made 0600 when it does not exist yet."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_MODE)
    return os.fdopen(fd, "a", encoding="utf-8")


def exposure(*paths: Path) -> str | None:
    """A warning naming those of ``paths`` (one file, or a database and its side files) that
    exist and that other users have any access to; None when there are none."""
    open_to_others = []
    for path in paths:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            continue
        if mode & 0o077:
            open_to_others.append((path, mode))
    if not open_to_others:
        return None
    first, mode = open_to_others[0]
    also = "".join(f", {p.name} ({m:04o})" for p, m in open_to_others[1:])
    return (f"warning: {first} can be read by other users (mode {mode:04o}{also}) and holds secrets; "
            f"make it private with: chmod 600 {' '.join(str(p) for p, _ in open_to_others)}")


def sqlite_files(path: Path) -> list[Path]:
    """The database file and its side files (those that exist)."""
    return [path] + [p for p in (path.with_name(path.name + s) for s in SQLITE_SIDE_FILES) if p.exists()]


def sqlite_file_path(url) -> Path | None:
    """The file behind a SQLite URL (a ``sqlalchemy.engine.URL``); None in memory."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()
