"""The SSH server with real clients (asyncssh's, and OpenSSH's `ssh -tt` in tmux) against
`secconsole serve-ssh` in its own process."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from ssh_helpers import SshServer, alive, flatten, parent_of, read_until, ssh_command, wait_gone
from tmux_helpers import Tmux, have_tmux

asyncssh = pytest.importorskip("asyncssh")
needs_openssh = pytest.mark.skipif(not (have_tmux() and shutil.which("ssh")), reason="needs tmux and ssh")
SIGN_IN = "Sign in to your account"


@pytest.fixture
def server(tmp_path):
    running = SshServer(tmp_path)
    yield running
    running.kill()


async def open_console(port: int, user: str, size=(80, 24), **kwargs):
    conn = await asyncssh.connect("127.0.0.1", port, username=user, known_hosts=None, **kwargs)
    process = await conn.create_process(term_type="xterm-256color", term_size=size, encoding=None)
    return conn, process


def demo_code(lines: list[str]) -> str:
    found = re.search(r"would show (\d{3}) (\d{3})", "\n".join(lines))
    assert found, "\n".join(lines)
    return found.group(1) + found.group(2)


# -- with the real OpenSSH client ------------------------------------------------------------


@needs_openssh
def test_openssh_signs_in_end_to_end_resizes_and_leaves_nothing_behind(server):
    term = Tmux(ssh_command(server.port, "alice"), {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")},
                size=(90, 26))
    try:
        lines = term.wait_for(SIGN_IN)
        assert "alice" in "\n".join(lines)  # the SSH user name, pre-filled
        assert lines[0].rstrip().endswith("DEMO") and len(lines[0].rstrip()) == 88  # the client's width
        term._run("resize-window", "-t", "t", "-x", "100", "-y", "30")
        deadline = time.monotonic() + 10
        while len(term.screen()[0].rstrip()) != 98 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(term.screen()[0].rstrip()) == 98, term.screen()
        term.type("Tulip-Harbor-42!\r")  # the password field has the focus: the name is filled in
        lines = term.wait_for("would show")
        term.type(demo_code(lines))
        term.keys("Enter")
        term.wait_for("Signed in as alice")
        pids = server.pids("alice")
        assert pids and all(parent_of(p) == server.zygote_pid() for p in pids)  # forked, pre-imported
        term.keys("C-q")
        assert not asyncio.run(wait_gone(pids, 5))
        # The server ends the session (and the client) itself; closing the terminal before it
        # has would race it and log "client closed".
        assert server.session_lines("end", wait=10)
    finally:
        term.close()
    events = subprocess.run([sys.executable, "-m", "secconsole", "user", "show", "alice", "--json"],
                            capture_output=True, text=True,
                            env={**os.environ, "SECCONSOLE_DATA_DIR": str(server.data)}).stdout
    assert "ssh 127.0.0.1" in events  # the audit trail names the peer
    end = server.session_lines("end")[-1]
    assert "user=alice" in end and "size=100x30" in end and "reason=\"console exited 0\"" in end


@needs_openssh
def test_openssh_without_a_terminal_is_refused_and_closing_the_window_leaves_no_console(server):
    refused = subprocess.run(ssh_command(server.port, "bob")[:1] + ["-T"] + ssh_command(server.port, "bob")[2:],
                             capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert refused.returncode == 1 and "needs a terminal" in refused.stderr
    term = Tmux(ssh_command(server.port, "bob"), {"PATH": os.environ["PATH"]})
    try:
        term.wait_for(SIGN_IN)
        pids = server.pids("bob")
        assert pids
    finally:
        term.close()  # the terminal goes away with its ssh client
    assert not asyncio.run(wait_gone(pids, 3))


# -- with asyncssh's client ------------------------------------------------------------------


@pytest.mark.parametrize("spawn", ["fork", "exec"])
async def test_a_session_gets_the_sign_in_screen_with_the_name_pre_filled(tmp_path, spawn):
    server = SshServer(tmp_path, "--spawn", spawn)
    try:
        conn, process = await open_console(server.port, "zed", size=(100, 30))
        await read_until(process, SIGN_IN)
        await read_until(process, "zed")
        process.stdin.write(b"\x11")  # ctrl+q quits the console, which ends the session
        result = await asyncio.wait_for(process.wait(), 20)
        assert result.exit_status == 0
        conn.close()
        assert f"spawn={spawn}" in server.session_lines()[0]
    finally:
        server.kill()


async def _read_for(process, seconds: float) -> str:
    """Whatever the session shows in the next `seconds`."""
    seen = ""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            chunk = await asyncio.wait_for(process.stdout.read(65536), left)
        except asyncio.TimeoutError:
            break
        seen += chunk.decode(errors="replace")
    return seen


@pytest.mark.parametrize("extra, open_", [((), False), (("--signup", "open"), True),
                                          (("--demo",), True), (("--demo", "--signup", "closed"), False)])
async def test_sign_up_is_closed_over_ssh_unless_asked_for_or_demo(tmp_path, extra, open_):
    server = SshServer(tmp_path, *extra, demo=False)
    try:
        conn, process = await open_console(server.port, "zed")
        seen = await read_until(process, SIGN_IN)
        seen += await _read_for(process, 1.5)  # the rest of the first frame
        assert ("createaccount" in flatten(seen).lower()) is open_
        process.stdin.write(b"\x0e")  # ^N
        seen = await _read_for(process, 2.0)
        assert ("Createyouraccount" in flatten(seen)) is open_
        conn.close()
    finally:
        server.kill()


async def test_sessions_without_a_terminal_are_refused(server):
    async with asyncssh.connect("127.0.0.1", server.port, username="bob", known_hosts=None) as conn:
        result = await conn.run(timeout=20)
    assert result.exit_status == 1 and "needs a terminal" in result.stderr
    assert "reason=\"This console needs a terminal" in server.session_lines("refused")[0]


async def test_an_abrupt_disconnect_leaves_no_console_behind(server):
    conn, process = await open_console(server.port, "gone")
    await read_until(process, SIGN_IN)
    pids = server.pids("gone")
    assert pids
    conn.abort()
    assert not await wait_gone(pids, 2)


async def test_demo_sessions_get_their_own_data_and_it_goes_with_them(tmp_path):
    server = SshServer(tmp_path, "--idle-timeout", "4", data_dir=False)
    try:
        quitter, q = await open_console(server.port, "quits")
        cut, c = await open_console(server.port, "cut")
        idle, i = await open_console(server.port, "idle")
        for process in (q, c, i):
            await read_until(process, "Data is thrown away on exit.")
        folders = lambda: sorted(p.name for p in server.tmp.glob("secconsole-demo-*"))
        assert len(folders()) == 3  # one per session: nobody sees another's changes
        q.stdin.write(b"\x11")  # quits
        cut.abort()  # the connection drops
        await asyncio.wait_for(i.wait(), 20)  # the idle timeout closes it
        deadline = time.monotonic() + 5
        while folders() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert folders() == []
        quitter.close()
        idle.close()
    finally:
        server.kill()


async def test_twenty_simultaneous_sessions_each_get_their_console(server):
    async def one(n: int):
        conn, process = await open_console(server.port, f"user{n:02d}", size=(80 + n, 24))
        await read_until(process, SIGN_IN, timeout=90)
        await read_until(process, f"user{n:02d}", timeout=30)
        return conn, process

    sessions = await asyncio.gather(*(one(n) for n in range(20)))
    pids = set().union(*(server.pids(f"user{n:02d}") for n in range(20)))
    assert len(pids) == 20
    zygote = server.zygote_pid()
    assert all(parent_of(p) == zygote for p in pids)
    # Each one answers its own keys: ctrl+q ends every other session, the rest stay.
    for n, (_, process) in enumerate(sessions):
        if n % 2 == 0:
            process.stdin.write(b"\x11")
    for n, (_, process) in enumerate(sessions):
        if n % 2 == 0:
            assert (await asyncio.wait_for(process.wait(), 30)).exit_status == 0
    assert len({p for p in pids if alive(p)}) == 10
    for conn, _ in sessions:
        conn.close()
    assert not await wait_gone(pids, 5)


async def test_a_crashed_console_or_session_parent_does_not_affect_other_sessions(server):
    conn_a, a = await open_console(server.port, "anna")
    conn_b, b = await open_console(server.port, "bert")
    await read_until(a, SIGN_IN)
    await read_until(b, SIGN_IN)
    (pid_a,) = server.pids("anna")
    (pid_b,) = server.pids("bert")
    os.kill(pid_a, signal.SIGSEGV)
    ended = await asyncio.wait_for(a.wait(), 10)
    assert ended.exit_status != 0
    b.stdin.write(b"\x0e")  # ctrl+n: bert's console still answers
    await read_until(b, "Create your account")
    zygote = server.zygote_pid()
    os.kill(zygote, signal.SIGKILL)  # the session parent dies...
    await asyncio.sleep(0.5)
    assert alive(pid_b) and parent_of(pid_b) == server.proc.pid  # ...bert's console is adopted
    b.stdin.write(b"\x1b")  # and still answers: back to the sign-in screen
    await read_until(b, SIGN_IN)
    conn_c, c = await open_console(server.port, "cleo")  # a new session parent serves new sessions
    await read_until(c, SIGN_IN)
    assert server.zygote_pid() not in (None, zygote)
    b.stdin.write(b"\x11")
    assert (await asyncio.wait_for(b.wait(), 10)).exit_status == 0  # its real exit code, reaped by us
    for conn in (conn_a, conn_b, conn_c):
        conn.close()
    assert "console exited -11" in server.log() and not alive(pid_b)


def test_the_host_key_is_made_once_and_reused(server, tmp_path):
    key = tmp_path / "data" / "ssh_host_ed25519_key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    assert server.stop() == 0
    again = SshServer(tmp_path)
    try:
        assert server.banner.split("host key ")[1] == again.banner.split("host key ")[1]
    finally:
        again.kill()


async def test_authorized_keys_let_one_key_in_and_keep_others_out(tmp_path):
    allowed = asyncssh.generate_private_key("ssh-ed25519")
    other = asyncssh.generate_private_key("ssh-ed25519")
    keys = tmp_path / "authorized_keys"
    keys.write_bytes(allowed.export_public_key())
    server = SshServer(tmp_path, "--authorized-keys", str(keys))
    try:
        conn, process = await open_console(server.port, "alice", client_keys=[allowed])
        await read_until(process, SIGN_IN)  # the console still asks for the password
        conn.close()
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect("127.0.0.1", server.port, username="alice", known_hosts=None, client_keys=[other])
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect("127.0.0.1", server.port, username="alice", known_hosts=None, client_keys=[])
    finally:
        server.kill()


async def test_limits_on_sessions_rate_and_time(tmp_path):
    server = SshServer(tmp_path, "--max-sessions", "1", "--rate", "2", "--max-session-time", "3")
    try:
        first, process = await open_console(server.port, "alice")
        await read_until(process, SIGN_IN)
        async with asyncssh.connect("127.0.0.1", server.port, username="bob", known_hosts=None) as second:
            busy = await second.run(term_type="xterm", timeout=20)
        assert busy.exit_status == 1 and "console is busy" in busy.stderr
        ended = await asyncio.wait_for(process.wait(), 20)  # the time limit closes the first session
        assert ended.exit_status == 2 and "maximum time (3 seconds)" in ended.stderr.decode()
        assert b"\x1b[?1049l" in ended.stdout  # the client's terminal is put back in order
        first.close()
        async with asyncssh.connect("127.0.0.1", server.port, username="carol", known_hosts=None) as third:
            refused = await third.run(term_type="xterm", timeout=20)
        assert refused.exit_status == 1 and "Too many connections from your address" in refused.stderr
    finally:
        server.kill()


async def test_an_idle_session_is_warned_then_closed_and_keys_keep_it_open(tmp_path):
    server = SshServer(tmp_path, "--idle-timeout", "8")  # the notice comes 2 s before
    try:
        conn, process = await open_console(server.port, "ida")
        await read_until(process, SIGN_IN)
        await asyncio.sleep(4)
        process.stdin.write(b"x")  # a key: the idle clock starts again
        started = time.monotonic()
        await read_until(process, "Still there?", timeout=15)
        assert time.monotonic() - started >= 5  # 6 s after the key, not 6 s after the start
        result = await asyncio.wait_for(process.wait(), 15)
        assert result.exit_status == 2
        assert "closed after 8 seconds without input" in result.stderr.decode()
        conn.close()
        assert "reason=\"idle timeout\"" in server.session_lines("end")[0]
    finally:
        server.kill()


async def test_sigterm_drains_open_sessions_then_stops(tmp_path):
    server = SshServer(tmp_path, "--drain", "30")
    conn, process = await open_console(server.port, "dora")
    await read_until(process, SIGN_IN)
    server.proc.send_signal(signal.SIGTERM)
    await read_until(process, "Server shutting down")  # the notice on the open console
    with pytest.raises(OSError):  # no new sessions
        await asyncssh.connect("127.0.0.1", server.port, username="late", known_hosts=None)
    process.stdin.write(b"\x0e")  # the open session still works while the server drains
    await read_until(process, "Create your account")
    assert server.proc.poll() is None
    process.stdin.write(b"\x11")  # the person finishes: the server stops on its own
    assert (await asyncio.wait_for(process.wait(), 20)).exit_status == 0
    conn.close()
    assert await asyncio.to_thread(server.stop, 0, 15) == 0
    assert server.zygote_pid() is None


async def test_a_drain_right_after_connecting_is_still_told(tmp_path):
    """The console listens for the server's notices only after its first frame; one sent before
    that waits (held by the signal mask) instead of being dropped."""
    server = SshServer(tmp_path, "--drain", "30")
    conn, process = await open_console(server.port, "dora")
    server.proc.send_signal(signal.SIGTERM)  # before the console painted anything
    await read_until(process, "Server shutting down")
    process.stdin.write(b"\x11")
    assert (await asyncio.wait_for(process.wait(), 20)).exit_status == 0
    conn.close()
    assert await asyncio.to_thread(server.stop, 0, 15) == 0


async def test_the_drain_deadline_or_a_second_signal_closes_what_is_left(tmp_path):
    server = SshServer(tmp_path, "--drain", "2")
    conn, process = await open_console(server.port, "dora")
    await read_until(process, SIGN_IN)
    (pid,) = server.pids("dora")
    server.proc.send_signal(signal.SIGTERM)
    result = await asyncio.wait_for(process.wait(), 20)
    assert result.exit_status == 2 and "server is shutting down" in result.stderr.decode()
    assert b"\x1b[?1049l" in result.stdout  # the client's terminal is put back in order
    assert await asyncio.to_thread(server.stop, 0, 15) == 0
    assert not alive(pid)
    conn.close()

    server = SshServer(tmp_path, "--drain", "600")
    conn, process = await open_console(server.port, "dora")
    await read_until(process, SIGN_IN)
    server.proc.send_signal(signal.SIGTERM)
    await asyncio.sleep(1)
    server.proc.send_signal(signal.SIGINT)  # Ctrl+C again: close them now
    assert (await asyncio.wait_for(process.wait(), 20)).exit_status == 2
    assert await asyncio.to_thread(server.stop, 0, 15) == 0
    conn.close()


def test_log_lines_quote_what_a_client_chose():
    from secconsole.ssh.server import fields

    line = fields(peer="127.0.0.1", user='eve\nsession end user=root', term="xterm", size="80x24")
    assert "\n" not in line and line.startswith("peer=127.0.0.1 user=\"eve\\nsession end user=root\" ")


def test_the_console_gets_the_clients_terminal_type_and_locale(monkeypatch):
    from secconsole.ssh.server import SshSettings
    from secconsole.ssh.session import session_env

    class Requested:  # what asyncssh reports of a session's request
        def __init__(self, term, env):
            self.term, self.env = term, env

        def get_terminal_type(self):
            return self.term

    settings = SshSettings()
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/secconsole-data")  # where the server's default database is
    plain = session_env(Requested("xterm-256color", {}), "192.0.2.1", 5000, settings)
    assert plain["XDG_DATA_HOME"] == "/srv/secconsole-data"
    assert plain["TERM"] == "xterm-256color" and plain["LANG"] == "C.UTF-8" and "COLORTERM" not in plain
    assert plain["SSH_CONNECTION"].startswith("192.0.2.1 5000 ")
    told = session_env(Requested("xterm", {"LANG": "de_DE.UTF-8", "COLORTERM": "truecolor"}), "::1", 1, settings)
    assert told["LANG"] == "de_DE.UTF-8" and told["COLORTERM"] == "truecolor"
    assert session_env(Requested("xterm-direct", {}), "::1", 1, settings)["COLORTERM"] == "truecolor"


def test_the_rate_limit_counts_per_address_and_forgets_old_ones():
    from secconsole.ssh.server import Limits, SshSettings

    limits = Limits(SshSettings(rate_per_minute=2))
    assert limits.refuse_connection("192.0.2.1", 0.0) is None
    assert limits.refuse_connection("192.0.2.1", 1.0) is None
    assert "Too many connections" in limits.refuse_connection("192.0.2.1", 2.0)
    assert limits.refuse_connection("192.0.2.2", 2.0) is None  # another address has its own count
    assert limits.refuse_connection("192.0.2.1", 61.5) is None  # a minute later
    for n in range(10_001):
        limits.refuse_connection(f"10.0.{n // 256}.{n % 256}", 100.0)
    limits.refuse_connection("198.51.100.9", 200.0)
    assert len(limits._recent) == 1


def test_the_session_parent_preloads_what_a_session_imports(tmp_path):
    """A module a session imports that the zygote did not is paid for (time and private memory)
    in every session: after preload, a console that loads its services imports nothing new."""
    script = """
import asyncio, sys
from secconsole.ssh.zygote import preload
assert preload() == []
before = set(sys.modules)
from secconsole import config
from secconsole.tui.app import SecConsoleApp

async def main():
    app = SecConsoleApp(config.resolve(demo=True, source="local"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app._services_event.wait()
        await pilot.pause(0.3)

asyncio.run(main())
testing = ("textual.drivers.headless_driver", "textual.pilot", "importlib.")
print(sorted(m for m in set(sys.modules) - before if not m.startswith(testing)))
"""
    env = {**os.environ, "SECCONSOLE_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@needs_openssh
def test_openssh_with_authorized_keys_gets_in_with_its_key_only(tmp_path):
    for name in ("allowed", "other"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)], check=True)
    server = SshServer(tmp_path, "--authorized-keys", str(tmp_path / "allowed.pub"))
    try:
        refused = subprocess.run(ssh_command(server.port, "alice", "-i", str(tmp_path / "other")),
                                 capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
        assert refused.returncode == 255 and "Permission denied" in refused.stderr
        term = Tmux(ssh_command(server.port, "alice", "-i", str(tmp_path / "allowed")), {"PATH": os.environ["PATH"]})
        try:
            term.wait_for(SIGN_IN)  # in by key; the console still asks for the password
        finally:
            term.close()
    finally:
        server.kill()
