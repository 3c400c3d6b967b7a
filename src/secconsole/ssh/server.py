"""`secconsole serve-ssh`: an asyncssh server that gives each session its own console process on
a PTY sized like the client's window. The console's own sign-in is the authentication.

Bytes flow through our own pumps (SSH channel <-> PTY master), so the server sees every key
(idle timeout), every resize (TIOCSWINSZ on the PTY, which sends the console SIGWINCH) and can
say why it closed a session after putting the client's terminal back in order."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import struct
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("secconsole.ssh")
NO_PTY = "This console needs a terminal. Connect with `ssh -t`.\r\n"
NO_SUBSYSTEM = "This server offers the console only, no subsystems (sftp and the like). Connect with `ssh -t`.\r\n"
NO_COMMAND = "This server runs the console only, not commands. Connect with `ssh -t` and no command.\r\n"
#: What the console's terminal modes need undoing when it was stopped before it could do it:
#: main screen, cursor shown, mouse and focus reporting, bracketed paste and kitty keys off.
RESET_TERMINAL = (b"\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l"
                  b"\x1b[?1015l\x1b[?1004l\x1b[?2004l\x1b[<u\x1b[0m")
#: Seconds of notice before the idle timeout closes a session (at most a quarter of it).
IDLE_WARNING = 60


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


def fields(**values) -> str:
    """``key=value`` pairs for one log line; values with spaces, quotes or control characters
    (an SSH user name can hold anything) are JSON-quoted, so no line can forge another."""
    import json
    import re

    def text(value) -> str:
        value = "" if value is None else str(value)
        return value if re.fullmatch(r"[\w.:/@+-]+", value) else json.dumps(value)

    return " ".join(f"{key}={text(value)}" for key, value in values.items())


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def console_argv(settings: SshSettings, username: str) -> list[str]:
    """The `secconsole` arguments of one session's console."""
    argv = ["demo"] if settings.demo else []
    argv += list(settings.console_args)
    return argv + ["--user", username] if username else argv


def session_env(process, peer: str, port: int, settings: SshSettings) -> dict[str, str]:
    """The console's environment: ours (data folder, database), the client's terminal type and
    locale (UTF-8 unless it says otherwise), truecolor when the client says so."""
    env = {k: v for k, v in os.environ.items() if k.startswith(("SECCONSOLE_", "PATH", "HOME", "PYTHON", "TMPDIR"))}
    term = process.get_terminal_type() or "xterm-256color"
    env.update(TERM=term, LANG="C.UTF-8", SSH_CONNECTION=f"{peer} {port} {settings.host} {settings.port}")
    client_env = process.env or {}
    for name in ("LANG", "LC_ALL", "LC_CTYPE", "COLORTERM"):
        if client_env.get(name):
            env[name] = client_env[name]
    if "COLORTERM" not in env and any(mark in term for mark in ("truecolor", "24bit", "direct")):
        env["COLORTERM"] = "truecolor"
    env["SECCONSOLE_SSH_SESSION"] = "1"
    warning = _idle_warning(settings)
    env["SECCONSOLE_SSH_IDLE_WARNING"] = str(warning)
    env["SECCONSOLE_SSH_DRAIN"] = str(settings.drain_seconds)
    return env


def _idle_warning(settings: SshSettings) -> int:
    return min(IDLE_WARNING, settings.idle_seconds // 4)


async def _fd_ready(fd: int, *, write: bool = False) -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    add, remove = (loop.add_writer, loop.remove_writer) if write else (loop.add_reader, loop.remove_reader)
    add(fd, lambda: future.done() or future.set_result(None))
    try:
        await future
    finally:
        remove(fd)


class Session:
    """One SSH session's console and the two pumps between its PTY and the channel."""

    def __init__(self, server: "ConsoleServer", process, peer: str, port: int, username: str) -> None:
        self.server = server
        self.process = process
        self.peer, self.port, self.username = peer, port, username
        self.started = self.last_input = time.monotonic()
        self.deadline: float | None = None  # set when the server drains
        self.pid: int | None = None
        self.exited: asyncio.Future[int] | None = None
        self.master = -1
        self._notified: set[int] = set()

    async def run(self) -> None:
        settings, spawner = self.server.settings, self.server.spawner
        process = self.process
        cols, rows = process.get_terminal_size()[:2]
        self.size = f"{cols or 80}x{rows or 24}"
        self.master, slave = os.openpty()
        reason, code = "client closed", None
        try:
            _set_size(slave, cols or 80, rows or 24)
            try:
                self.pid = await spawner.spawn(console_argv(settings, self.username),
                                               session_env(process, self.peer, self.port, settings), slave)
            finally:
                os.close(slave)
            os.set_blocking(self.master, False)
            log.info("session start %s", fields(peer=self.peer, user=self.username, term=process.get_terminal_type(),
                                                size=self.size, pid=self.pid, spawn=spawner.name))
            self.exited = asyncio.ensure_future(spawner.wait(self.pid))
            output = asyncio.ensure_future(self._pump_out())
            tasks = {
                "exit": self.exited,
                "input": asyncio.ensure_future(self._pump_in()),
                "timer": asyncio.ensure_future(self._watch()),
            }
            done, _ = await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_COMPLETED)
            tasks["input"].cancel()
            tasks["timer"].cancel()
            if tasks["exit"] in done:
                code = tasks["exit"].result()
                reason = f"console exited {code}"
                await asyncio.wait({output}, timeout=1)  # what the console wrote last
                process.exit(code if code >= 0 else 1)
            elif tasks["timer"] in done:
                reason, message = tasks["timer"].result()
                await self._stop()
                output.cancel()
                process.stdout.write(RESET_TERMINAL)
                process.stderr.write(f"\r\n{message}\r\n".encode())
                process.exit(2)
            output.cancel()
        except Exception as exc:  # a failure here ends this session only
            reason = f"error {type(exc).__name__}: {exc}"
            log.exception("session failed %s", fields(peer=self.peer, user=self.username))
            try:
                process.stderr.write(b"\r\nThe console could not be started; try again in a moment.\r\n")
                process.exit(1)
            except Exception:
                pass
        finally:
            if self.pid is not None:
                await self._stop()
            os.close(self.master)
            log.info("session end %s", fields(
                peer=self.peer, user=self.username, term=process.get_terminal_type(), size=self.size,
                duration=f"{time.monotonic() - self.started:.1f}s", reason=reason))

    async def _pump_in(self) -> None:
        """Keys from the client to the console; resizes to the PTY. Ends at EOF or disconnect."""
        import asyncssh

        while True:
            try:
                data = await self.process.stdin.read(65536)
            except asyncssh.TerminalSizeChanged as change:
                _set_size(self.master, change.width or 80, change.height or 24)
                self.size = f"{change.width or 80}x{change.height or 24}"
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            except (asyncssh.Error, OSError, ConnectionError):
                return
            if not data:
                return
            self.last_input = time.monotonic()
            self._notified.discard(signal.SIGUSR1)
            while data:
                try:
                    written = os.write(self.master, data)
                except BlockingIOError:
                    await _fd_ready(self.master, write=True)
                    continue
                except OSError:
                    return
                data = data[written:]

    async def _pump_out(self) -> None:
        """The console's screen to the client, at the pace the channel takes it."""
        while True:
            await _fd_ready(self.master)
            try:
                data = os.read(self.master, 65536)
            except BlockingIOError:
                continue
            except OSError:  # EIO: the console has closed its side
                return
            if not data:
                return
            try:
                self.process.stdout.write(data)
                await self.process.stdout.drain()
            except Exception:
                return

    async def _watch(self) -> tuple[str, str]:
        """The idle timeout, the maximum session time and the drain deadline; returns the reason
        and what the client is told. The console gets a notice (a signal) before idle or drain."""
        settings = self.server.settings
        while True:
            now = time.monotonic()
            if settings.max_session_seconds and now - self.started >= settings.max_session_seconds:
                return ("maximum session time",
                        f"The session reached its maximum time ({_span(settings.max_session_seconds)}) and was closed.")
            idle = now - self.last_input
            if settings.idle_seconds and idle >= settings.idle_seconds:
                return ("idle timeout",
                        f"The session was closed after {_span(settings.idle_seconds)} without input.")
            if settings.idle_seconds and idle >= settings.idle_seconds - _idle_warning(settings):
                self.notify(signal.SIGUSR1)
            if self.deadline is not None:
                if now >= self.deadline:
                    return ("server stopping", "The server is shutting down and closed the session. "
                                               "Connect again in a moment.")
                self.notify(signal.SIGUSR2)
            await asyncio.sleep(0.25)

    def notify(self, sig: int) -> None:
        """A notice the console shows as a toast (once per cause, again after new input)."""
        if self.pid is not None and sig not in self._notified:
            self._notified.add(sig)
            self.server.spawner.kill(self.pid, sig)

    async def _stop(self) -> None:
        """HUP, then TERM, then KILL: no session outlives its connection by more than a second."""
        spawner, pid = self.server.spawner, self.pid
        if self.exited is None:
            self.exited = asyncio.ensure_future(spawner.wait(pid))
        for sig, wait in ((signal.SIGHUP, 0.4), (signal.SIGTERM, 0.4), (signal.SIGKILL, 1.0)):
            if self.exited.done():
                return
            spawner.kill(pid, sig)
            await asyncio.wait({self.exited}, timeout=wait)


def _span(seconds: int) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


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
