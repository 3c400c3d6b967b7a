"""A command on a real pseudo-terminal that is its controlling terminal (so getpass reads /dev/tty),
for the prompts and the console as a person at a terminal meets them, without tmux."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")


def _take_terminal() -> None:  # in the child, after setsid: fd 0 becomes the controlling terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Pty:
    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = (80, 24)) -> None:
        self.fd, theirs = os.openpty()
        fcntl.ioctl(theirs, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.proc = subprocess.Popen(argv, stdin=theirs, stdout=theirs, stderr=theirs, env=env,
                                     start_new_session=True, preexec_fn=_take_terminal, close_fds=True)
        os.close(theirs)
        self.raw = b""

    @property
    def text(self) -> str:
        """Everything written so far, escape sequences removed."""
        return _ESCAPES.sub("", self.raw.decode("utf-8", "replace"))

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child has gone and closed its side
            return False
        self.raw += chunk
        return bool(chunk)

    def wait_for(self, check, timeout: float = 20.0) -> str:
        """Read until ``check`` (a string, or a function of the text) holds; the text so far."""
        test = (lambda text: check in text) if isinstance(check, str) else check
        deadline = time.monotonic() + timeout
        while not test(self.text):
            if time.monotonic() > deadline or not self._read(0.05):
                raise AssertionError(f"{check!r} never came; got:\n{self.text}")
        return self.text

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def finish(self, timeout: float = 20.0) -> int:
        """Read to the end; the exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.05):
            if self.proc.poll() is not None and not select.select([self.fd], [], [], 0)[0]:
                break
        return self.proc.wait(timeout=max(deadline - time.monotonic(), 1))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.fd)
