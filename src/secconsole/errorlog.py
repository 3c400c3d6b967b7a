"""Unexpected errors: the traceback goes to a log file, the person gets one line.

The log is made 0600 (tracebacks can name accounts); the database engine hides statement
parameters, so no hash or code reaches it."""

from __future__ import annotations

from pathlib import Path


def write(exc: BaseException, path: Path) -> Path:
    """Append ``exc`` with its traceback to ``path``; returns the path for the message."""
    import traceback

    from secconsole.core.clock import SystemClock
    from secconsole.store.files import open_private_append

    path.parent.mkdir(parents=True, exist_ok=True)
    with open_private_append(path) as handle:
        handle.write(f"--- {SystemClock().now().isoformat()} ---\n")
        handle.write("".join(traceback.format_exception(exc)))
    return path


def where(exc: BaseException, path: Path) -> str:
    """Write ``exc`` to the log and say where it went, for the one line the person reads:
    with a warning when the log is open to other users, or why it could not be written."""
    from secconsole.store.files import exposure

    try:
        written = write(exc, path)
    except OSError as error:
        return f"The log file {path} could not be written ({error.strerror or error})."
    warning = exposure(written)
    return f"The details are in {written}." + (f" {warning[0].upper()}{warning[1:]}." if warning else "")


def note(line: str, path: Path) -> None:
    """Append one timestamped line (a warning for the operator); a log that cannot be written
    is not a reason to stop."""
    from secconsole.core.clock import SystemClock
    from secconsole.store.files import open_private_append

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open_private_append(path) as handle:
            handle.write(f"--- {SystemClock().now().isoformat()} --- {line}\n")
    except OSError:
        pass
