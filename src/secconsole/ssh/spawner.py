"""How a session's console process is started: forked from the pre-imported zygote (the default)
or executed as a fresh interpreter. Both give the same three things: spawn on a PTY, signal the
session's process group, and wait for its exit code."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys

from secconsole.ssh.zygote import MAX_PACKET, take_terminal

log = logging.getLogger("secconsole.ssh")


class SpawnError(Exception):
    pass


class ExecSpawner:
    """A fresh ``python -m secconsole`` per session: slower and heavier, needs nothing running."""

    name = "exec"

    def __init__(self) -> None:
        self._children: dict[int, subprocess.Popen] = {}

    async def start(self) -> None:
        pass

    async def spawn(self, argv: list[str], env: dict[str, str], pty_fd: int) -> int:
        child = subprocess.Popen(
            [sys.executable, "-m", "secconsole", *argv], stdin=pty_fd, stdout=pty_fd, stderr=pty_fd,
            env=env, preexec_fn=lambda: take_terminal(0), close_fds=True,  # the PTY is fd 0 by then
        )
        self._children[child.pid] = child
        return child.pid

    def kill(self, pid: int, sig: int) -> None:
        child = self._children.get(pid)
        if child is not None and child.poll() is None:
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                pass

    async def wait(self, pid: int) -> int:
        child = self._children[pid]
        try:
            return await asyncio.to_thread(child.wait)
        finally:
            self._children.pop(pid, None)

    async def close(self) -> None:
        pass


def become_subreaper() -> bool:
    """Adopt orphaned descendants (PR_SET_CHILD_SUBREAPER): if the zygote dies, its consoles
    become our children, so we can reap them instead of leaving zombies."""
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class ForkSpawner:
    """Talks to `secconsole.ssh.zygote`: one pre-imported process that forks per session.

    Each console is also watched through a pidfd, which works whoever its parent is: if the
    zygote dies, running sessions go on (their consoles are adopted by this process, see
    `become_subreaper`), and the next session starts a new zygote."""

    name = "fork"

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._process: subprocess.Popen | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, asyncio.Future[int]] = {}
        self._ready: asyncio.Future[int] | None = None
        self._lock = asyncio.Lock()
        self._pidfds: dict[int, int] = {}
        #: Which zygote (by start count) forked each console: only a live one reports its exit.
        self._generation = 0
        self._born: dict[int, int] = {}

    async def start(self) -> None:
        become_subreaper()
        async with self._lock:
            await self._start()

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._generation += 1
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ, PYTHONUTF8="1")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "secconsole.ssh.zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        theirs.close()
        ours.setblocking(False)
        self._sock = ours
        self._ready = loop.create_future()
        loop.add_reader(ours.fileno(), self._on_readable)
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), 60)
        except (asyncio.TimeoutError, SpawnError) as exc:
            self._drop()
            raise SpawnError(f"the session parent did not start: {exc}") from None

    def _on_readable(self) -> None:
        sock = self._sock
        while sock is not None:
            try:
                data = sock.recv(MAX_PACKET)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                log.warning("session parent (zygote) ended; it is restarted for the next session")
                self._drop()
                return
            self._handle(json.loads(data))

    def _handle(self, message: dict) -> None:
        op = message["op"]
        if op == "ready" and self._ready and not self._ready.done():
            self._ready.set_result(message["pid"])
        elif op == "spawned":
            future = self._pending.pop(message["id"], None)
            if future is None or future.done():
                return
            if "pid" in message:
                self._exits.setdefault(message["pid"], asyncio.get_running_loop().create_future())
                self._watch(message["pid"])
                future.set_result(message["pid"])
            else:
                future.set_exception(SpawnError(message.get("error", "unknown")))
        elif op == "exit":
            self._exited(message["pid"], message["code"])

    def _watch(self, pid: int) -> None:
        """A pidfd for the console: readable once it has ended, whoever its parent is by then."""
        try:
            pidfd = os.pidfd_open(pid)
        except (OSError, AttributeError):  # an old kernel: the zygote's word is all we have
            return
        self._pidfds[pid] = pidfd
        self._born[pid] = self._generation
        asyncio.get_running_loop().add_reader(pidfd, self._pidfd_ready, pid)

    def _orphaned(self, pid: int) -> bool:
        """The zygote that forked `pid` is gone (the console is ours now, or init's)."""
        return self._sock is None or self._born.get(pid, self._generation) != self._generation

    def _pidfd_ready(self, pid: int) -> None:
        asyncio.get_running_loop().remove_reader(self._pidfds[pid])
        if self._orphaned(pid):
            self._reap_adopted(pid)
        # else its zygote reaps it and sends the exit code; the pidfd stays for `_drop`

    def _reap_adopted(self, pid: int) -> None:
        code = 1
        try:  # adopted after the zygote died: ours to reap
            reaped, status = os.waitpid(pid, os.WNOHANG)
            if reaped:
                code = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            pass
        self._exited(pid, code)

    def _unwatch(self, pid: int) -> None:
        self._born.pop(pid, None)
        pidfd = self._pidfds.pop(pid, None)
        if pidfd is not None:
            asyncio.get_running_loop().remove_reader(pidfd)
            os.close(pidfd)

    def _exited(self, pid: int, code: int) -> None:
        self._unwatch(pid)
        future = self._exits.setdefault(pid, asyncio.get_running_loop().create_future())
        if not future.done():
            future.set_result(code)

    def _drop(self) -> None:
        """The zygote is gone: fail the spawns that wait on it. Its consoles run on, watched by
        their pidfds (without pidfds they are counted as ended)."""
        self._close_socket()
        for future in [*self._pending.values(), *([self._ready] if self._ready else [])]:
            if not future.done():
                future.set_exception(SpawnError("the session parent ended"))
        self._pending.clear()
        for pid, future in list(self._exits.items()):
            if future.done():
                continue
            if pid not in self._pidfds:
                future.set_result(-signal.SIGHUP)
            elif _ended(pid):
                self._reap_adopted(pid)
        if self._process is not None:
            try:
                self._process.kill()
            except ProcessLookupError:
                pass
            self._process.wait()
            self._process = None

    def _close_socket(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    async def spawn(self, argv: list[str], env: dict[str, str], pty_fd: int) -> int:
        async with self._lock:
            if self._sock is None:
                await self._start()
            self._next_id += 1
            future = asyncio.get_running_loop().create_future()
            self._pending[self._next_id] = future
            message = json.dumps({"op": "spawn", "id": self._next_id, "argv": argv, "env": env})
            socket.send_fds(self._sock, [message.encode()], [pty_fd])
        return await asyncio.wait_for(future, 30)

    def kill(self, pid: int, sig: int) -> None:
        future = self._exits.get(pid)
        if future is None or future.done():
            return
        if self._orphaned(pid):  # the pidfd reaches the console safely
            if pid in self._pidfds:
                try:
                    signal.pidfd_send_signal(self._pidfds[pid], sig)
                except ProcessLookupError:
                    pass
            return
        try:
            self._sock.send(json.dumps({"op": "kill", "pid": pid, "sig": int(sig)}).encode())
        except OSError:
            pass

    async def wait(self, pid: int) -> int:
        future = self._exits.setdefault(pid, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.shield(future)
        finally:
            if future.done():
                self._exits.pop(pid, None)

    async def close(self) -> None:
        """Closing the socket tells the zygote to end its children and stop."""
        process = self._process
        self._close_socket()
        if process is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(process.wait), 5)
            except asyncio.TimeoutError:
                process.kill()
                process.wait()
            self._process = None


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def make_spawner(kind: str):
    return ForkSpawner() if kind == "fork" else ExecSpawner()
