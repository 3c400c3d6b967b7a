"""The SSH server with real clients: asyncssh's, against `secconsole serve-ssh` in a process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

asyncssh = pytest.importorskip("asyncssh")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(tmp_path, *extra: str):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
    env["SECCONSOLE_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "secconsole", "serve-ssh", "--port", str(port), "--demo", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    banner = proc.stdout.readline()
    assert "Serving the console on ssh://127.0.0.1" in banner, proc.stderr.read()
    return port, banner, proc


def stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)


@pytest.fixture
def server(tmp_path):
    port, banner, proc = start_server(tmp_path)
    yield port, banner, proc, tmp_path
    stop(proc)


async def read_until(process, text: str, timeout: float = 20.0) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{text!r} never arrived; got {seen[-500:]!r}"
        chunk = await asyncio.wait_for(process.stdout.read(65536), left)
        assert chunk, f"the session ended before {text!r}"
        seen += chunk.decode(errors="replace") if isinstance(chunk, bytes) else chunk
    return seen


def console_pids(user: str) -> set[int]:
    out = subprocess.run(["pgrep", "-f", f"secconsole demo --user {user}$"], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


async def test_a_session_gets_the_sign_in_screen_with_the_name_pre_filled(server):
    port, _, _, _ = server
    async with asyncssh.connect("127.0.0.1", port, username="zed", known_hosts=None) as conn:
        process = await conn.create_process(term_type="xterm-256color", term_size=(100, 30), encoding=None)
        await read_until(process, "Sign in to your account")
        await read_until(process, "zed")  # the SSH user name, pre-filled
        process.stdin.write(b"\x11")  # ctrl+q quits the console, which ends the session
        await asyncio.wait_for(process.wait(), 20)


async def test_sessions_without_a_terminal_are_refused(server):
    port, _, _, _ = server
    async with asyncssh.connect("127.0.0.1", port, username="bob", known_hosts=None) as conn:
        result = await conn.run(timeout=20)
    assert result.exit_status == 1 and "needs a terminal" in result.stderr


async def test_an_abrupt_disconnect_leaves_no_console_behind(server):
    port, _, _, _ = server
    user = f"gone{os.getpid()}"
    conn = await asyncssh.connect("127.0.0.1", port, username=user, known_hosts=None)
    process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
    await read_until(process, "Sign in to your account")
    assert console_pids(user)
    conn.abort()
    deadline = time.monotonic() + 5
    while console_pids(user) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not console_pids(user)


def test_the_host_key_is_made_once_and_reused(server):
    port, banner, proc, tmp_path = server
    key = tmp_path / "data" / "ssh_host_ed25519_key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
    env["SECCONSOLE_DATA_DIR"] = str(tmp_path / "data")
    again = subprocess.Popen([sys.executable, "-m", "secconsole", "serve-ssh", "--port", str(free_port())],
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        second = again.stdout.readline()
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(10)
    assert banner.split("host key ")[1] == second.split("host key ")[1]


async def open_console(port: int, user: str, **kwargs):
    conn = await asyncssh.connect("127.0.0.1", port, username=user, known_hosts=None, **kwargs)
    process = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
    return conn, process


async def test_authorized_keys_let_one_key_in_and_keep_others_out(tmp_path):
    allowed = asyncssh.generate_private_key("ssh-ed25519")
    other = asyncssh.generate_private_key("ssh-ed25519")
    keys = tmp_path / "authorized_keys"
    keys.write_bytes(allowed.export_public_key())
    port, _, proc = start_server(tmp_path, "--authorized-keys", str(keys))
    try:
        conn, process = await open_console(port, "alice", client_keys=[allowed])
        await read_until(process, "Sign in to your account")
        conn.close()
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect("127.0.0.1", port, username="alice", known_hosts=None, client_keys=[other])
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect("127.0.0.1", port, username="alice", known_hosts=None, client_keys=[])
    finally:
        stop(proc)


async def test_limits_on_sessions_rate_and_time(tmp_path):
    port, _, proc = start_server(tmp_path, "--max-sessions", "1", "--rate", "2", "--max-session-time", "3")
    try:
        first, process = await open_console(port, "alice")
        await read_until(process, "Sign in to your account")
        async with asyncssh.connect("127.0.0.1", port, username="bob", known_hosts=None) as second:
            busy = await second.run(term_type="xterm", timeout=20)
        busy_text = busy.stderr.decode() if isinstance(busy.stderr, bytes) else busy.stderr
        assert busy.exit_status == 1 and "console is busy" in busy_text
        ended = await asyncio.wait_for(process.wait(), 20)  # the time limit closes the first session
        assert ended.exit_status == 2
        first.close()
        async with asyncssh.connect("127.0.0.1", port, username="carol", known_hosts=None) as third:
            refused = await third.run(term_type="xterm", timeout=20)
        text = refused.stderr.decode() if isinstance(refused.stderr, bytes) else refused.stderr
        assert refused.exit_status == 1 and "Too many connections from your address" in text
    finally:
        stop(proc)
