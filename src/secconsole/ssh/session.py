"""One SSH session: its console process on a PTY sized like the client's window, the two pumps
between the channel and the PTY (the server sees every key and resize), its limits (idle timeout,
maximum time, drain deadline) with notices to the console, and how it is stopped."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import struct
import termios
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secconsole.ssh.server import ConsoleServer, SshSettings

log = logging.getLogger("secconsole.ssh")
#: What the console's terminal modes need undoing when it was stopped before it could do it:
#: main screen, cursor shown, mouse and focus reporting, bracketed paste and kitty keys off.
RESET_TERMINAL = (b"\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l"
                  b"\x1b[?1015l\x1b[?1004l\x1b[?2004l\x1b[<u\x1b[0m")
#: Seconds of notice before the idle timeout closes a session (at most a quarter of it).
IDLE_WARNING = 60


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
    """The console's environment: ours (data folder, database; the XDG folders platformdirs reads
    them from, so a session opens the server's own default database), the client's terminal type
    and locale (UTF-8 unless it says otherwise), truecolor when the client says so."""
    env = {k: v for k, v in os.environ.items()
           if k.startswith(("SECCONSOLE_", "PATH", "HOME", "PYTHON", "TMPDIR", "XDG_"))}
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
