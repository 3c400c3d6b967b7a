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


async def run_session(process, settings: SshSettings) -> None:
    """One SSH session: refuse without a PTY, else run a console on one until either side ends."""
    peer, port = process.get_extra_info("peername")[:2]
    username = process.get_extra_info("username") or ""
    if process.get_terminal_type() is None:
        process.stderr.write(NO_PTY.encode())
        process.exit(1)
        return
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
        done, _ = await asyncio.wait({console, channel}, return_when=asyncio.FIRST_COMPLETED)
        if console in done:
            reason = f"console exited {console.result()}"
            process.exit(console.result())
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

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return False  # --auth none: the console's own sign-in is the authentication

    key = load_or_create_host_key(settings.host_key)
    server = await asyncssh.create_server(
        Server, settings.host, settings.port, server_host_keys=[key],
        process_factory=lambda p: run_session(p, settings), line_editor=False, encoding=None,
    )
    return server, key
