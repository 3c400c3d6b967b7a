"""`secconsole serve-web`: the demo console in a browser tab (textual-serve), one console process
per tab, for walkthroughs. Loopback by default: it has no authentication of its own.

textual-serve's server and AppService are used below their public surface (the websocket
handler, the app factory, the child's environment): pyproject.toml pins its version range."""

from __future__ import annotations

import logging
import re
import shlex
import sys
from dataclasses import dataclass, field

from secconsole.web.gate import Gate

log = logging.getLogger("secconsole.web")

#: The child console reads its client's address here (config.detect_source): the environment,
#: never the command line, which textual-serve hands to a shell.
CLIENT_ENV = "SECCONSOLE_WEB_CLIENT"


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
    #: Other origins whose pages may open a console (``--allow-origin``).
    allow_origins: list[str] = field(default_factory=list)
    #: Proxies whose X-Forwarded-For names the client (``--trusted-proxy``).
    trusted_proxies: list[str] = field(default_factory=list)


def console_command(settings: WebSettings) -> str:
    argv = [sys.executable, "-m", "secconsole", *(["demo"] if settings.demo else []), *settings.console_args]
    return shlex.join(argv)


#: The browser tab's title.
PAGE_TITLE = "secconsole"
#: textual-serve's page loads its font from a remote CDN; it is served here from textual-serve's
#: own static folder, so the page asks nothing of any other host.
_FONT_FACE = """<style>
      @font-face { font-family: "Roboto Mono"; font-style: normal;
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype"); }
      @font-face { font-family: "Roboto Mono"; font-style: italic;
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype"); }
    </style>"""
_REMOTE_STYLESHEET = re.compile(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*>", re.S)


def page_template() -> str:
    """textual-serve's page template with a title and no stylesheet from another host."""
    from importlib.resources import files

    page = files("textual_serve").joinpath("templates/app_index.html").read_text(encoding="utf-8")
    page = _REMOTE_STYLESHEET.sub(_FONT_FACE, page)
    return page.replace("<head>", f"<head>\n    <title>{PAGE_TITLE}</title>", 1)


def make_server(settings: WebSettings):
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    host = settings.host
    public = settings.public_url or f"http://{'[' + host + ']' if ':' in host else host}:{settings.port}"
    gate = Gate.build(host=host, port=settings.port, public_url=public, allow_origins=settings.allow_origins,
                      trusted_proxies=settings.trusted_proxies)

    class TabService(AppService):
        """One tab's console, told its client's address through the environment."""

        def __init__(self, *args, client: str, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.client = client

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            environment = super()._build_environment(width=width, height=height)
            environment.pop("SSH_CONNECTION", None)  # a server started over SSH: not its tabs' source
            environment[CLIENT_ENV] = self.client
            return environment

    @web.middleware
    async def guard(request: web.Request, handler):
        websocket = request.headers.get("Upgrade", "").lower() == "websocket" or request.path == "/ws"
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        reason = gate.refusal(request.headers, websocket=websocket, local=sockname[:2] if sockname else None)
        if reason is None:
            try:
                request["client"] = gate.client(request.remote, request.headers.get("X-Forwarded-For"))
            except ValueError as exc:
                reason = str(exc)
        if reason is not None:
            log.warning("request refused peer=%s path=%s reason=%s", request.remote, request.path, reason)
            raise web.HTTPForbidden(text=f"Refused: {reason}.\n")
        return await handler(request)

    class WebServer(Server):
        """textual-serve behind the gate, with a cap on open tabs (each one is a console process)."""

        open = 0

        async def on_startup(self, app) -> None:  # the CLI prints one line instead of a banner
            pass

        async def _make_app(self) -> web.Application:
            import aiohttp_jinja2
            import jinja2

            app = await super()._make_app()
            app.middlewares.append(guard)
            aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({"app_index.html": page_template()}))
            return app

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            client = request["client"]
            if self.open >= settings.max_sessions:
                socket = web.WebSocketResponse()
                await socket.prepare(request)
                await socket.close(code=1013, message=b"The console is busy: too many tabs are open.")
                log.info("tab refused peer=%s client=%s reason=busy", request.remote, client)
                return socket
            self.open += 1
            log.info("tab start peer=%s client=%s open=%d", request.remote, client, self.open)
            try:
                return await self._run_tab(request, client)
            finally:
                self.open -= 1
                log.info("tab end peer=%s client=%s open=%d", request.remote, client, self.open)

        async def _run_tab(self, request: web.Request, client: str) -> web.WebSocketResponse:
            """textual-serve's handler, with the tab's client handed to its console."""
            socket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            await socket.prepare(request)
            service = TabService(self.command, write_bytes=socket.send_bytes, write_str=socket.send_str,
                                 close=socket.close, download_manager=self.download_manager, debug=self.debug,
                                 client=client)
            try:
                await service.start(width, height)
                await self._process_messages(socket, service)
            except Exception:
                log.exception("tab failed client=%s", client)
            finally:
                await service.stop()
                await socket.close()
            return socket

    return WebServer(console_command(settings), host=host, port=settings.port,
                     title="SecConsole demo" if settings.demo else "SecConsole", public_url=public)
