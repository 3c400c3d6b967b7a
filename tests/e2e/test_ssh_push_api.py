"""`secconsole serve-ssh` (without --demo) runs the push API in its own process: a device pairs with
it over real HTTP, a console reached with the real OpenSSH client signs in with a prompt the device
approves, and stopping the server stops the API. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from conftest import STRONG
from push_device import ScriptedDevice
from secconsole.core.clock import ManualClock
from ssh_helpers import SshServer, alive, free_port, ssh_command
from tmux_helpers import Tmux, have_tmux

needs_openssh = pytest.mark.skipif(not (have_tmux() and shutil.which("ssh")), reason="needs tmux and ssh")


@pytest.fixture
def clock():
    """The test's side of the core on the real time: the API process has no other."""
    return ManualClock(datetime.now(timezone.utc))


def api_pid(server: SshServer) -> int:
    out = subprocess.run(["pgrep", "-P", str(server.proc.pid), "-f", "serve-api"], capture_output=True,
                         text=True).stdout.split()
    assert len(out) == 1, out
    return int(out[0])


def reachable(url: str) -> bool:
    try:
        urllib.request.urlopen(url + "/v1/device", timeout=5)
    except urllib.error.HTTPError:
        return True  # it answered (401: unsigned)
    except OSError:
        return False
    return True


@needs_openssh
def test_serve_ssh_runs_the_push_api_a_device_pairs_and_approves_a_sign_in_over_openssh(
        services, config, tmp_path):
    push = services.push()
    alice = services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    server = SshServer(tmp_path, "--db", config.db_url, demo=False)
    try:
        assert server.api_url and server.api_url.startswith("http://127.0.0.1:")
        assert push.api_url() == server.api_url  # recorded where the consoles read it
        pid = api_pid(server)
        phone = ScriptedDevice.pair(link=push.start_pairing(alice.id, push.api_url()).link, name="Pixel 8")
        info = phone.info()
        assert info.status == 200 and info.body["name"] == "Pixel 8"
        # The method on, as the wizard's test prompt turns it on.
        shown = push.send(alice.id, source="test").number
        (prompt,) = phone.prompts()
        assert phone.answer(prompt, "approve", shown).body == {"result": "approved"}
        assert push.confirm(alice.id, source="test").ok

        term = Tmux(ssh_command(server.port, "alice"), {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")})
        try:
            term.wait_for("Sign in to your account")
            term.type(STRONG + "\r")
            lines = term.wait_for("tap the number")
            (prompt,) = phone.prompts(wait=5)
            assert prompt["source"].startswith("ssh 127.0.0.1")
            number = push.prompt(alice.id).number
            assert re.search(r"\S", "\n".join(lines))
            assert phone.answer(prompt, "approve", number).body == {"result": "approved"}
            term.wait_for("Signed in as alice", timeout=20)
        finally:
            term.close()
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0 and "Stopped." in server.proc.stdout.read()
    assert not alive(pid) and not reachable(server.api_url)


def test_no_push_api_and_bad_api_options(tmp_path):
    server = SshServer(tmp_path, "--no-push-api", demo=False)
    try:
        assert server.api_url is None and "push API" not in server.banner
        assert not subprocess.run(["pgrep", "-P", str(server.proc.pid), "-f", "serve-api"],
                                  capture_output=True, text=True).stdout
    finally:
        assert server.stop() == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
    for args, fragment in ((["--push-api-host", "0.0.0.0"], "--push-api-tls-cert"),
                           (["--push-api-public-url", "ftp://x"], "--push-api-public-url takes")):
        done = subprocess.run([sys.executable, "-m", "secconsole", "serve-ssh", "--data-dir", str(tmp_path),
                               "--port", str(free_port()), *args], capture_output=True, text=True, env=env,
                              timeout=30)
        assert done.returncode == 1 and fragment in done.stderr and "Traceback" not in done.stderr


def test_a_busy_push_api_port_stops_serve_ssh_with_a_hint(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
        done = subprocess.run([sys.executable, "-m", "secconsole", "serve-ssh", "--data-dir", str(tmp_path),
                               "--port", str(free_port()), "--push-api-port", str(port)],
                              capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and "--no-push-api" in done.stderr and "Traceback" not in done.stderr
