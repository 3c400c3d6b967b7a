"""`secconsole serve-web` in its own process: the page, and a console over its websocket, as a
browser gets them (aiohttp's client speaking the page's protocol; headless Chromium when present)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from ssh_helpers import flatten, free_port

aiohttp = pytest.importorskip("aiohttp")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


class WebServer:
    def __init__(self, tmp_path, *extra: str) -> None:
        self.port = free_port()
        self.log_path = tmp_path / f"serve-web-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "secconsole", "serve-web", "--port", str(self.port), *extra],
            stdout=subprocess.PIPE, stderr=self._log, text=True, env=env,
        )
        self.banner = self.proc.stdout.readline()
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the banner comes just before the socket listens
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    break
            except OSError:
                time.sleep(0.1)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        finally:
            self._log.close()


@pytest.fixture
def web(tmp_path):
    server = WebServer(tmp_path)
    yield server
    if server.proc.poll() is None:
        server.stop()


async def console_output_until(ws, text: str, timeout: float = 30) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while flatten(text) not in flatten(seen.decode(errors="replace")):
        left = deadline - time.monotonic()
        assert left > 0, f"{text!r} never arrived; got {seen[-400:]!r}"
        message = await ws.receive(timeout=left)
        assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data
    return seen.decode(errors="replace")


async def test_serve_web_answers_on_loopback_with_the_page_and_a_working_console(web):
    assert web.banner.startswith(f"Serving the demo console on {web.url}")
    async with aiohttp.ClientSession() as client:
        async with client.get(web.url + "/") as page:
            html = await page.text()
        assert page.status == 200 and "<div>SecConsole demo</div>" in html
        assert f"ws://127.0.0.1:{web.port}/ws" in html
        async with client.get(web.url + "/static/js/textual.js") as script:
            assert script.status == 200
        async with client.ws_connect(web.url + "/ws?width=80&height=24", origin=web.url) as ws:
            await console_output_until(ws, "Sign in to your account")
            await ws.send_str(json.dumps(["stdin", "\x0e"]))  # ctrl+n
            await console_output_until(ws, "Create your account")
            await ws.send_str(json.dumps(["stdin", "\x11"]))  # ctrl+q ends the console and the ws
            message = await ws.receive(timeout=20)
            while message.type == aiohttp.WSMsgType.BINARY:
                message = await ws.receive(timeout=20)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    assert "tab start" in web.log_path.read_text()
    assert web.stop() in (0, -signal.SIGTERM)


async def handshake_status(url: str, *, origin: str | None, host: str | None = None) -> int:
    """The status a websocket upgrade gets: 101 when the server takes it."""
    headers = {"Host": host} if host else {}
    async with aiohttp.ClientSession() as client:
        try:
            async with client.ws_connect(url + "/ws?width=80&height=24", origin=origin, headers=headers) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def test_serve_web_refuses_sockets_from_foreign_pages_and_names(tmp_path):
    """Cross-site websocket hijacking and DNS rebinding: only this server's own pages (and the
    operator's --allow-origin) may open a console, and only under this server's name."""
    web = WebServer(tmp_path, "--allow-origin", "https://walkthrough.example")
    try:
        own = f"127.0.0.1:{web.port}"
        assert await handshake_status(web.url, origin=web.url) == 101
        assert await handshake_status(web.url, origin=f"http://localhost:{web.port}") == 101
        assert await handshake_status(web.url, origin="https://walkthrough.example") == 101
        assert await handshake_status(web.url, origin="https://evil.example") == 403
        assert await handshake_status(web.url, origin="null") == 403
        assert await handshake_status(web.url, origin=f"http://127.0.0.1:{web.port + 1}") == 403
        assert await handshake_status(web.url, origin=None) == 403
        assert await handshake_status(web.url, origin=f"http://rebound.example:{web.port}",
                                      host=f"rebound.example:{web.port}") == 403
        async with aiohttp.ClientSession() as client:
            async with client.get(web.url + "/", headers={"Host": f"rebound.example:{web.port}"}) as page:
                assert page.status == 403
            async with client.get(web.url + "/", headers={"Host": own}) as page:
                assert page.status == 200
    finally:
        web.stop()
    log = web.log_path.read_text()
    assert "reason=websocket from foreign Origin 'https://evil.example'" in log
    assert "reason=websocket without an Origin" in log
    assert f"reason=foreign Host 'rebound.example:{web.port}'" in log
    assert log.count("tab start") == 3


def audit_sources(db) -> list[str]:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return [row[0] for row in conn.execute("SELECT source FROM audit_event ORDER BY id")]
    except sqlite3.OperationalError:  # not created or not migrated yet
        return []


async def sign_in_once(url: str, db, *, local: str, forwarded_for: str | None = None) -> None:
    """One tab from address ``local``: a wrong password for a name that does not exist, until
    the audit trail has its event."""
    before = len(audit_sources(db))
    connector = aiohttp.TCPConnector(local_addr=(local, 0))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with aiohttp.ClientSession(connector=connector) as client:
        async with client.ws_connect(url + "/ws?width=80&height=24", origin=url, headers=headers) as ws:
            await console_output_until(ws, "Sign in to your account")
            await ws.send_str(json.dumps(["stdin", "nobody\tnot-the-password\r"]))
            deadline = time.monotonic() + 30
            while len(audit_sources(db)) == before:
                assert time.monotonic() < deadline, "the failed sign-in never reached the audit trail"
                await asyncio.sleep(0.2)


async def test_each_tab_records_its_own_client_as_the_source(tmp_path):
    """Each tab's console counts failures against its own client, not one source shared by every
    tab; X-Forwarded-For is believed only from --trusted-proxy."""
    data = tmp_path / "data"
    web = WebServer(tmp_path, "--console", "--data-dir", str(data), "--trusted-proxy", "127.0.0.1")
    try:
        db = data / "secconsole.db"
        await sign_in_once(web.url, db, local="127.0.0.2", forwarded_for="198.51.100.7")  # not the proxy
        await sign_in_once(web.url, db, local="127.0.0.3")
        await sign_in_once(web.url, db, local="127.0.0.1", forwarded_for="192.0.2.1, 203.0.113.9")  # the proxy
    finally:
        web.stop()
    assert audit_sources(db) == ["web 127.0.0.2", "web 127.0.0.3", "web 203.0.113.9"]
    assert "client=203.0.113.9" in web.log_path.read_text()


def test_serve_web_refuses_bad_origin_and_proxy_options(tmp_path):
    for option in (["--allow-origin", "evil.example"], ["--allow-origin", "https://a.example/path"],
                   ["--trusted-proxy", "proxy.example"], ["--public-url", "ftp://a.example"]):
        run = subprocess.run([sys.executable, "-m", "secconsole", "serve-web", "--port", str(free_port()), *option],
                             capture_output=True, text=True, timeout=30)
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
        assert option[0] in run.stderr and option[1] in run.stderr


async def test_serve_web_caps_open_tabs(tmp_path):
    web = WebServer(tmp_path, "--max-sessions", "1")
    try:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(web.url + "/ws?width=80&height=24", origin=web.url) as first:
                await console_output_until(first, "Sign in to your account")
                async with client.ws_connect(web.url + "/ws?width=80&height=24", origin=web.url) as second:
                    message = await second.receive(timeout=10)
                    assert message.type == aiohttp.WSMsgType.CLOSE and "too many tabs" in message.extra
    finally:
        web.stop()


def test_serve_web_warns_when_it_leaves_loopback(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "secconsole", "serve-web", "--host", "0.0.0.0", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert "not loopback" in err and "no sign-in" in err


class Chromium:
    """Headless Chromium driven over its DevTools protocol."""

    def __init__(self, tmp_path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={self.port}",
             f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1000,700", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.ids = iter(range(1, 10_000))

    async def connect(self, client):
        targets = None
        deadline = time.monotonic() + 30
        while targets is None:
            try:
                async with client.get(f"http://127.0.0.1:{self.port}/json/list") as answer:
                    targets = [t for t in await answer.json() if t["type"] == "page"]
            except aiohttp.ClientError:
                assert time.monotonic() < deadline, "Chromium's DevTools never answered"
                await asyncio.sleep(0.2)
        self.devtools = await client.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0)
        return self

    async def call(self, method: str, **params) -> int:
        number = next(self.ids)
        await self.devtools.send_json({"id": number, "method": method, "params": params})
        return number

    async def result(self, number: int) -> dict:
        while True:
            event = await self.devtools.receive_json(timeout=30)
            if event.get("id") == number:
                return event["result"]

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install -y chromium)")
async def test_headless_chromium_on_a_foreign_page_gets_no_console(web, tmp_path):
    """The attack itself: a page from another origin, in a real browser, opens a websocket to the
    loopback console. The server refuses the upgrade; the page sees the socket fail."""
    from aiohttp import web as aioweb

    attack = (f"<script>const ws = new WebSocket('ws://127.0.0.1:{web.port}/ws?width=80&height=24');"
              "ws.onopen = () => document.title = 'opened'; ws.onerror = () => document.title = 'refused';</script>")
    async def page(request):
        return aioweb.Response(text=attack, content_type="text/html")

    app = aioweb.Application()
    app.router.add_get("/", page)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    port = free_port()
    await aioweb.TCPSite(runner, "127.0.0.1", port).start()
    browser = Chromium(tmp_path)
    try:
        async with aiohttp.ClientSession() as client:
            await browser.connect(client)
            await browser.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
            deadline = time.monotonic() + 30
            title = ""
            while title not in ("opened", "refused"):
                assert time.monotonic() < deadline, "the page's socket neither opened nor failed"
                await asyncio.sleep(0.2)
                answer = await browser.result(await browser.call("Runtime.evaluate", expression="document.title"))
                title = answer["result"].get("value", "")
            assert title == "refused"
    finally:
        browser.close()
        await runner.cleanup()
    log = web.log_path.read_text()
    assert f"reason=websocket from foreign Origin 'http://127.0.0.1:{port}'" in log and "tab start" not in log


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install -y chromium)")
async def test_headless_chromium_shows_the_console(web, tmp_path):
    """Chromium loads the page, runs its script and receives the sign-in screen over its
    websocket (read off the DevTools protocol), and paints it (a screenshot is kept). The page's
    own socket passes the origin check."""
    browser = Chromium(tmp_path)
    try:
        async with aiohttp.ClientSession() as client:
            await browser.connect(client)
            await browser.call("Network.enable")
            await browser.call("Page.navigate", url=web.url + "/")
            frames = b""
            deadline = time.monotonic() + 60
            while flatten("Sign in to your account") not in flatten(frames.decode(errors="replace")):
                assert time.monotonic() < deadline, f"no sign-in screen reached the page: {frames[-300:]!r}"
                event = await browser.devtools.receive_json(timeout=60)
                if event.get("method") == "Network.webSocketFrameReceived":
                    response = event["params"]["response"]
                    payload = response["payloadData"]
                    frames += base64.b64decode(payload) if response["opcode"] == 2 else payload.encode()
            await asyncio.sleep(1)
            shot = await browser.result(await browser.call("Page.captureScreenshot", format="png"))
            png = base64.b64decode(shot["data"])
            (tmp_path / "serve-web.png").write_bytes(png)
            assert png.startswith(b"\x89PNG") and len(png) > 10_000  # a painted page, not a blank one
    finally:
        browser.close()
    assert "tab start" in web.log_path.read_text()


# -- issue 12, item 19: a titled page that asks no other host for anything ------------------------

_URL_IN_PAGE = re.compile(r"""(?:\b(?:src|href|data-[\w-]*url)\s*=\s*["']|url\(\s*["']?)([^"')\s]+)""", re.I)


def foreign_urls(html: str, origin: str) -> list[str]:
    """Every URL the page names (src, href, data-*-url, CSS url()) that leads off ``origin``'s host."""
    from urllib.parse import urlsplit

    host = urlsplit(origin).netloc
    found = [u for u in _URL_IN_PAGE.findall(html) if not u.startswith(("data:", "#", "{{"))]
    found += re.findall(r"@import\s+[\"']([^\"']+)", html)
    return [u for u in found if urlsplit(u).netloc not in ("", host)]


def test_foreign_urls_finds_a_cdn_link():
    page = ('<link rel="stylesheet" href="https://fonts.example/css?family=X" /><script src="/static/a.js">'
            "</script><style>x { background: url('http://127.0.0.1:9/i.png') } @font-face { src: "
            "url(https://cdn.example/f.ttf) }</style><div data-session-websocket-url=\"ws://127.0.0.1:9/ws\">")
    assert foreign_urls(page, "http://127.0.0.1:9") == ["https://fonts.example/css?family=X",
                                                         "https://cdn.example/f.ttf"]


async def test_the_page_has_a_title_and_names_no_other_host(web):
    async with aiohttp.ClientSession() as client:
        async with client.get(web.url + "/") as page:
            html = await page.text()
        assert re.search(r"<title>\s*secconsole\s*</title>", html)
        assert foreign_urls(html, web.url) == []
        # What it names instead is served here: the font the CDN used to give.
        fonts = re.findall(r"url\(\"([^\"]+\.ttf)\"\)", html)
        assert fonts
        for font in fonts:
            async with client.get(font) as answer:
                assert answer.status == 200 and len(await answer.read()) > 10_000


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install -y chromium)")
async def test_headless_chromium_titles_the_tab_and_asks_no_other_host(web, tmp_path):
    """Every request the loaded page makes (Chromium's network log) goes to the server itself."""
    from urllib.parse import urlsplit

    browser = Chromium(tmp_path)
    requested: list[str] = []
    try:
        async with aiohttp.ClientSession() as client:
            await browser.connect(client)
            await browser.call("Network.enable")
            await browser.call("Page.enable")
            await browser.call("Page.navigate", url=web.url + "/")
            deadline = time.monotonic() + 60
            painted = False
            while not painted:
                assert time.monotonic() < deadline, f"the console never reached the page; asked for {requested}"
                event = await browser.devtools.receive_json(timeout=60)
                method = event.get("method")
                if method in ("Network.requestWillBeSent", "Network.webSocketCreated"):
                    requested.append(event["params"].get("request", {}).get("url") or event["params"]["url"])
                elif method == "Network.webSocketFrameReceived":
                    payload = event["params"]["response"]["payloadData"]
                    painted = "Sign in" in (base64.b64decode(payload).decode(errors="replace")
                                           if event["params"]["response"]["opcode"] == 2 else payload)
            await asyncio.sleep(1)  # fonts and images asked for after the first frame
            while True:
                try:
                    event = await browser.devtools.receive_json(timeout=0.5)
                except asyncio.TimeoutError:
                    break
                if event.get("method") in ("Network.requestWillBeSent", "Network.webSocketCreated"):
                    requested.append(event["params"].get("request", {}).get("url") or event["params"]["url"])
            title = await browser.result(await browser.call("Runtime.evaluate", expression="document.title"))
            assert title["result"]["value"] == "secconsole"
    finally:
        browser.close()
    host = urlsplit(web.url).netloc
    assert requested and all(urlsplit(u).netloc == host for u in requested if not u.startswith("data:")), requested
