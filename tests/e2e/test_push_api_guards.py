"""The push API's guards over real HTTP (``secconsole serve-api`` in its own process): refused
device requests in the audit trail, the pairing limit shared through the database by every API
host, and X-Forwarded-For believed only from a ``--trusted-proxy``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import STRONG
from push_device import Keys, ScriptedDevice, http
from push_helpers import ApiProcess, alice, api, push  # noqa: F401 (fixtures)
from test_push_api import SRC, clock, paired  # noqa: F401 (fixtures)

WRONG = "0000-0000-0000"


def refusals(services, username: str) -> list[dict]:
    """The account's push.refused events as ``secconsole user show NAME --json`` prints them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
    config = services.config
    done = subprocess.run([sys.executable, "-m", "secconsole", "user", "show", username, "--json", "--db",
                           config.db_url, "--data-dir", str(config.data_dir)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return [e for e in json.loads(done.stdout)["recent_events"] if e["kind"] == "push.refused"]


def anonymous_refusals(services) -> list[dict]:
    from sqlmodel import select

    from secconsole.store.models import AuditEvent

    with services.db.transaction(readonly=True) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.kind == "push.refused",
                                                     AuditEvent.account_id.is_(None))).all()
        return [{"source": r.source, "detail": json.loads(r.detail)} for r in rows]


def test_each_refused_device_request_is_audited_with_its_reason_device_and_source(services, push, alice, api):
    bob = services.accounts.create("bob", "bob@example.com", STRONG, source=SRC)
    phone, bobs = paired(push, alice, api), paired(push, bob, api, name="Bob's phone")
    push.begin(bob.id, source=SRC)
    (bobs_prompt,) = bobs.prompts()
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()

    signed = phone.headers("GET", "/v1/device", b"")
    assert phone.request("GET", "/v1/device", headers=signed).status == 200
    sent = {
        "nonce_reused": phone.request("GET", "/v1/device", headers=signed),
        "bad_signature": phone.request("GET", "/v1/device", headers={
            **phone.headers("GET", "/v1/device", b""), "X-Signature": phone.keys.sign(b"forged")}),
        "stale_timestamp": phone.request("GET", "/v1/device", timestamp=int(time.time()) - 120),
        "bad_nonce": phone.request("GET", "/v1/device", nonce="c2hvcnQ"),
        "no_such_prompt": phone.answer(bobs_prompt, "approve", bobs_prompt["numbers"][0]),
    }
    # an answer signed for one prompt, sent for another: the signature covers the path
    body = json.dumps({"decision": "deny"}).encode()
    moved = phone.headers("POST", f"/v1/prompts/{prompt['id']}/answer", body)
    other = phone.request("POST", f"/v1/prompts/{bobs_prompt['id']}/answer", {"decision": "deny"}, headers=moved)
    assert (other.status, other.body["error"]) == (401, "bad_signature")
    for reason, reply in sent.items():
        assert reply.body["error"] == reason, (reason, reply)

    events = refusals(services, "alice")
    assert sorted(e["detail"]["reason"] for e in events) == sorted([*sent, "bad_signature"])
    assert {e["source"] for e in events} == {"app 127.0.0.1"}
    assert {(e["detail"]["device_id"], e["detail"]["device"]) for e in events} == {(phone.id, "Pixel 8")}
    (wrong_account,) = [e for e in events if e["detail"]["reason"] == "no_such_prompt"]
    assert wrong_account["detail"]["prompt"] == bobs_prompt["id"]
    assert refusals(services, "bob") == []  # bob's prompt stays pending, untouched
    assert bobs.answer(bobs_prompt, "deny").body == {"result": "denied"}

    # no account to tell: a device id that was never paired, a wrong pairing code
    unknown = {**phone.headers("GET", "/v1/device", b""), "X-Device": "never-paired"}
    assert phone.request("GET", "/v1/device", headers=unknown).body["error"] == "device_removed"
    assert ScriptedDevice.try_pair(url=api.url, code=WRONG)[0].body["error"] == "pairing_code_invalid"
    anonymous = anonymous_refusals(services)
    assert sorted(e["detail"]["reason"] for e in anonymous) == ["device_removed", "pairing_code_invalid"]
    assert all(e["detail"]["device_id"] is None and e["source"] == "app 127.0.0.1" for e in anonymous)


def test_a_flood_of_refusals_writes_at_most_ten_events_a_minute_per_source(services, push, alice, api):
    phone = paired(push, alice, api)
    forged = [phone.request("GET", "/v1/device", headers={**phone.headers("GET", "/v1/device", b""),
                                                          "X-Signature": phone.keys.sign(b"forged")})
              for _ in range(25)]
    assert {r.status for r in forged} == {401}
    assert len(refusals(services, "alice")) == 10
    assert phone.info().status == 200  # the device itself is not locked out by someone else's flood


def test_a_valid_pairing_code_takes_its_try_back(push, alice, api):
    tries = [ScriptedDevice.try_pair(url=api.url, code=WRONG)[0].status for _ in range(9)]
    good, _ = ScriptedDevice.try_pair(link=push.start_pairing(alice.id, api.url).link)
    tries += [ScriptedDevice.try_pair(url=api.url, code=WRONG)[0].status for _ in range(2)]
    assert (good.status, tries) == (201, [410] * 10 + [429])


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_pairing_tries_sent_at_once_to_two_api_hosts_never_pass_the_limit(push, alice, api, config, tmp_path):
    second = ApiProcess(config, tmp_path)
    try:
        hosts, replies, barrier = [api.url, second.url], [], threading.Barrier(30)

        def attempt(n: int) -> None:
            barrier.wait()
            replies.append(ScriptedDevice.try_pair(url=hosts[n % 2], code=WRONG)[0])

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        statuses = sorted(r.status for r in replies)
        assert statuses == [410] * 10 + [429] * 20, statuses
        assert {r.body["error"] for r in replies if r.status == 429} == {"too_many_requests"}
        assert ScriptedDevice.try_pair(link=push.start_pairing(alice.id, second.url).link)[0].status == 429
    finally:
        second.stop()


def forwarded(url: str, client: str, code: str = WRONG):
    body = json.dumps({"code": code, "name": "Pixel 8", "alg": "ed25519", "public_key": Keys().public}).encode()
    return http("POST", url + "/v1/pair", body, {"X-Forwarded-For": client})


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_forwarded_for_names_the_client_only_behind_a_trusted_proxy(services, config, tmp_path, api):
    proxied = ApiProcess(config, tmp_path, "--trusted-proxy", "127.0.0.1")
    try:
        # a trusted proxy: each forwarded client has its own limit and is the audit trail's source
        assert [forwarded(proxied.url, "198.51.100.1, 203.0.113.9").status for _ in range(11)] == [410] * 10 + [429]
        assert forwarded(proxied.url, "203.0.113.10").status == 410  # another client: not limited
        sources = [e["source"] for e in anonymous_refusals(services)]
        assert sorted(set(sources)) == ["app 203.0.113.10", "app 203.0.113.9"] and len(sources) == 10 + 1  # the cap
        bad = forwarded(proxied.url, "203.0.113.9, not-an-address")
        assert (bad.status, bad.body["error"]) == (400, "bad_forwarded_for") and "not-an-address" in bad.body["message"]
        # not a trusted proxy: the header is ignored, every client is the peer
        assert [forwarded(api.url, f"203.0.113.{n}").status for n in range(11)] == [410] * 10 + [429]
        assert forwarded(api.url, "nonsense").status == 429
        assert {e["source"] for e in anonymous_refusals(services)}.isdisjoint({"app 203.0.113.0", "app nonsense"})
    finally:
        proxied.stop()
