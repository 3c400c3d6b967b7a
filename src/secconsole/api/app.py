"""The push API's routes (docs/push-protocol.md): pairing, long-polled prompts, answers and the
device itself. Signed requests are checked in one place (``signed``) against the raw body bytes
and the path with its query exactly as sent; every refusal is ``{"error", "message"}`` JSON. The
client is the socket's peer, or the X-Forwarded-For client of a ``--trusted-proxy``
(``secconsole.forwarded``): the source of audit events and the key of the pairing limit."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time

from aiohttp import web

from secconsole.core.methods.push import MobilePrompts, PushRefused
from secconsole.errors import SecConsoleError, ValidationError
from secconsole.forwarded import Address, client_address

log = logging.getLogger("secconsole.api")

MAX_BODY = 16 * 1024
MAX_WAIT = 30

PUSH = web.AppKey("push", MobilePrompts)
PROXIES = web.AppKey("trusted_proxies", frozenset)
#: The client's address (``secconsole.forwarded``), set by the ``errors`` middleware.
CLIENT = web.RequestKey("client", str) if hasattr(web, "RequestKey") else "client"  # aiohttp < 3.13: a str


def refusal(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def source_of(request: web.Request) -> str:
    return f"app {request[CLIENT]}"


@web.middleware
async def errors(request: web.Request, handler):
    """Every refusal as JSON: the core's ``PushRefused``, oversized bodies, unknown routes."""
    if (request.content_length or 0) > MAX_BODY:
        return refusal(413, "too_large", f"Request bodies are at most {MAX_BODY // 1024} KiB.")
    try:
        request[CLIENT] = client_address(request.remote, request.headers.get("X-Forwarded-For"),
                                           request.app[PROXIES])
    except ValueError as exc:
        log.warning("refused %s %s from %s: %s", request.method, request.path, request.remote, exc)
        return refusal(400, "bad_forwarded_for", f"The client address is not known: {exc}.")
    try:
        return await handler(request)
    except PushRefused as exc:
        return refusal(exc.status, exc.code, str(exc))
    except web.HTTPRequestEntityTooLarge:
        return refusal(413, "too_large", f"Request bodies are at most {MAX_BODY // 1024} KiB.")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "bad_request")
        return refusal(exc.status, code, exc.reason)
    except ValidationError as exc:
        return refusal(400, "bad_request", str(exc))
    except SecConsoleError as exc:  # a database fault, say: the device may try again
        log.warning("refused %s %s: %s", request.method, request.path, exc)
        return refusal(503, "unavailable", "The server cannot answer now: try again shortly.")
    except Exception:
        log.exception("failed %s %s", request.method, request.path)
        return refusal(500, "internal", "Something went wrong on the server.")


async def core(request: web.Request, method: str, *args, **kwargs):
    """Call a ``DeviceSide`` method in a worker thread."""
    side = request.app[PUSH].device_side
    return await asyncio.to_thread(getattr(side, method), *args, **kwargs)


async def json_body(request: web.Request, raw: bytes | None = None) -> dict:
    raw = await request.read() if raw is None else raw
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PushRefused(400, "bad_json", "The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise PushRefused(400, "bad_json", "The body must be a JSON object.")
    return body


def signed(handler):
    """Refuse (401) unless the request carries a device's valid signature; the handler gets the
    device (detached) and the raw body it signed."""

    @functools.wraps(handler)
    async def check(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        h = request.headers
        device = await core(request, "authenticate", h.get("X-Device", ""), request.method, request.raw_path,
                            h.get("X-Timestamp", ""), h.get("X-Nonce", ""), raw, h.get("X-Signature", ""),
                            source=source_of(request))
        return await handler(request, device, raw)

    return check


async def pair(request: web.Request) -> web.Response:
    """The per-address limit is the core's (in the database, so every API host shares it)."""
    body = await json_body(request)
    fields = {k: body.get(k) for k in ("code", "name", "alg", "public_key")}
    if not all(isinstance(v, str) for v in fields.values()):
        raise PushRefused(400, "bad_request", "code, name, alg and public_key must each be a string.")
    paired = await core(request, "pair", fields["code"], fields["name"], fields["alg"], fields["public_key"],
                        source=source_of(request))
    return web.json_response(paired, status=201)


@signed
async def prompts(request: web.Request, device, raw: bytes) -> web.Response:
    text = request.query.get("wait", "0")
    try:
        wait = min(max(int(text), 0), MAX_WAIT)
    except ValueError:
        raise PushRefused(400, "bad_request", f"wait must be a number of seconds from 0 to {MAX_WAIT}.") from None
    deadline = time.monotonic() + wait
    found = await core(request, "prompts", device)
    if found or not wait:
        return web.json_response({"prompts": found})
    # LISTEN first, then look again, then wait: a prompt committed in between is not missed
    # (PostgreSQL: woken by the NOTIFY of the transaction that made it, on any host; SQLite: polled).
    async with request.app[PUSH].wake.alistener(device.account_id) as listening:
        while True:
            found = await core(request, "prompts", device)
            left = deadline - time.monotonic()
            if found or left <= 0:
                return web.json_response({"prompts": found})
            await listening.wait(left)


@signed
async def answer(request: web.Request, device, raw: bytes) -> web.Response:
    body = await json_body(request, raw)
    decision, number = body.get("decision"), body.get("number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        raise PushRefused(400, "bad_request", "number must be the number picked or typed, e.g. 47.")
    result = await core(request, "answer", device, request.match_info["id"], decision, number,
                        source=source_of(request))
    return web.json_response({"result": result})


@signed
async def device_info(request: web.Request, device, raw: bytes) -> web.Response:
    return web.json_response(await core(request, "info", device))


@signed
async def device_settings(request: web.Request, device, raw: bytes) -> web.Response:
    body = await json_body(request, raw)
    return web.json_response(await core(request, "set_notifications", device, body.get("notifications")))


@signed
async def device_remove(request: web.Request, device, raw: bytes) -> web.Response:
    await core(request, "unpair", device, source=source_of(request))
    return web.json_response({"result": "removed"})


def make_app(push: MobilePrompts, trusted_proxies: frozenset[Address] = frozenset()) -> web.Application:
    app = web.Application(middlewares=[errors], client_max_size=MAX_BODY)
    app[PUSH] = push
    app[PROXIES] = trusted_proxies
    app.router.add_post("/v1/pair", pair)
    app.router.add_get("/v1/prompts", prompts, allow_head=False)
    app.router.add_post("/v1/prompts/{id}/answer", answer)
    app.router.add_get("/v1/device", device_info, allow_head=False)
    app.router.add_post("/v1/device", device_settings)
    app.router.add_delete("/v1/device", device_remove)
    return app
