"""Running the push API: ``serve`` for ``secconsole serve-api`` (until SIGTERM or SIGINT), and
``start_in_process`` for a console that serves it from a background thread (demo mode)."""

from __future__ import annotations

import asyncio
import ssl
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from aiohttp import web

from secconsole.api.app import make_app
from secconsole.forwarded import trusted

if TYPE_CHECKING:
    from secconsole.services import Services


@dataclass
class ApiSettings:
    host: str = "127.0.0.1"
    port: int = 8765
    #: The address devices use (pairing links); default http(s)://HOST:PORT.
    public_url: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    #: Reverse proxies whose X-Forwarded-For names the client (``--trusted-proxy``).
    trusted_proxies: tuple[str, ...] = ()


def tls_context(settings: ApiSettings) -> ssl.SSLContext | None:
    if not settings.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context


def bound_port(runner: web.AppRunner) -> int:
    (site,) = runner.sites
    return site._server.sockets[0].getsockname()[1]  # the port the OS chose for port 0


def url_for(host: str, port: int, tls: bool) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


async def start(services: Services, settings: ApiSettings) -> tuple[web.AppRunner, str]:
    """Listen and record the public URL for pairing links; returns the runner and that URL."""
    # On stop, long polls in flight get 2 s, then are cut (the device polls again elsewhere).
    app = make_app(services.push(), trusted(settings.trusted_proxies))
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2)
    await runner.setup()
    context = tls_context(settings)
    try:
        await web.TCPSite(runner, settings.host, settings.port, ssl_context=context).start()
    except BaseException:
        await runner.cleanup()
        raise
    url = settings.public_url or url_for(settings.host, bound_port(runner), context is not None)
    await asyncio.to_thread(services.push().set_api_url, url)
    return runner, url


def serve(services: Services, settings: ApiSettings, announce: Callable[[str], None]) -> None:
    """Serve until SIGTERM or SIGINT."""
    import signal

    async def main() -> None:
        runner, url = await start(services, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        announce(url)
        listening = url_for(settings.host, bound_port(runner), settings.tls_cert is not None)
        if listening != url:  # behind a proxy or a name: say where it really listens, too
            print(f"secconsole serve-api: listening on {listening}; pairing links send devices to {url}.",
                  file=sys.stderr, flush=True)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())


def start_in_process(services: Services, host: str = "127.0.0.1", port: int = 0) -> tuple[str, Callable[[], None]]:
    """The API in a background thread with its own event loop (an ephemeral loopback port by
    default); returns its URL and a function that stops it and waits for the thread."""
    loop = asyncio.new_event_loop()
    started: dict = {}
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            started["runner"], started["url"] = loop.run_until_complete(start(services, ApiSettings(host, port)))
        except BaseException as exc:  # reported to the caller below
            started["error"] = exc
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(started["runner"].cleanup())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    thread = threading.Thread(target=run, name="secconsole-api", daemon=True)
    thread.start()
    ready.wait()
    if "error" in started:
        thread.join()
        raise started["error"]

    def stop() -> None:
        if thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join()

    return started["url"], stop


def start_again_in_process(services: Services) -> tuple[str, Callable[[], None]]:
    """``start_in_process`` on the loopback port this database's API had last time when that is
    free (a kept demo database: the phones paired with it still reach it), else on any."""
    from urllib.parse import urlsplit

    last = urlsplit(services.push().api_url() or "")
    port = last.port if last.scheme == "http" and last.hostname == "127.0.0.1" else None
    if port:
        try:
            return start_in_process(services, port=port)
        except OSError:  # taken by now: a new one
            pass
    return start_in_process(services)
