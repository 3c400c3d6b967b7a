"""`secconsole serve-ssh`: an asyncssh server that gives each session its own console process on
a PTY sized like the client's window. The console's own sign-in is the authentication."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("secconsole.ssh")
NO_PTY = "This console needs a terminal. Connect with `ssh -t`.\r\n"


@dataclass
class SshSettings:
    host: str = "127.0.0.1"
    port: int = 2222
    host_key: Path = Path("ssh_host_ed25519_key")
    demo: bool = False
    #: Arguments every session's console gets (e.g. --data-dir, --db).
    console_args: list[str] = field(default_factory=list)
    #: OpenSSH authorized_keys file: when set, SSH asks for one of these keys first.
    authorized_keys: Path | None = None
    max_sessions: int = 50
    #: New connections per address per minute.
    rate_per_minute: int = 30
    #: Seconds a session may last (0: no limit).
    max_session_seconds: int = 0


class Limits:
    """Concurrent sessions and per-address connection rate, with the message the client sees."""

    def __init__(self, settings: SshSettings) -> None:
        self.settings = settings
        self.open = 0
        self._recent: dict[str, list[float]] = {}

    def refuse_connection(self, peer: str, now: float) -> str | None:
        window = [t for t in self._recent.get(peer, []) if now - t < 60]
        if len(window) >= self.settings.rate_per_minute:
            self._recent[peer] = window
            return "Too many connections from your address: wait a minute and try again.\r\n"
        window.append(now)
        self._recent[peer] = window
        return None

    def refuse_session(self) -> str | None:
        if self.open >= self.settings.max_sessions:
            return (f"The console is busy: {self.open} sessions are open, the most it allows. "
                    "Try again in a moment.\r\n")
        return None


def load_or_create_host_key(path: Path):
    """The server's Ed25519 key: made once (0600), then reused so clients keep trusting it."""
    import asyncssh

    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.export_private_key())
    return key


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _child_setup() -> None:
    """In the child: its own session with the PTY as controlling terminal (so resizes send
    SIGWINCH), and default signal handlers even under nohup."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)


def console_command(settings: SshSettings, username: str) -> list[str]:
    command = [sys.executable, "-m", "secconsole"]
    command += ["demo"] if settings.demo else []
    command += [*settings.console_args, "--user", username] if username else list(settings.console_args)
    return command


def session_env(process, peer: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith(("SECCONSOLE_", "PATH", "HOME", "PYTHON"))}
    term = process.get_terminal_type() or "xterm-256color"
    env.update(TERM=term, LANG="C.UTF-8", LC_ALL="C.UTF-8", SSH_CONNECTION=f"{peer} {port} 127.0.0.1 0")
    client_env = process.env or {}
    for name in ("LANG", "LC_ALL", "COLORTERM"):
        if client_env.get(name):
            env[name] = client_env[name]
    return env


async def run_session(process, settings: SshSettings, limits: Limits) -> None:
    """One SSH session: refuse without a PTY or over the limits, else run a console on one until
    either side ends (or the maximum session time passes)."""
    import time

    peer, port = process.get_extra_info("peername")[:2]
    username = process.get_extra_info("username") or ""
    refusal = limits.refuse_connection(peer, time.monotonic()) or limits.refuse_session()
    if refusal is None and process.get_terminal_type() is None:
        refusal = NO_PTY
    if refusal is not None:
        process.stderr.write(refusal.encode())
        process.exit(1)
        log.info("session refused peer=%s user=%s reason=%s", peer, username, refusal.strip())
        return
    limits.open += 1
    try:
        await _console(process, settings, peer, port, username)
    finally:
        limits.open -= 1


async def _console(process, settings: SshSettings, peer: str, port: int, username: str) -> None:
    cols, rows = process.get_terminal_size()[:2]
    master, slave = os.openpty()
    _set_size(slave, cols or 80, rows or 24)
    child = subprocess.Popen(
        console_command(settings, username), stdin=slave, stdout=slave, stderr=slave,
        env=session_env(process, peer, port), preexec_fn=_child_setup, close_fds=True,
    )
    os.close(slave)
    log.info("session start peer=%s user=%s term=%s size=%sx%s pid=%s",
             peer, username, process.get_terminal_type(), cols, rows, child.pid)
    reason = "client closed"
    try:
        process.set_redirect_pid(child.pid)
        await process.redirect(stdin=os.dup(master), stdout=os.dup(master))
        console = asyncio.ensure_future(asyncio.to_thread(child.wait))
        channel = asyncio.ensure_future(process.wait_closed())
        timeout = settings.max_session_seconds or None
        done, _ = await asyncio.wait({console, channel}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if console in done:
            reason = f"console exited {console.result()}"
            process.exit(console.result())
        elif not done:
            reason = "maximum session time"  # the console is stopped in `finally`, after the message
            process.stderr.write(
                f"\r\nThe session reached its maximum time ({settings.max_session_seconds} s) and was closed.\r\n".encode()
            )
            process.exit(2)
        channel.cancel()
    finally:
        await asyncio.to_thread(_stop, child)
        os.close(master)
        log.info("session end peer=%s user=%s reason=%s", peer, username, reason)


def _stop(child: subprocess.Popen) -> None:
    """HUP, then TERM, then KILL: no session outlives its connection by more than a second."""
    for sig, wait in ((signal.SIGHUP, 0.4), (signal.SIGTERM, 0.4), (signal.SIGKILL, 1.0)):
        if child.poll() is not None:
            return
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(wait)
        except subprocess.TimeoutExpired:
            continue


async def serve(settings: SshSettings):
    import asyncssh

    keys = settings.authorized_keys

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            # Without an authorized-keys file the console's own sign-in is the authentication;
            # with one, SSH first wants one of its keys (and the console still asks its questions).
            return keys is not None

    key = load_or_create_host_key(settings.host_key)
    limits = Limits(settings)
    options = {"authorized_client_keys": str(keys), "public_key_auth": True} if keys else {}
    server = await asyncssh.create_server(
        Server, settings.host, settings.port, server_host_keys=[key],
        process_factory=lambda p: run_session(p, settings, limits), line_editor=False, encoding=None,
        password_auth=False, kbdint_auth=False, **options,
    )
    return server, key
