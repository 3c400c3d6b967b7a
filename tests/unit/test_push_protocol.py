"""The push protocol's signatures and formats (docs/push-protocol.md), checked against keys made
the way a device makes them (the cryptography package standing in for a phone's keystore)."""

from __future__ import annotations

import pytest

from secconsole.core import push_protocol as p
from push_helpers import Device


@pytest.mark.parametrize("alg", p.ALGS)
def test_a_devices_request_signature_verifies_and_any_change_breaks_it(alg):
    device = Device(alg)
    raw = p.check_public_key(alg, device.public)
    message = p.request_string("post", "/v1/prompts/abc/answer", "1796000000", "n" * 22, b'{"decision":"approve"}')
    signature = device.sign(message)
    assert p.device_signature_ok(alg, raw, message, signature)
    for changed in (p.request_string("post", "/v1/prompts/abc/answer", "1796000000", "n" * 22, b'{"decision":"deny"}'),
                    message.replace(b"abc", b"abd"), message.replace(b"1796000000", b"1796000001")):
        assert not p.device_signature_ok(alg, raw, changed, signature)
    flipped = bytearray(p.unb64u(signature))
    flipped[10] ^= 1  # one bit of the signature itself (base64's last character is partly padding)
    assert not p.device_signature_ok(alg, raw, message, p.b64u(bytes(flipped)))
    assert not p.device_signature_ok(alg, raw, message, "not base64!")
    other = Device(alg)
    assert not p.device_signature_ok(alg, raw, message, other.sign(message))


def test_the_request_string_is_the_documented_one():
    assert p.request_string("get", "/v1/prompts?wait=25", "1", "NONCE", b"") == (
        b"SECCONSOLE-PUSH-V1\nGET\n/v1/prompts?wait=25\n1\nNONCE\n"
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


@pytest.mark.parametrize("alg,key,message", [
    ("rsa", "AAAA", "alg must be"),
    ("ed25519", p.b64u(b"x" * 31), "32 bytes"),
    ("p256", p.b64u(b"\x04" + b"x" * 10), "65-byte"),
    ("p256", p.b64u(b"\x04" + b"\x01" * 64), "not a point on the P-256 curve"),
    ("ed25519", "====", "base64url"),
])
def test_bad_public_keys_are_refused(alg, key, message):
    with pytest.raises(ValueError, match=message):
        p.check_public_key(alg, key)


def test_prompts_are_signed_by_the_server_and_a_changed_prompt_fails():
    server = p.ServerKey.new()
    prompt = server.sign({"id": "x", "account": "alice", "numbers": [12, 47, 85], "expires": 1})
    assert p.server_signature_ok(server.public, prompt)
    assert not p.server_signature_ok(server.public, {**prompt, "account": "mallory"})
    assert not p.server_signature_ok(p.ServerKey.new().public, prompt)
    assert p.canon({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_pairing_codes_read_back_however_typed():
    code = p.new_pairing_code()
    assert len(code) == 12 and set(code) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert p.normal_code(p.grouped_code(code).lower()) == code
    assert p.normal_code("7kq4-m2xd 9wrt") == "7KQ4M2XD9WRT"
    assert p.normal_code("IO-lU") == "10-1V".replace("-", "")
    assert p.pairing_link("http://127.0.0.1:8765/", "ABC") == \
        "secconsole-push://pair?v=1&url=http%3A%2F%2F127.0.0.1%3A8765%2F&code=ABC"


def test_numbers_to_pick_from_hold_the_shown_one_and_two_others():
    for _ in range(200):
        n = p.prompt_numbers("pick")
        assert 10 <= n.shown <= 99 and n.shown in n.offered and len(set(n.offered)) == 3
        assert list(n.offered) == sorted(n.offered)  # the order gives nothing away
    typed = p.prompt_numbers("type")
    assert typed.offered == () and typed.entry == "type"
