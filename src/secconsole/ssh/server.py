"""`secconsole serve-ssh`: an asyncssh server that gives each session its own console process on
a PTY sized like the client's window. The console's own sign-in is the authentication.

Bytes flow through our own pumps (SSH channel <-> PTY master), so the server sees every key
(idle timeout), every resize (TIOCSWINSZ on the PTY, which sends the console SIGWINCH) and can
say why it closed a session after putting the client's terminal back in order. Here: the
settings, the limits per address, the listener, draining; one session is ``ssh.session``."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from secconsole.ssh.session import Session, fields

log = logging.getLogger("secconsole.ssh")
NO_PTY = "This console needs a terminal. Connect with `ssh -t`.\r\n"
NO_SUBSYSTEM = "This server offers the console only, no subsystems (sftp and the like). Connect with `ssh -t`.\r\n"
NO_COMMAND = "This server runs the console only, not commands. Connect with `ssh -t` and no command.\r\n"


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
    #: Seconds without a key from the client before the session is closed (0: never).
    idle_seconds: int = 900
    #: On SIGTERM, seconds open sessions get to finish before they are closed.
    drain_seconds: int = 30
    #: "fork" (from the pre-imported zygote) or "exec" (a fresh interpreter per session).
    spawn: str = "fork"


class Limits:
    """Concurrent sessions and per-address connection rate, with the message the client sees."""

    def __init__(self, settings: SshSettings) -> None:
        self.settings = settings
        self._recent: dict[str, list[float]] = {}

    def refuse_connection(self, peer: str, now: float) -> str | None:
        if len(self._recent) > 10_000:  # a scan from many addresses must not grow this forever
            self._recent = {p: times for p, times in self._recent.items() if now - times[-1] < 60}
        window = [t for t in self._recent.get(peer, []) if now - t < 60]
        if len(window) >= self.settings.rate_per_minute:
            self._recent[peer] = window
            return "Too many connections from your address: wait a minute and try again.\r\n"
        window.append(now)
        self._recent[peer] = window
        return None

    def refuse_session(self, open_sessions: int) -> str | None:
        if open_sessions >= self.settings.max_sessions:
            return (f"The console is busy: {open_sessions} sessions are open, the most it allows. "
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


class ConsoleServer:
    """The listener, its limits, the sessions it holds and the spawner that makes consoles."""

    def __init__(self, settings: SshSettings) -> None:
        from secconsole.ssh.spawner import make_spawner

        self.settings = settings
        self.limits = Limits(settings)
        self.spawner = make_spawner(settings.spawn)
        self.sessions: set[Session] = set()
        self.acceptor = None
        self.key = None
        self.draining = False
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        import asyncssh

        keys = self.settings.authorized_keys

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                # Without an authorized-keys file the console's own sign-in is the authentication;
                # with one, SSH first wants one of its keys (and the console still asks its questions).
                return keys is not None

            # Nothing but the console: no port forwarding either way, over TCP or Unix sockets
            # (asyncssh's defaults too, said here so that no upgrade or edit turns one on).
            def connection_requested(self, *_args):
                return False

            def server_requested(self, *_args):
                return False

            def unix_connection_requested(self, *_args):
                return False

            def unix_server_requested(self, *_args):
                return False

        self.key = load_or_create_host_key(self.settings.host_key)
        await self.spawner.start()
        options = {"authorized_client_keys": str(keys), "public_key_auth": True} if keys else {}
        self.acceptor = await asyncssh.create_server(
            Server, self.settings.host, self.settings.port, server_host_keys=[self.key],
            process_factory=self.run_session, line_editor=False, encoding=None,
            password_auth=False, kbdint_auth=False,
            # asyncssh forwards the client's agent unless told otherwise: a live socket on this
            # host that signs with the client's keys. The console needs no agent, X11 nor scp.
            agent_forwarding=False, x11_forwarding=False, allow_scp=False,
            # A client that vanished without closing (network gone) is noticed within ~2 minutes.
            keepalive_interval=30, keepalive_count_max=4, **options,
        )

    async def run_session(self, process) -> None:
        """Refuse without a PTY or over the limits, else run a console until either side ends."""
        peer, port = process.get_extra_info("peername")[:2]
        username = process.get_extra_info("username") or ""
        refusal = self.limits.refuse_connection(peer, time.monotonic()) or self.limits.refuse_session(len(self.sessions))
        if refusal is None and process.subsystem is not None:
            refusal = NO_SUBSYSTEM  # sftp is refused by asyncssh itself (no sftp_factory)
        if refusal is None and process.command:
            refusal = NO_COMMAND  # `ssh -t host cmd` would otherwise get a console and ignore cmd
        if refusal is None and process.get_terminal_type() is None:
            refusal = NO_PTY
        if refusal is None and self.draining:
            refusal = "The server is shutting down. Connect again in a moment.\r\n"
        if refusal is not None:
            log.info("session refused %s", fields(peer=peer, user=username, term=process.get_terminal_type(),
                                                  reason=refusal.strip()))
            process.stderr.write(refusal.encode())
            process.exit(1)
            return
        session = Session(self, process, peer, port, username)
        self.sessions.add(session)
        self._idle.clear()
        try:
            await session.run()
        finally:
            self.sessions.discard(session)
            if not self.sessions:
                self._idle.set()

    async def drain(self, stop_now: asyncio.Event) -> None:
        """Stop listening; give open sessions `drain_seconds` (or until `stop_now`) to finish,
        with a notice on their screens; then close what is left and stop the spawner."""
        self.draining = True
        self.acceptor.close()
        deadline = time.monotonic() + self.settings.drain_seconds
        log.info("draining %s", fields(sessions=len(self.sessions), seconds=self.settings.drain_seconds))
        for session in self.sessions:
            session.deadline = deadline
        now_task = asyncio.ensure_future(stop_now.wait())
        idle_task = asyncio.ensure_future(self._idle.wait())
        await asyncio.wait({now_task, idle_task}, return_when=asyncio.FIRST_COMPLETED)
        if not idle_task.done():
            for session in self.sessions:
                session.deadline = time.monotonic()
            await asyncio.wait_for(self._idle.wait(), 10)
        now_task.cancel()
        idle_task.cancel()
        await self.spawner.close()
