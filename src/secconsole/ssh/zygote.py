"""The pre-imported parent that forks one console per SSH session.

Started once by `serve-ssh` (``python -m secconsole.ssh.zygote FD``), it imports Python's and
Textual's modules and ours, then waits on a Unix socket. Each request carries the session's PTY
and gets a forked child that runs ``secconsole.cli.main`` on it, so a session pays neither the
import cost nor the memory of a fresh interpreter: the children share the parent's pages.

It stays single-threaded with no event loop, which is what makes ``fork`` safe here.

Messages are JSON, one per SOCK_SEQPACKET packet:
  server -> zygote  {"op": "spawn", "id": N, "argv": [...], "env": {...}} + the PTY's fd
                    {"op": "kill", "pid": P, "sig": S}
  zygote -> server  {"op": "ready", "pid": Z}, {"op": "spawned", "id": N, "pid": P | "error": E},
                    {"op": "exit", "pid": P, "code": C}
"""

from __future__ import annotations

import fcntl
import gc
import io
import json
import os
import select
import signal
import socket
import sys
import termios
import threading
import traceback

MAX_PACKET = 1 << 18
#: Signals the server sends a console to show a notice: idle warning, server shutting down.
SERVER_NOTICES = (signal.SIGUSR1, signal.SIGUSR2)

#: What a console session imports after its first paint (found by comparing sys.modules of a
#: session that signed in with the zygote's), beyond our own modules, which are all imported.
PRELOAD = (
    "textual.drivers.linux_driver",
    "textual.widgets",
    "textual.layouts.factory",
    "textual.layouts.horizontal",
    "textual.layouts.stream",
    "concurrent.futures.thread",
    "argparse",
    "sqlite3",
    "phonenumbers",
    "phonenumbers.asyoutypeformatter",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.engine.strategies",
    "sqlalchemy.ext.compiler",
    "psycopg",
    "alembic.command",
    "alembic.config",
    "alembic.runtime.migration",
    "alembic.autogenerate",
    "alembic.operations",
    "argon2",
    "cryptography.hazmat.primitives.ciphers.aead",
    "zxcvbn",
    "segno",
    "pyotp",
    "email_validator",
)
#: Not imported: they start servers or run the CLI.
SKIP = ("secconsole.__main__", "secconsole.ssh", "secconsole.web")


def preload() -> list[str]:
    """Import everything a session needs; return what could not be imported."""
    import importlib
    import pkgutil

    import secconsole

    failed = []
    names = [info.name for info in pkgutil.walk_packages(secconsole.__path__, "secconsole.")
             if not info.name.startswith(SKIP) and ".migrations." not in info.name]
    for name in [*names, *PRELOAD]:
        try:
            importlib.import_module(name)
        except Exception as exc:  # an optional driver missing must not stop the server
            failed.append(f"{name}: {exc}")
    from rich.cells import cell_len

    cell_len("▶ •")  # Rich loads its table of wide characters on the first one measured
    from phonenumbers import PhoneMetadata

    PhoneMetadata.load_all()  # each country's metadata loads on first use: ~0.3 s, ~3 MB, shared by forks
    return failed


def take_terminal(fd: int) -> None:
    """In a session's new process: its own session with the PTY `fd` as controlling terminal (so
    resizes send SIGWINCH), default signal handlers even under nohup, and the server's notices
    held until the console listens for them (``tui.server_notices.listen`` unblocks them): a
    notice sent before the first frame, say a drain right after connecting, arrives late instead
    of being lost (an ignored signal would be dropped)."""
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, *SERVER_NOTICES):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_BLOCK, SERVER_NOTICES)
    os.setsid()
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)


def _reopen_std_streams() -> None:
    """Fresh sys.std* on fds 0-2 (now the PTY): the inherited ones were set up for the
    zygote's pipes (block-buffered, not a TTY)."""
    def stream(fd: int, mode: str):
        raw = io.FileIO(fd, mode, closefd=False)
        if mode == "rb":
            return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", errors="replace")
        return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors="replace",
                                line_buffering=True)

    sys.stdin = sys.__stdin__ = stream(0, "rb")
    sys.stdout = sys.__stdout__ = stream(1, "wb")
    sys.stderr = sys.__stderr__ = stream(2, "wb")


def _run_child(pty_fd: int, argv: list[str], env: dict[str, str], close: list[int]) -> None:
    """In the forked child: become the session's process on its PTY, run the console, exit."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in close:
            os.close(fd)
        take_terminal(pty_fd)
        for fd in (0, 1, 2):
            os.dup2(pty_fd, fd)
        os.close(pty_fd)
        os.environ.clear()
        os.environ.update(env)
        _reopen_std_streams()
        sys.argv = ["secconsole", *argv]
        from secconsole.cli import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        try:
            traceback.print_exc()
        except Exception:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(code if isinstance(code, int) else 1)


def signal_child(pid: int, sig: int) -> None:
    """The console's process group (it and whatever it started); a console forked a moment ago
    may not have made its group yet (``take_terminal``'s setsid): then the console itself, so a
    notice sent right after the fork (a drain just after connecting) is not lost."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class Zygote:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.children: set[int] = set()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        os.set_blocking(self.wake_r, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd is written
        for sig in (signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # the server decides when we stop (socket closed)
        # Held from birth in every console forked from here, so a notice sent between the fork and
        # take_terminal is not lost (nor, at its default action, fatal) either.
        signal.pthread_sigmask(signal.SIG_BLOCK, SERVER_NOTICES)

    def send(self, message: dict) -> None:
        try:
            self.sock.send(json.dumps(message).encode())
        except OSError:
            pass  # the server is gone; the read side notices and we stop

    def serve(self) -> None:
        self.send({"op": "ready", "pid": os.getpid()})
        while True:
            try:
                ready, _, _ = select.select([self.sock, self.wake_r], [], [])
            except InterruptedError:
                continue
            if self.wake_r in ready:
                try:
                    while os.read(self.wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            self.reap()
            if self.sock in ready and not self.receive():
                break
        self.shutdown()

    def receive(self) -> bool:
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, MAX_PACKET, 4)
        except OSError:
            return False
        if not data:
            return False
        message = json.loads(data)
        if message["op"] == "spawn":
            self.spawn(message, fds)
        elif message["op"] == "kill":
            for fd in fds:
                os.close(fd)
            pid = message["pid"]
            if pid in self.children:  # never signal a pid that has been reaped (and maybe reused)
                signal_child(pid, message["sig"])
        return True

    def spawn(self, message: dict, fds: list[int]) -> None:
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            self.send({"op": "spawned", "id": message["id"], "error": "no PTY was passed"})
            return
        pty_fd = fds[0]
        if threading.active_count() != 1:  # fork would copy a lock some thread holds
            self.send({"op": "spawned", "id": message["id"], "error": "the zygote has threads"})
            os.close(pty_fd)
            return
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(pty_fd)
            self.send({"op": "spawned", "id": message["id"], "error": str(exc)})
            return
        if pid == 0:
            _run_child(pty_fd, message["argv"], message["env"],
                       [self.sock.fileno(), self.wake_r, self.wake_w])
        os.close(pty_fd)
        self.children.add(pid)
        self.send({"op": "spawned", "id": message["id"], "pid": pid})

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.send({"op": "exit", "pid": pid, "code": os.waitstatus_to_exitcode(status)})

    def shutdown(self) -> None:
        """The server went away: its sessions' consoles go too (HUP, then KILL)."""
        import time

        for sig, wait in ((signal.SIGHUP, 0.5), (signal.SIGKILL, 1.0)):
            for pid in list(self.children):
                signal_child(pid, sig)
            deadline = time.monotonic() + wait
            while self.children and time.monotonic() < deadline:
                self.reap()
                time.sleep(0.02)


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    failed = preload()
    for line in failed:
        print(f"secconsole zygote: could not preload {line}", file=sys.stderr)
    gc.collect()
    gc.freeze()  # what is imported now stays shared with the children (no GC writes to it)
    Zygote(sock).serve()


if __name__ == "__main__":
    main()
