"""docs/ssh.md's OpenSSH recipe, run for real: the system's sshd (on a spare port, our config)
with `ForceCommand` starting the console, reached with the OpenSSH client in tmux."""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from ssh_helpers import free_port, ssh_command
from tmux_helpers import Tmux, have_tmux

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
pytestmark = pytest.mark.skipif(
    SSHD is None or not have_tmux() or not shutil.which("ssh") or os.geteuid() != 0,
    reason="needs sshd (openssh-server), tmux, ssh and root (sshd's privilege separation)",
)


def recipe_block() -> str:
    """The `Match` block as docs/ssh.md gives it."""
    docs = (os.path.dirname(__file__) + "/../../docs/ssh.md")
    text = open(docs).read()
    block = re.search(r"```\n(# /etc/ssh/sshd_config\.d/secconsole\.conf\n.*?)```", text, re.S)
    assert block, "docs/ssh.md lost its sshd recipe"
    return block.group(1)


@pytest.fixture
def sshd(tmp_path):
    keygen = lambda path: subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    keygen(tmp_path / "host_key")
    keygen(tmp_path / "client_key")
    (tmp_path / "authorized_keys").write_text((tmp_path / "client_key.pub").read_text())
    console = f"{sys.executable} -m secconsole"
    data = tmp_path / "data"
    # The documented block, with this machine's user, interpreter and data folder put in.
    block = (recipe_block()
             .replace("Match User console", f"Match User {getpass.getuser()}")
             .replace("/opt/secconsole/.venv/bin/secconsole", f"env SECCONSOLE_DATA_DIR={data} {console}"))
    port = free_port()
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path / 'host_key'}\nPidFile {tmp_path / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {tmp_path / 'authorized_keys'}\nStrictModes no\nPermitRootLogin yes\nUsePAM no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n" + block
    )
    os.makedirs("/run/sshd", exist_ok=True)
    daemon = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=open(tmp_path / "sshd.log", "w"))
    deadline = time.monotonic() + 10
    while "Server listening" not in (tmp_path / "sshd.log").read_text():
        assert time.monotonic() < deadline and daemon.poll() is None, (tmp_path / "sshd.log").read_text()
        time.sleep(0.05)
    yield port, tmp_path
    daemon.terminate()
    daemon.wait(10)


def test_sshd_force_command_runs_the_console_and_refuses_no_terminal(sshd):
    port, tmp_path = sshd
    key = ["-i", str(tmp_path / "client_key")]
    user = getpass.getuser()
    refused = subprocess.run(["ssh", "-T", *ssh_command(port, user, *key)[2:]], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=60)
    assert refused.returncode == 1 and "needs a terminal" in refused.stderr
    term = Tmux(ssh_command(port, user, *key), {"PATH": os.environ["PATH"]})
    try:
        term.wait_for("Sign in to your account", timeout=30)
        subprocess.run([sys.executable, "-m", "secconsole", "user", "add", "zoe", "--email", "zoe@example.com",
                        "--password-stdin"], input="Tulip-Harbor-42!\n", text=True, check=True,
                       env={**os.environ, "SECCONSOLE_DATA_DIR": str(tmp_path / "data")})
        term.type("zoe\tTulip-Harbor-42!\r")  # one burst: Tab must move focus before the rest lands
        term.wait_for("Signed in as zoe")
        term.keys("C-q")
    finally:
        term.close()
    shown = subprocess.run([sys.executable, "-m", "secconsole", "user", "show", "zoe", "--json"], capture_output=True,
                           text=True, env={**os.environ, "SECCONSOLE_DATA_DIR": str(tmp_path / "data")}).stdout
    assert "ssh 127.0.0.1" in shown  # sshd's SSH_CONNECTION reaches the audit trail
