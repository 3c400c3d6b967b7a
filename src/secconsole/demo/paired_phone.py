"""A demo phone in this process: paired with a pairing code and a key of its own, answering
prompts with signed requests through the device side of the push API, as the companion app does
over HTTP (docs/push-protocol.md). The key lives only in this object. Demo mode only."""

from __future__ import annotations

import json
import secrets


class DemoPhone:
    def __init__(self, way, account_id: int, *, name: str = "demo phone", source: str) -> None:
        from cryptography.hazmat.primitives.asymmetric import ed25519
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        from secconsole.core import push_protocol as proto

        self.way, self.source = way, source
        self._key = ed25519.Ed25519PrivateKey.generate()
        public = proto.b64u(self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        offer = way.start_pairing(account_id, way.api_url() or "http://127.0.0.1")
        self.id = way.device_side.pair(offer.code, name, "ed25519", public, source=source)["device_id"]

    def answer(self, prompt_id: str, decision: str, number: int | None = None) -> str:
        """``approve`` (with the number the console shows), ``deny`` or ``report``."""
        from secconsole.core import push_protocol as proto

        body = json.dumps({"decision": decision, "number": number}).encode()
        path = f"/v1/prompts/{prompt_id}/answer"
        stamp, nonce = str(int(self.way.clock.now().timestamp())), proto.b64u(secrets.token_bytes(16))
        signature = proto.b64u(self._key.sign(proto.request_string("POST", path, stamp, nonce, body)))
        device = self.way.device_side.authenticate(self.id, "POST", path, stamp, nonce, body, signature,
                                                   source=self.source)
        return self.way.device_side.answer(device, prompt_id, decision, number, source=self.source)


def turn_on_prompts(services, account_id: int, *, source: str, seconds_ago: int = 60) -> DemoPhone:
    """What the pairing wizard does: pair, approve the test prompt, turn mobile app prompts on;
    dated ``seconds_ago`` (a person takes that long), so the test prompt is older than any prompt
    sent now (the newest prompt is the one a console follows)."""
    from dataclasses import replace
    from datetime import timedelta

    from secconsole.core.clock import ManualClock

    now = services.way("push")
    way = type(now)(replace(now.ctx, clock=ManualClock(services.clock.now() - timedelta(seconds=seconds_ago))))
    phone = DemoPhone(way, account_id, source=source)
    test = way.send(account_id, source=source, purpose="sign-in", for_what="Test prompt")
    phone.answer(test.id, "approve", test.number)
    result = way.confirm(account_id, source=source)
    if not result.ok:
        raise RuntimeError(result.message)
    phone.way = now  # from here on it answers at the present time
    return phone
