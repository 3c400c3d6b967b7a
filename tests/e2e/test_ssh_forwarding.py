"""Issue 11, hole 10: the SSH server offers the console and nothing else. The real OpenSSH client
asks for agent forwarding (-A), X11 (-X), local and remote port forwarding (-L, -R) and
subsystems (-s); each is refused and the console still works. asyncssh's server used to accept
agent forwarding: a live socket on this host, signing with the client's keys."""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import time

import pytest

from ssh_helpers import SshServer, free_port
from tmux_helpers import Tmux, have_tmux

pytestmark = pytest.mark.skipif(not (have_tmux() and shutil.which("ssh") and shutil.which("ssh-agent")),
                                reason="needs tmux and OpenSSH's ssh and ssh-agent")
SIGN_IN = "Sign in to your account"


class Client:
    """OpenSSH with a throwaway key (also held by a real ssh-agent) and its own known_hosts."""

    def __init__(self, tmp_path, port: int) -> None:
        self.port, self.key = port, tmp_path / "id_ed25519"
        self.known_hosts = tmp_path / "known_hosts"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True)
        self.agent_sock = tmp_path / "agent.sock"
        self.agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(self.agent_sock)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.agent_sock.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        subprocess.run(["ssh-add", "-q", str(self.key)], env={**os.environ, "SSH_AUTH_SOCK": str(self.agent_sock)},
                       check=True, capture_output=True)

    def argv(self, user: str, *options: str) -> list[str]:
        return ["ssh", "-p", str(self.port), "-i", str(self.key), "-o", "IdentitiesOnly=yes",
                "-o", "StrictHostKeyChecking=accept-new", "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "BatchMode=yes", *options, f"{user}@127.0.0.1"]

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"),
                "SSH_AUTH_SOCK": str(self.agent_sock), "DISPLAY": ":0"}

    def run(self, user: str, *options: str, command: tuple[str, ...] = (), timeout: float = 30):
        return subprocess.run(self.argv(user, *options) + list(command), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, env=self.env(), timeout=timeout)

    def close(self) -> None:
        self.agent.terminate()
        self.agent.wait(10)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("forwarding")
    server_tmp = tmp_path / "server-tmp"  # where asyncssh would put a forwarded agent's socket
    server_tmp.mkdir()
    server = SshServer(tmp_path, extra_env={"TMPDIR": str(server_tmp)})
    client = Client(tmp_path, server.port)
    target = socket.create_server(("127.0.0.1", 0))  # what a forwarding would reach: nothing may
    target.setblocking(False)
    yield server, client, target, server_tmp
    target.close()
    client.close()
    server.kill()


def reached(target: socket.socket, wait: float = 0.5) -> bool:
    return bool(select.select([target], [], [], wait)[0])


def environ_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def wait_listening(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def test_a_session_asking_for_every_forwarding_gets_none_and_still_works(setup):
    server, client, target, server_tmp = setup
    target_port, local, remote = target.getsockname()[1], free_port(), free_port()
    argv = client.argv("alice", "-tt", "-A", "-X", "-L", f"127.0.0.1:{local}:127.0.0.1:{target_port}",
                       "-R", f"127.0.0.1:{remote}:127.0.0.1:{target_port}")
    term = Tmux(argv, client.env())
    try:
        term.wait_for(SIGN_IN, timeout=30)
        # -A: no agent socket on the server, and the console's environment names none.
        assert [p.name for p in server_tmp.rglob("*")] == []
        pids = server.pids("alice")
        assert pids
        for pid in pids:
            env = environ_of(pid)
            assert "SSH_AUTH_SOCK" not in env and "DISPLAY" not in env, env
        # -L: the client listens and asks the server for a channel, which is refused.
        wait_listening(local)
        with socket.create_connection(("127.0.0.1", local), timeout=5) as tunnel:
            tunnel.settimeout(5)
            assert tunnel.recv(1) == b""
        assert not reached(target)
        # -R: nothing listens on the server's side.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", remote), timeout=2)
        # ... and the console works: the password leads on to the second step.
        term.type("Tulip-Harbor-42!\r")
        term.wait_for("would show", timeout=30)
    finally:
        term.close()


def test_openssh_reports_each_refusal(setup):
    server, client, target, server_tmp = setup
    target_port = target.getsockname()[1]

    x11 = client.run("xavier", "-T", "-X")
    assert "X11 forwarding request failed" in x11.stderr, x11.stderr

    remote = client.run("rita", "-N", "-o", "ExitOnForwardFailure=yes", "-R", f"127.0.0.1:{free_port()}:127.0.0.1:{target_port}")
    assert remote.returncode == 255 and "remote port forwarding failed" in remote.stderr, remote.stderr

    sftp = client.run("sam", "-s", command=("sftp",))
    assert sftp.returncode != 0 and "subsystem request failed" in sftp.stderr, sftp.stderr
    other = client.run("sue", "-tt", "-s", command=("secconsole",), timeout=15)
    assert other.returncode == 1 and "no subsystems" in other.stdout + other.stderr
    assert not [line for line in server.session_lines("start") if "user=sue" in line], "a subsystem got a console"
    command = client.run("cody", "-tt", command=("cat", "/etc/passwd"), timeout=15)
    assert command.returncode == 1 and "not commands" in command.stdout + command.stderr
    assert not [line for line in server.session_lines("start") if "user=cody" in line], "a command got a console"

    local = free_port()
    errors = open(server.log_path.with_name("ssh-L.err"), "w+")
    tunnel = subprocess.Popen(client.argv("lena", "-N", "-L", f"127.0.0.1:{local}:127.0.0.1:{target_port}"),
                              stdin=subprocess.DEVNULL, stderr=errors, env=client.env())
    try:
        wait_listening(local)
        deadline = time.monotonic() + 10
        while "open failed" not in server.log_path.with_name("ssh-L.err").read_text():
            assert time.monotonic() < deadline, server.log_path.with_name("ssh-L.err").read_text()
            time.sleep(0.05)
        assert not reached(target)
    finally:
        tunnel.terminate()
        tunnel.wait(10)
        errors.close()
    assert [p.name for p in server_tmp.rglob("*")] == []
