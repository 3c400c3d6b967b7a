"""A phone for mobile app prompts in tests: a device key made the way a device makes it (the
cryptography package standing in for a phone's keystore), paired through the core, signing its
requests as docs/push-protocol.md says, and answering prompts."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from secconsole.core import push_protocol as proto

API = "http://127.0.0.1:8765"


class Device:
    """A device's key pair, signing as the protocol page says."""

    def __init__(self, alg: str) -> None:
        self.alg = alg
        if alg == "ed25519":
            self.key = ed25519.Ed25519PrivateKey.generate()
            raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            raw = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self.public = proto.b64u(raw)

    def sign(self, message: bytes) -> str:
        if self.alg == "ed25519":
            return proto.b64u(self.key.sign(message))
        r, s = decode_dss_signature(self.key.sign(message, ec.ECDSA(hashes.SHA256())))
        return proto.b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class Phone:
    """A paired device: its key, its id, and requests signed as the protocol says. Pairs with a
    new code unless given the ``code`` a screen shows."""

    def __init__(self, prompts, account_id: int | None = None, name: str = "Pixel 8", alg: str = "ed25519", *,
                 code: str | None = None):
        self.p, self.key = prompts, Device(alg)
        if code is None:
            code = prompts.start_pairing(account_id, API).grouped.lower()
        self.paired = prompts.device_side.pair(code, name, alg, self.key.public, source="phone")
        self.id = self.paired["device_id"]

    def request(self, method: str, path: str, body: bytes = b"", *, stamp=None, nonce=None, sign=None):
        stamp = str(int(self.p.clock.now().timestamp()) if stamp is None else stamp)
        nonce = nonce or proto.b64u(secrets.token_bytes(16))
        signature = sign or self.key.sign(proto.request_string(method, path, stamp, nonce, body))
        return self.p.device_side.authenticate(self.id, method, path, stamp, nonce, body, signature, source="phone")

    def prompts(self) -> list[dict]:
        return self.p.device_side.prompts(self.request("GET", "/v1/prompts?wait=0"))

    def answer(self, prompt: dict, decision: str, number=None) -> str:
        body = json.dumps({"decision": decision, "number": number}).encode()
        device = self.request("POST", f"/v1/prompts/{prompt['id']}/answer", body)
        return self.p.device_side.answer(device, prompt["id"], decision, number, source="phone")

    def approve(self, number: int) -> str:
        """Tap ``number`` (what the person reads off the console) on the one pending prompt."""
        (prompt,) = self.prompts()
        return self.answer(prompt, "approve", number)

    def deny(self) -> str:
        (prompt,) = self.prompts()
        return self.answer(prompt, "deny")


class ApiProcess:
    """``secconsole serve-api`` on a free loopback port, on the test's database and data folder."""

    def __init__(self, config, tmp_path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
        self._log = open(tmp_path / f"serve-api-{time.monotonic_ns()}.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "secconsole", "serve-api", "--db", config.db_url, "--data-dir",
             str(config.data_dir), "--port", "0", *extra],
            stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        self.banner = self.proc.stdout.readline().strip()
        assert self.banner.startswith("Serving the push API on "), self.banner
        self.url = self.banner.rsplit(" ", 1)[1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(15) == 0
        self._log.close()


def report_a_prompt(services, username: str = "alice") -> None:
    """Someone with the password sent a prompt; the owner's newly paired phone answered "It
    wasn't me" (the account must now change its password). A minute passes."""
    push = services.push()
    account = services.accounts.get(username)
    phone = Phone(push, account.id)
    push.begin(account.id, source="ssh 203.0.113.9")
    (prompt,) = phone.prompts()
    assert phone.answer(prompt, "report") == "reported"
    services.clock.advance(minutes=1)


# -- fixtures shared by the push API's e2e suites (import them by name) ------------------------


@pytest.fixture
def push(services):
    return services.push()


@pytest.fixture
def alice(services):
    from conftest import STRONG

    return services.accounts.create("alice", "alice@example.com", STRONG, source="test")


@pytest.fixture
def api(services, config, tmp_path):
    """``secconsole serve-api`` in its own process on the test's database."""
    server = ApiProcess(config, tmp_path)
    yield server
    server.stop()
