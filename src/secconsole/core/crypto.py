"""Secrets at rest: a key file (0600) and AES-GCM boxes bound to their purpose."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from secconsole.errors import KeyFileError

KEY_BYTES = 32
_VERSION = b"\x01"
_NONCE_BYTES = 12


def fingerprint(key: bytes) -> str:
    """A short public name for a key, stored beside the data it protects."""
    return hashlib.sha256(b"secconsole key fingerprint\x00" + key).hexdigest()[:16]


def read_key(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"The key file {path} does not exist.") from None
    except OSError as exc:
        raise KeyFileError(f"The key file {path} cannot be read: {exc.strerror}.") from None
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"The key file {path} is damaged: it does not hold a {KEY_BYTES}-byte key.")
    return key


def create_key(path: Path) -> bytes:
    """Write a fresh key with mode 0600; never overwrites an existing file."""
    key = os.urandom(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


def load_key(path: Path, expected_fingerprint: str | None) -> bytes:
    """The key for a database that remembers ``expected_fingerprint`` (None: it has no secrets yet).

    A missing key is created only when the database has never had one: regenerating it over
    existing data would make every stored secret unreadable without saying so.
    """
    if expected_fingerprint is None:
        return read_key(path) if path.exists() else create_key(path)
    if not path.exists():
        raise KeyFileError(
            f"The key file {path} is missing, but this database holds secrets encrypted with key "
            f"{expected_fingerprint}. Restore the file or point SECCONSOLE_KEY_FILE at it; "
            "a new key would make those secrets unreadable."
        )
    key = read_key(path)
    if fingerprint(key) != expected_fingerprint:
        raise KeyFileError(
            f"The key file {path} holds key {fingerprint(key)}, but this database was encrypted with "
            f"key {expected_fingerprint}. Point SECCONSOLE_KEY_FILE at the right file."
        )
    return key


class SecretBox:
    """AES-256-GCM. The purpose (e.g. ``b"totp:42"``) is authenticated, so a ciphertext
    copied to another row or use fails to open."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        self._key = key

    def digest(self, data: bytes, purpose: bytes) -> str:
        """A keyed hash (HMAC-SHA256) for values we compare but never keep, e.g. an identity record."""
        import hmac

        return hmac.new(self._key, purpose + b"\x00" + data, hashlib.sha256).hexdigest()

    def seal(self, plaintext: bytes, purpose: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, purpose)

    def open(self, sealed: bytes, purpose: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        if len(sealed) < 1 + _NONCE_BYTES + 16 or sealed[:1] != _VERSION:
            raise KeyFileError("A stored secret is damaged and cannot be read.")
        nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, purpose)
        except InvalidTag:
            raise KeyFileError("A stored secret is damaged or was encrypted with another key.") from None
