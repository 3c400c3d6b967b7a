"""The phone's side of the push protocol (docs/push-protocol.md), over HTTP with aiohttp.

Pairing from a pasted ``secconsole-push://pair?...`` link or a pasted code and the server's URL,
requests signed as the page says (timestamp from the injected clock, a fresh 16-byte nonce, the
device's Ed25519 signature over the request string), long-polled prompts each checked against the
server's key, answers, the device's notifications switch and sign-out. Every refusal the page names
becomes a `PhoneError` with a sentence for a person. No Textual here."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

from secconsole.core import push_protocol as proto
from secconsole.core.clock import Clock, SystemClock
from secconsole.forwarded import is_loopback
from secconsole.phone.profile import Account

#: What each error code of the protocol page means to the person holding the phone.
MESSAGES = {
    "pairing_code_invalid": "That pairing code is used, expired or mistyped: show a new one on the console "
                            "(Settings › Mobile app prompt) and try again.",
    "too_many_requests": "Too many pairing attempts from here: wait a minute, then try again.",
    "bad_public_key": "The server refused this phone's key.",
    "stale_timestamp": "This phone's clock is more than a minute off the server's: set the time right and try again.",
    "bad_nonce": "The server refused the request's nonce: try again.",
    "nonce_reused": "The server saw this request before (a replay): try again.",
    "bad_signature": "The server did not accept this phone's signature: pair the account again.",
    "device_removed": "This phone was removed from the account (signed out, or removed in Settings): "
                      "pair again to get prompts.",
    "already_decided": "Another device answered this prompt first.",
    "expired": "Too late: the prompt expired.",
    "no_such_prompt": "That prompt is gone.",
    "bad_json": "The server could not read the request (bad JSON).",
    "bad_request": "The server refused the request as malformed.",
    "too_large": "The request was too large for the server.",
    "not_found": "There is no push API at that address.",
    "unavailable": "The server cannot answer right now: try again shortly.",
}
POLL_WAIT = 25


class PhoneError(Exception):
    """A refusal or a failure, with a sentence for a person; ``code`` is the protocol's error code."""

    def __init__(self, message: str, code: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.code, self.status = code, status


class UntrustedPrompt(PhoneError):
    """A prompt whose server signature does not verify with the key received at pairing."""


@dataclass(frozen=True)
class Prompt:
    id: str
    account: str
    purpose: str
    for_what: str
    source: str
    host: str
    created: int
    expires: int
    numbers: tuple[int, ...]
    entry: str
    paired: Account = field(compare=False, repr=False)

    @property
    def what(self) -> str:
        if self.purpose == "step-up":
            return f"Confirm it's you for {self.for_what}" if self.for_what else "Confirm it's you"
        return f"Sign-in request: {self.for_what}" if self.for_what else "Sign-in request"

    @classmethod
    def from_wire(cls, d: dict, paired: Account) -> Prompt:
        try:
            numbers = tuple(int(n) for n in d.get("numbers", []))
            return cls(str(d["id"]), str(d["account"]), str(d["purpose"]), str(d.get("for", "")),
                       str(d.get("source", "")), str(d.get("host", "")), int(d["created"]), int(d["expires"]),
                       numbers, str(d["entry"]), paired)
        except (KeyError, TypeError, ValueError):
            raise UntrustedPrompt("The server sent a prompt this phone cannot read; it is not shown.") from None


# -- pairing input -------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """An API base URL the phone may use: https, or plain http on a loopback address only."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PhoneError(f"Not a server address: {url!r} (e.g. https://push.example.com).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise PhoneError("Plain http is only for a loopback address (127.0.0.1, ::1, localhost): use https.")
    return url


def parse_pairing(text: str, url: str = "") -> tuple[str, str]:
    """(API URL, pairing code) from a pasted link, or from a pasted code and the URL typed."""
    text = text.strip()
    if text.lower().startswith("secconsole-push:"):
        parts = urlsplit(text)
        query = parse_qs(parts.query)
        if parts.netloc != "pair" or query.get("v") != ["1"] or "url" not in query or "code" not in query:
            raise PhoneError("That link is not a secconsole pairing link of version 1.")
        url, text = query["url"][0], query["code"][0]
    else:  # the code and the address as the console shows them ("7KQ4-M2XD-9WRT server http://...")
        words = text.split()
        given = [w for w in words if w.lower().startswith(("http://", "https://"))]
        if given:
            url = url.strip() or given[0]
            text = "".join(w for w in words if w not in given and w.lower() != "server")
    if not url.strip():
        raise PhoneError("Type the server's address too (the console shows it with the code), or paste the link.")
    code = proto.normal_code(text)
    if len(code) != proto.PAIRING_CODE_LENGTH or any(c not in proto._CROCKFORD for c in code):
        raise PhoneError("A pairing code has 12 letters and digits, e.g. 7KQ4-M2XD-9WRT.")
    return check_url(url), code


# -- the client ----------------------------------------------------------------------------------


def _new_key() -> tuple[str, str]:
    """A new Ed25519 key pair: (private, public), each b64u of the raw bytes."""
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return proto.b64u(private), proto.b64u(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def _sign(private: str, message: bytes) -> str:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        key = ed25519.Ed25519PrivateKey.from_private_bytes(proto.unb64u(private))
    except ValueError:
        raise PhoneError("This account's key in the profile is damaged: sign out (s) and pair again.") from None
    return proto.b64u(key.sign(message))


class PushClient:
    """One HTTP session for all of a profile's accounts. Use ``async with PushClient(clock)``."""

    def __init__(self, clock: Clock | None = None, *, timeout: float = POLL_WAIT + 15) -> None:
        self.clock = clock or SystemClock()
        self.timeout = timeout
        self._session = None

    async def __aenter__(self) -> PushClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self):
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def _send(self, method: str, base: str, path: str, payload: dict | None = None,
                    account: Account | None = None) -> dict:
        """The JSON answer of a 2xx reply; a `PhoneError` for anything else."""
        import asyncio

        import aiohttp
        from yarl import URL

        body = b"" if payload is None else json.dumps(payload).encode()
        target = urlsplit(base).path.rstrip("/") + path
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        if account is not None:
            stamp = str(int(self.clock.now().timestamp()))
            nonce = proto.b64u(secrets.token_bytes(16))
            signature = _sign(account.key, proto.request_string(method, target, stamp, nonce, body))
            headers.update({"X-Device": account.device_id, "X-Timestamp": stamp, "X-Nonce": nonce,
                            "X-Signature": signature})
        parts = urlsplit(base)
        url = URL(f"{parts.scheme}://{parts.netloc}{target}", encoded=True)
        try:
            async with self._http().request(method, url, data=body if payload is not None else None,
                                            headers=headers) as reply:
                raw = await reply.read()
                status = reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise PhoneError(f"Cannot reach {base}: {exc or type(exc).__name__}.") from None
        try:
            answer = json.loads(raw) if raw else {}
            if not isinstance(answer, dict):
                raise ValueError
        except ValueError:
            raise PhoneError(f"{base} did not answer as a secconsole push API (HTTP {status}).", status=status) from None
        if 200 <= status < 300:
            return answer
        code = str(answer.get("error", ""))
        message = MESSAGES.get(code) or str(answer.get("message") or f"The server refused (HTTP {status}).")
        raise PhoneError(message, code, status)

    # -- what the app does ---------------------------------------------------------------------

    async def pair(self, url: str, code: str, device_name: str) -> Account:
        """Pair with a new key; the account as the profile keeps it."""
        private, public = _new_key()
        answer = await self._send("POST", url, "/v1/pair", {"code": code, "name": device_name, "alg": "ed25519",
                                                           "public_key": public})
        try:
            if answer["server_alg"] != "ed25519":
                raise PhoneError(f"The server's key is {answer['server_alg']!r}: this phone only checks ed25519.")
            proto.unb64u(answer["server_key"])
            return Account(name=str(answer["account"]), url=url, device_id=str(answer["device_id"]),
                           server_key=answer["server_key"], key=private, device_name=device_name)
        except (KeyError, TypeError, ValueError):
            raise PhoneError(f"{url} answered the pairing with something this phone cannot read.") from None

    async def prompts(self, account: Account, wait: int = 0) -> tuple[list[Prompt], int]:
        """The account's pending prompts that verify, and how many did not (shown as a warning)."""
        answer = await self._send("GET", account.url, f"/v1/prompts?wait={int(wait)}", account=account)
        listed = answer.get("prompts", [])
        if not isinstance(listed, list):
            raise PhoneError(f"{account.url} answered with prompts this phone cannot read.")
        good, bad = [], 0
        for raw in listed:
            try:
                good.append(self.check(account, raw))
            except UntrustedPrompt:
                bad += 1
        return good, bad

    @staticmethod
    def check(account: Account, raw: dict) -> Prompt:
        """The prompt, if its server signature verifies with the account's stored server key."""
        if not isinstance(raw, dict) or not isinstance(raw.get("server_signature"), str):
            raise UntrustedPrompt("A prompt came without the server's signature; it is not shown.")
        try:
            ok = proto.server_signature_ok(account.server_key, raw)
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise UntrustedPrompt("A prompt did not carry the server's signature: it is not shown. "
                                  "Someone may be between this phone and the server.")
        return Prompt.from_wire(raw, account)

    async def answer(self, prompt: Prompt, decision: str, number: int | None = None) -> str:
        """``approved``, ``denied`` or ``reported``."""
        payload = {"decision": decision} if number is None else {"decision": decision, "number": int(number)}
        path = f"/v1/prompts/{quote(prompt.id, safe='')}/answer"
        answer = await self._send("POST", prompt.paired.url, path, payload, account=prompt.paired)
        return str(answer.get("result", ""))

    async def device(self, account: Account) -> dict:
        return await self._send("GET", account.url, "/v1/device", account=account)

    async def set_notifications(self, account: Account, on: bool) -> dict:
        return await self._send("POST", account.url, "/v1/device", {"notifications": bool(on)}, account=account)

    async def sign_out(self, account: Account) -> None:
        """DELETE /v1/device, then forget the keys (also when the server had removed it already)."""
        try:
            await self._send("DELETE", account.url, "/v1/device", account=account)
        except PhoneError as exc:
            if exc.code != "device_removed":
                raise
        account.sign_out()
