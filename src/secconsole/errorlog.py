"""Unexpected errors: the traceback goes to a log file, the person gets one line."""

from __future__ import annotations

from pathlib import Path


def write(exc: BaseException, path: Path) -> Path:
    """Append ``exc`` with its traceback to ``path``; returns the path for the message."""
    import traceback

    from secconsole.core.clock import SystemClock

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"--- {SystemClock().now().isoformat()} ---\n")
        handle.write("".join(traceback.format_exception(exc)))
    return path
