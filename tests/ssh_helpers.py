"""A `secconsole serve-ssh` in its own process, and what tests read off it (its log, its pids)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SshServer:
    def __init__(self, tmp_path, *extra: str, demo: bool = True, data_dir: bool = True,
                 extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.data = tmp_path / "data"
        self.log_path = tmp_path / f"serve-ssh-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
        if data_dir:
            env["SECCONSOLE_DATA_DIR"] = str(self.data)
        else:  # each demo session makes its own throwaway folder, here
            self.tmp = tmp_path / "tmp"
            self.tmp.mkdir()
            env["TMPDIR"] = str(self.tmp)
        env.update(extra_env or {})
        self._log = open(self.log_path, "w")
        command = [sys.executable, "-m", "secconsole", "serve-ssh", "--port", str(self.port)]
        if not demo and not any(a.startswith(("--push-api-port", "--no-push-api")) for a in extra):
            command += ["--push-api-port", "0"]  # its push API on a free port (tests run side by side)
        self.proc = subprocess.Popen(command + (["--demo"] if demo else []) + list(extra),
                                     stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        self.banner = self.proc.stdout.readline()
        assert "Serving the console on ssh://127.0.0.1" in self.banner, self.log()
        found = re.search(r"; push API on (\S+)", self.banner)
        self.api_url = found.group(1) if found else None

    def log(self) -> str:
        return self.log_path.read_text()

    def session_lines(self, kind: str = "start", *, wait: float = 5.0) -> list[str]:
        """The log's `session <kind>` lines, waiting a little for the first one (the server
        writes a session's end line once its console is gone, after the client has seen it go)."""
        deadline = time.monotonic() + wait
        while True:
            lines = [line for line in self.log().splitlines() if f"session {kind} " in line]
            if lines or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def pids(self, user: str) -> set[int]:
        """Console pids of `user`'s sessions that are still alive."""
        found = set()
        for line in self.session_lines("start"):
            if re.search(rf"user={re.escape(user)} ", line):
                pid = int(re.search(r"pid=(\d+)", line).group(1))
                if alive(pid):
                    found.add(pid)
        return found

    def zygote_pid(self) -> int | None:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid), "-f", "secconsole.ssh.zygote"],
                             capture_output=True, text=True).stdout.split()
        return int(out[0]) if out else None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # gone before the open (FileNotFoundError) or between open and read (ESRCH)
        return False


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


async def wait_gone(pids: set[int], timeout: float = 5.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return {p for p in pids if alive(p)}


def flatten(output: str) -> str:
    """Terminal output as the letters it shows, without control sequences or any spaces: Textual
    moves the cursor within a line (even mid-word, where a toast overlaps a panel)."""
    output = re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]", "", output)
    return re.sub(r"\s+", "", output)


async def read_until(process, text: str, timeout: float = 30.0) -> str:
    """Read the session's output until `text` shows (compared as words, see `flatten`)."""
    seen = ""
    deadline = time.monotonic() + timeout
    while flatten(text) not in flatten(seen):
        left = deadline - time.monotonic()
        assert left > 0, f"{text!r} never arrived; got {seen[-500:]!r}"
        chunk = await asyncio.wait_for(process.stdout.read(65536), left)
        assert chunk, f"the session ended before {text!r}; got {seen[-500:]!r}"
        seen += chunk.decode(errors="replace") if isinstance(chunk, bytes) else chunk
    return seen


def ssh_command(port: int, user: str, *extra: str) -> list[str]:
    """The real OpenSSH client, trusting whatever key the test server has."""
    return ["ssh", "-tt", "-p", str(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", *extra, f"{user}@127.0.0.1"]
