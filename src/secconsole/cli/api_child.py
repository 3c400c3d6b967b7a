"""The push API beside `secconsole serve-ssh`: `secconsole serve-api` as a child process with its
own event loop (not in each forked console, nor on the SSH server's loop), on the same database
and options. Like any running API it records its address in ``meta`` for the consoles' pairing
links; the server stops it after its sessions have drained."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from secconsole.errors import ValidationError

if TYPE_CHECKING:
    from secconsole.api.server import ApiSettings

BANNER = "Serving the push API on "
#: Seconds the API gets to open the database (migrations included) and listen.
START_SECONDS = 60
#: Seconds it gets to stop (long polls are cut after 2 s) before it is killed.
STOP_SECONDS = 10


def command(settings: ApiSettings, common: list[str]) -> list[str]:
    argv = [sys.executable, "-m", "secconsole", "serve-api", *common,
            "--host", settings.host, "--port", str(settings.port)]
    for option, value in (("--public-url", settings.public_url), ("--tls-cert", settings.tls_cert),
                          ("--tls-key", settings.tls_key)):
        if value:
            argv += [option, value]
    return argv


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the server dies without stopping it (kill -9)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass


class ApiChild:
    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process, self.url = process, url

    @classmethod
    async def start(cls, settings: ApiSettings, common: list[str]) -> ApiChild:
        """Start it and wait for its banner (it has listened and recorded its URL by then). Its own
        session: a Ctrl-C at the server's terminal reaches the server, which stops it after the drain."""
        process = await asyncio.create_subprocess_exec(
            *command(settings, common), stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            start_new_session=True, preexec_fn=_die_with_parent)
        try:
            line = (await asyncio.wait_for(process.stdout.readline(), START_SECONDS)).decode(errors="replace")
        except asyncio.TimeoutError:
            line = ""
        if not line.startswith(BANNER):
            await cls(process, "").stop()
            raise ValidationError("The push API did not start (its reason is above). Give it a free port with "
                                  "--push-api-port, or run serve-ssh with --no-push-api when `secconsole serve-api` "
                                  "serves it.")
        return cls(process, line.removeprefix(BANNER).strip())

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after ``STOP_SECONDS``; its exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode
