"""The zygote signals a console's process group; a console forked a moment ago has not made its
own group yet (setsid comes first thing in the child), and a notice sent then must still arrive."""

from __future__ import annotations

import signal
import subprocess
import sys

SCRIPT = r"""
import json, signal, socket, subprocess, sys
from secconsole.ssh.zygote import Zygote

ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
zygote = Zygote(theirs)
# A child still in the zygote's own process group, as a console is between fork and setsid.
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
zygote.children.add(child.pid)
ours.send(json.dumps({"op": "kill", "pid": child.pid, "sig": int(signal.SIGTERM)}).encode())
assert zygote.receive()
try:
    print(child.wait(timeout=10))
except subprocess.TimeoutExpired:
    child.kill()
    print("not signalled")
"""


def test_a_notice_reaches_a_console_that_has_no_process_group_of_its_own_yet():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(-signal.SIGTERM)
