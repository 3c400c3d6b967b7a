"""The authenticator's export file, for a new phone: its entries encrypted with a passphrase.

Format, version 1 (all integers big-endian)::

    b"SCPHOTP" | version (1 byte) | kdf (1 byte) | kdf parameters (6 bytes) | salt (16) | nonce (12)
    | AES-256-GCM ciphertext of the JSON entries, with everything before it as associated data

kdf 1 is Argon2id (memory KiB: 4 bytes, iterations: 1, lanes: 1), kdf 2 is scrypt (log2 n: 1,
r: 1, p: 1, unused: 3), for a `cryptography` older than 44 (no Argon2id). The header is
authenticated, so changing any byte of the file fails the same way as a wrong passphrase."""

from __future__ import annotations

import json
import os
import struct
import unicodedata

from secconsole.phone.authenticator import AuthenticatorError

MIN_PASSPHRASE = 12
PASSPHRASE_RULE = f"A passphrase has at least {MIN_PASSPHRASE} characters: a few unrelated words work well."
MAGIC = b"SCPHOTP"
VERSION = 1
KDF_ARGON2ID, KDF_SCRYPT = 1, 2
#: OWASP's Argon2id profile (the console hashes passwords with it too), ~0.1 s here.
ARGON2 = {"memory_cost": 19_456, "iterations": 2, "lanes": 1}
SCRYPT = {"log_n": 15, "r": 8, "p": 1}
#: The most memory a file may make this phone spend deriving its key (a hostile file asks for more).
MAX_KDF_KIB = 256 * 1024
_HEADER = struct.Struct(">7sBB6s16s12s")
EXPORT_FORMAT = "secconsole-authenticator-export"
WRONG_OR_DAMAGED = ("The passphrase is wrong, or the file was changed or damaged: nothing was imported.")
NOT_AN_EXPORT = "This is not an authenticator export from secconsole phone."


def check_passphrase(passphrase: str) -> None:
    if len(_normal(passphrase)) < MIN_PASSPHRASE:
        raise AuthenticatorError(f"That passphrase is too short. {PASSPHRASE_RULE}")


def _normal(passphrase: str) -> str:
    """The same passphrase typed on another keyboard (composed or not) is the same key."""
    return unicodedata.normalize("NFC", passphrase)


def _has_argon2() -> bool:
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: F401
    except ImportError:  # cryptography < 44
        return False
    return True


def _derive(passphrase: str, kdf: int, params: bytes, salt: bytes) -> bytes:
    secret = _normal(passphrase).encode()
    if kdf == KDF_ARGON2ID:
        memory, iterations, lanes = struct.unpack(">IBB", params)
        if not (8 * lanes <= memory <= MAX_KDF_KIB and 1 <= iterations <= 10 and 1 <= lanes <= 8):
            raise AuthenticatorError(NOT_AN_EXPORT)
        if not _has_argon2():
            raise AuthenticatorError("This file needs Argon2id: upgrade the `cryptography` package (44 or later).")
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        return Argon2id(salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory).derive(secret)
    if kdf == KDF_SCRYPT:
        log_n, r, p = struct.unpack(">BBB3x", params)
        if not (10 <= log_n <= 24 and 1 <= r <= 16 and 1 <= p <= 4 and (128 * r << log_n) // 1024 <= MAX_KDF_KIB):
            raise AuthenticatorError(NOT_AN_EXPORT)
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        return Scrypt(salt=salt, length=32, n=1 << log_n, r=r, p=p).derive(secret)
    raise AuthenticatorError(NOT_AN_EXPORT)


def seal(entries: list[dict], passphrase: str, *, kdf: int | None = None) -> bytes:
    """An export file holding ``entries`` (each an entry's fields), encrypted with ``passphrase``."""
    kdf = kdf or (KDF_ARGON2ID if _has_argon2() else KDF_SCRYPT)
    params = (struct.pack(">IBB", ARGON2["memory_cost"], ARGON2["iterations"], ARGON2["lanes"])
              if kdf == KDF_ARGON2ID else struct.pack(">BBB3x", SCRYPT["log_n"], SCRYPT["r"], SCRYPT["p"]))
    salt, nonce = os.urandom(16), os.urandom(12)
    header = _HEADER.pack(MAGIC, VERSION, kdf, params, salt, nonce)
    body = json.dumps({"format": EXPORT_FORMAT, "entries": entries}).encode()
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return header + AESGCM(_derive(passphrase, kdf, params, salt)).encrypt(nonce, body, header)


def open_sealed(data: bytes, passphrase: str) -> list:
    """The entries' fields an export holds (unchecked: the authenticator checks each); a clear
    message for a wrong passphrase, a changed byte or a file that is not an export."""
    if not passphrase:
        raise AuthenticatorError("Type the passphrase the file was exported with.")
    if len(data) < _HEADER.size or not data.startswith(MAGIC):
        raise AuthenticatorError(NOT_AN_EXPORT)
    magic, version, kdf, params, salt, nonce = _HEADER.unpack_from(data)
    if version != VERSION:
        raise AuthenticatorError(f"This export is format {version}; this phone reads format {VERSION}: "
                                 "update secconsole here first.")
    key = _derive(passphrase, kdf, params, salt)
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = data[: _HEADER.size]
    try:
        body = json.loads(AESGCM(key).decrypt(nonce, data[_HEADER.size:], header))
    except InvalidTag:
        raise AuthenticatorError(WRONG_OR_DAMAGED) from None
    if not isinstance(body, dict) or body.get("format") != EXPORT_FORMAT or not isinstance(body.get("entries"), list):
        raise AuthenticatorError(NOT_AN_EXPORT)
    return body["entries"]
