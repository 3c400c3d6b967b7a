"""`secconsole serve-web` in its own process: the page, and a console over its websocket, as a
browser gets them (aiohttp's client speaking the page's protocol; headless Chromium when present)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
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
        async with client.ws_connect(web.url + "/ws?width=80&height=24") as ws:
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


async def test_serve_web_caps_open_tabs(tmp_path):
    web = WebServer(tmp_path, "--max-sessions", "1")
    try:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(web.url + "/ws?width=80&height=24") as first:
                await console_output_until(first, "Sign in to your account")
                async with client.ws_connect(web.url + "/ws?width=80&height=24") as second:
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


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install -y chromium)")
async def test_headless_chromium_shows_the_console(web, tmp_path):
    """Chromium loads the page, runs its script and receives the sign-in screen over its
    websocket (read off the DevTools protocol), and paints it (a screenshot is kept)."""
    port = free_port()
    browser = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
         f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1000,700", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as client:
            targets = None
            deadline = time.monotonic() + 30
            while targets is None:
                try:
                    async with client.get(f"http://127.0.0.1:{port}/json/list") as answer:
                        targets = [t for t in await answer.json() if t["type"] == "page"]
                except aiohttp.ClientError:
                    assert time.monotonic() < deadline, "Chromium's DevTools never answered"
                    await asyncio.sleep(0.2)
            async with client.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as devtools:
                ids = iter(range(1, 10_000))

                async def call(method: str, **params) -> int:
                    number = next(ids)
                    await devtools.send_json({"id": number, "method": method, "params": params})
                    return number

                await call("Network.enable")
                await call("Page.navigate", url=web.url + "/")
                frames = b""
                deadline = time.monotonic() + 60
                while flatten("Sign in to your account") not in flatten(frames.decode(errors="replace")):
                    assert time.monotonic() < deadline, f"no sign-in screen reached the page: {frames[-300:]!r}"
                    event = await devtools.receive_json(timeout=60)
                    if event.get("method") == "Network.webSocketFrameReceived":
                        response = event["params"]["response"]
                        payload = response["payloadData"]
                        frames += base64.b64decode(payload) if response["opcode"] == 2 else payload.encode()
                await asyncio.sleep(1)
                shot = await call("Page.captureScreenshot", format="png")
                while True:
                    event = await devtools.receive_json(timeout=30)
                    if event.get("id") == shot:
                        break
                png = base64.b64decode(event["result"]["data"])
                (tmp_path / "serve-web.png").write_bytes(png)
                assert png.startswith(b"\x89PNG") and len(png) > 10_000  # a painted page, not a blank one
    finally:
        browser.kill()
        browser.wait(10)
