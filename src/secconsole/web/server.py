"""`secconsole serve-web`: the demo console in a browser tab (textual-serve), one console process
per tab, for walkthroughs. Loopback by default: it has no authentication of its own."""

from __future__ import annotations

import ipaddress
import logging
import shlex
import sys
from dataclasses import dataclass, field

log = logging.getLogger("secconsole.web")


@dataclass
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    #: The address browsers use, when it differs from host:port (behind a proxy).
    public_url: str | None = None
    #: `secconsole demo` per tab (the default) or the real console.
    demo: bool = True
    console_args: list[str] = field(default_factory=list)
    max_sessions: int = 10


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def console_command(settings: WebSettings) -> str:
    argv = [sys.executable, "-m", "secconsole", *(["demo"] if settings.demo else []), *settings.console_args]
    return shlex.join(argv)


def make_server(settings: WebSettings):
    from aiohttp import web
    from textual_serve.server import Server

    class WebServer(Server):
        """textual-serve with a cap on open tabs (each one is a console process)."""

        open = 0

        async def on_startup(self, app) -> None:  # the CLI prints one line instead of a banner
            pass

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            if self.open >= settings.max_sessions:
                socket = web.WebSocketResponse()
                await socket.prepare(request)
                await socket.close(code=1013, message=b"The console is busy: too many tabs are open.")
                log.info("tab refused peer=%s reason=busy", request.remote)
                return socket
            self.open += 1
            log.info("tab start peer=%s open=%d", request.remote, self.open)
            try:
                return await super().handle_websocket(request)
            finally:
                self.open -= 1
                log.info("tab end peer=%s open=%d", request.remote, self.open)

    host = settings.host
    public = settings.public_url or f"http://{'[' + host + ']' if ':' in host else host}:{settings.port}"
    return WebServer(console_command(settings), host=host, port=settings.port,
                     title="SecConsole demo" if settings.demo else "SecConsole", public_url=public)
