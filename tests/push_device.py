"""A scripted companion app, written only from docs/push-protocol.md (it imports nothing of
secconsole): it pairs from a link or an address and code, signs every request, long-polls for
prompts, checks the server's signature on each, and answers with number matching.

Plain HTTP with urllib; keys with the cryptography package (standing in for a phone's keystore)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canon(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Reply:
    status: int
    body: dict


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         context: ssl.SSLContext | None = None, timeout: float = 40) -> Reply:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return Reply(response.status, json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return Reply(exc.code, json.loads(raw) if raw else {})


class UntrustedPrompt(Exception):
    """A prompt whose server signature does not verify: the app shows nothing of it."""


class Keys:
    """One key pair per pairing: ``ed25519`` or ``p256``."""

    def __init__(self, alg: str = "ed25519") -> None:
        self.alg = alg
        if alg == "ed25519":
            self.key = ed25519.Ed25519PrivateKey.generate()
            self.public = b64u(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            self.public = b64u(self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))

    def sign(self, message: bytes) -> str:
        if self.alg == "ed25519":
            return b64u(self.key.sign(message))
        r, s = decode_dss_signature(self.key.sign(message, ec.ECDSA(hashes.SHA256())))
        return b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def parse_link(link: str) -> tuple[str, str]:
    """``secconsole-push://pair?v=1&url=...&code=...`` -> (API base URL, code)."""
    parts = urlsplit(link)
    assert parts.scheme == "secconsole-push" and parts.netloc == "pair", link
    query = parse_qs(parts.query)
    assert query["v"] == ["1"], link
    return unquote(query["url"][0]), query["code"][0]


class ScriptedDevice:
    """A paired device. ``ScriptedDevice.pair(link=...)`` or ``pair(url=..., code=...)``."""

    def __init__(self, url: str, keys: Keys, paired: dict, context: ssl.SSLContext | None = None) -> None:
        self.url, self.keys, self.context = url.rstrip("/"), keys, context
        self.id, self.account = paired["device_id"], paired["account"]
        self.server_key = paired["server_key"]
        assert paired["server_alg"] == "ed25519"

    @classmethod
    def try_pair(cls, *, link: str | None = None, url: str | None = None, code: str | None = None,
                 name: str = "Pixel 8", alg: str = "ed25519", context=None) -> tuple[Reply, ScriptedDevice | None]:
        if link is not None:
            url, code = parse_link(link)
        keys = Keys(alg)
        body = json.dumps({"code": code, "name": name, "alg": alg, "public_key": keys.public}).encode()
        reply = http("POST", url.rstrip("/") + "/v1/pair", body, context=context)
        return reply, (cls(url, keys, reply.body, context) if reply.status == 201 else None)

    @classmethod
    def pair(cls, **kwargs) -> ScriptedDevice:
        reply, device = cls.try_pair(**kwargs)
        assert reply.status == 201, reply
        return device

    # -- signed requests ---------------------------------------------------------------------

    def headers(self, method: str, path: str, body: bytes, *, timestamp: int | None = None,
                nonce: str | None = None) -> dict:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or b64u(secrets.token_bytes(16))
        message = "\n".join(("SECCONSOLE-PUSH-V1", method, path, stamp, nonce,
                             hashlib.sha256(body).hexdigest())).encode()
        return {"X-Device": self.id, "X-Timestamp": stamp, "X-Nonce": nonce, "X-Signature": self.keys.sign(message)}

    def request(self, method: str, path: str, payload: dict | None = None, *, headers: dict | None = None,
                **signing) -> Reply:
        """A signed request; ``headers`` replaces the signed ones (a replay, a forgery)."""
        body = b"" if payload is None else json.dumps(payload).encode()
        sent = headers or self.headers(method, path, body, **signing)
        return http(method, self.url + path, body if payload is not None else None, sent, self.context)

    # -- what the app does -------------------------------------------------------------------

    def prompts(self, wait: int = 0) -> list[dict]:
        """Pending prompts (long-polled up to ``wait`` s), each checked against the server key."""
        reply = self.request("GET", f"/v1/prompts?wait={wait}")
        assert reply.status == 200, reply
        for prompt in reply.body["prompts"]:
            self.check(prompt)
        return reply.body["prompts"]

    def check(self, prompt: dict) -> None:
        body = {k: v for k, v in prompt.items() if k != "server_signature"}
        key = ed25519.Ed25519PublicKey.from_public_bytes(unb64u(self.server_key))
        try:
            key.verify(unb64u(prompt["server_signature"]), canon(body))
        except (InvalidSignature, ValueError):
            raise UntrustedPrompt(prompt.get("id")) from None

    def answer(self, prompt: dict, decision: str, number: int | None = None) -> Reply:
        payload = {"decision": decision} if number is None else {"decision": decision, "number": number}
        return self.request("POST", f"/v1/prompts/{prompt['id']}/answer", payload)

    def info(self) -> Reply:
        return self.request("GET", "/v1/device")

    def set_notifications(self, on: bool) -> Reply:
        return self.request("POST", "/v1/device", {"notifications": on})

    def unpair(self) -> Reply:
        return self.request("DELETE", "/v1/device")
