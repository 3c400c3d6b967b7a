"""The push protocol's formats and signatures (docs/push-protocol.md): what the API checks and
signs, and nothing about storage. A device's keys are Ed25519 or ECDSA P-256; the server's key is
Ed25519."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from urllib.parse import quote

VERSION = "SECCONSOLE-PUSH-V1"
ALGS = ("ed25519", "p256")
#: Crockford's base32: no I, L, O or U, so a code read aloud or typed is not misread.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READS_AS = {"I": "1", "L": "1", "O": "0", "U": "V"}
PAIRING_CODE_LENGTH = 12
#: How far a device's clock may be from ours, and so how long a nonce must be remembered.
CLOCK_SKEW_SECONDS = 60
MIN_NONCE_BYTES = 16


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    """The bytes of ``b64u`` text; ValueError for anything else."""
    if not isinstance(text, str) or not text or any(c not in _B64U for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64U = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def canon(obj) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes both sides sign."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def request_string(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a device signs for each request."""
    return "\n".join((VERSION, method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest())).encode()


# -- device keys --------------------------------------------------------------------------------


def check_public_key(alg: str, public_key: str) -> bytes:
    """The raw public key, if it is one of ``alg``; ValueError naming what is wrong."""
    if alg not in ALGS:
        raise ValueError(f"alg must be one of {', '.join(ALGS)}")
    raw = unb64u(public_key)
    _load_public(alg, raw)
    return raw


def _load_public(alg: str, raw: bytes):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if alg == "ed25519":
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key has 32 bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("a P-256 public key is the 65-byte uncompressed point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise ValueError("not a point on the P-256 curve") from None


def device_signature_ok(alg: str, public_key: bytes, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (b64u) is the device's over ``message``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        sig = unb64u(signature)
        key = _load_public(alg, public_key)
        if alg == "ed25519":
            key.verify(sig, message)
        else:
            if len(sig) != 64:
                return False
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


# -- the server's key ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerKey:
    """The server's Ed25519 key (kept sealed in the database by the push service)."""

    private: bytes

    @classmethod
    def new(cls) -> ServerKey:
        from cryptography.hazmat.primitives.asymmetric import ed25519
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        key = ed25519.Ed25519PrivateKey.generate()
        return cls(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

    def _key(self):
        from cryptography.hazmat.primitives.asymmetric import ed25519

        return ed25519.Ed25519PrivateKey.from_private_bytes(self.private)

    @property
    def public(self) -> str:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return b64u(self._key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, obj: dict) -> dict:
        """``obj`` with its ``server_signature`` over ``canon(obj)``."""
        body = {k: v for k, v in obj.items() if k != "server_signature"}
        return {**body, "server_signature": b64u(self._key().sign(canon(body)))}


def server_signature_ok(server_key: str, signed: dict) -> bool:
    """What a device checks on each prompt."""
    body = {k: v for k, v in signed.items() if k != "server_signature"}
    return device_signature_ok("ed25519", unb64u(server_key), canon(body), signed.get("server_signature", ""))


# -- pairing codes and prompt numbers -----------------------------------------------------------


def new_pairing_code() -> str:
    return "".join(secrets.choice(_CROCKFORD) for _ in range(PAIRING_CODE_LENGTH))


def grouped_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normal_code(text: str) -> str:
    """A pairing code as typed: dashes, spaces and case do not matter; I and L read as 1, O as 0."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    return "".join(_READS_AS.get(c, c) for c in cleaned)


def pairing_link(api_url: str, code: str) -> str:
    return f"secconsole-push://pair?v=1&url={quote(api_url, safe='')}&code={code}"


@dataclass(frozen=True)
class Numbers:
    """The number the console shows, and what the device offers (``pick``: three, one right;
    ``type``: none, the person types it)."""

    shown: int
    offered: tuple[int, ...]
    entry: str


def prompt_numbers(entry: str) -> Numbers:
    shown = 10 + secrets.randbelow(90)
    if entry == "type":
        return Numbers(shown, (), entry)
    others: set[int] = set()
    while len(others) < 2:
        n = 10 + secrets.randbelow(90)
        if n != shown:
            others.add(n)
    return Numbers(shown, tuple(sorted({shown, *others})), "pick")
