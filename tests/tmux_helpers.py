"""Driving the real console in tmux at 80x24, as a person at a terminal would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid


class Tmux:
    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int] = (80, 24)) -> None:
        self.socket = f"secconsole-test-{uuid.uuid4().hex[:8]}"
        settings = [f"{k}={v}" for k, v in env.items()]
        self._run("new-session", "-d", "-s", "keeper", "sleep 3600")
        self._run("new-session", "-d", "-s", "t", "-x", str(size[0]), "-y", str(size[1]),
                  "env", *settings, *command)

    def _run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self._run("send-keys", "-t", "t", *(["-l"] if literal else []), *keys)

    def type(self, text: str) -> None:
        self.keys(text, literal=True)

    def screen(self) -> list[str]:
        return self._run("capture-pane", "-p", "-t", "t").split("\n")

    def wait_for(self, text: str, timeout: float = 15.0) -> list[str]:
        """The screen once ``text`` is on it and the frame has finished arriving."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.screen()
            if any(text in line for line in lines):
                return self._settled(lines)
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared:\n" + "\n".join(self.screen()))

    def _settled(self, lines: list[str]) -> list[str]:
        # A frame can be captured half-written; two equal captures in a row mean it is whole.
        for _ in range(40):
            time.sleep(0.05)
            again = self.screen()
            if again == lines:
                return lines
            lines = again
        return lines

    def pid(self) -> int:
        """The console's process (``env`` execs it, so the pane's own process)."""
        return int(self._run("display-message", "-p", "-t", "t", "#{pane_pid}").strip())

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


def console_env(tmp_path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
    keep.update(SECCONSOLE_DATA_DIR=str(tmp_path / "data"), LANG=os.environ.get("LANG", "C.UTF-8"))
    return keep


def secconsole(*args: str) -> list[str]:
    return [sys.executable, "-m", "secconsole", *args]
