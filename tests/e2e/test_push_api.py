"""`secconsole serve-api` in its own process, on SQLite and PostgreSQL, spoken to over real HTTP
by the scripted device of tests/push_device.py (written from docs/push-protocol.md); the console's
side (pairing codes, prompts, their verdict) goes through the core in this process, on the same
database, as a console would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from db_helpers import listening_connections, tagged, url_tag
from push_device import ScriptedDevice, UntrustedPrompt, http
from push_helpers import ApiProcess, alice, api, push  # noqa: F401 (fixtures)
from secconsole.core.clock import ManualClock
from secconsole.core.delivery import recent_outbox
from secconsole.core.methods.base import Reason

SRC = "test"


@pytest.fixture
def clock():
    """The console's clock: the real time (the API process has no other), moved back by tests of expiry."""
    return ManualClock(datetime.now(timezone.utc))


@pytest.fixture
def db_url(db_url):
    """The test's database, its connections named (``url_tag``) so pg_stat_activity tells them apart."""
    return tagged(db_url)[0]


def paired(push, account, api, **kwargs) -> ScriptedDevice:
    return ScriptedDevice.pair(link=push.start_pairing(account.id, api.url).link, **kwargs)


def test_pair_prompt_and_approve_with_the_right_number_signs_in_once(services, push, alice, api):
    assert push.api_url() == api.url  # serve-api recorded where devices reach it, for pairing links
    phone = paired(push, alice, api)
    assert phone.account == "alice"
    push.begin(alice.id, source="ssh 203.0.113.9", host="console.example")
    shown = push.prompt(alice.id).number
    (prompt,) = phone.prompts()
    assert prompt["source"] == "ssh 203.0.113.9" and shown in prompt["numbers"] and prompt["entry"] == "pick"
    assert push.verify(alice.id, source=SRC).reason is Reason.PENDING
    assert phone.answer(prompt, "approve", shown).body == {"result": "approved"}
    assert push.verify(alice.id, source=SRC).ok
    assert not push.verify(alice.id, source=SRC).ok  # used once
    assert phone.answer(prompt, "approve", shown).status == 409
    info = phone.info()
    assert info.status == 200 and info.body["name"] == "Pixel 8" and info.body["paused"] is False


def test_a_used_pairing_code_is_refused_the_same_as_a_wrong_one(push, alice, api):
    offer = push.start_pairing(alice.id, api.url)
    ScriptedDevice.pair(url=api.url, code=offer.grouped.lower(), alg="p256", name="iPad")
    again, _ = ScriptedDevice.try_pair(url=api.url, code=offer.code)
    wrong, _ = ScriptedDevice.try_pair(url=api.url, code="0000-0000-0000")
    assert again.status == wrong.status == 410 and again.body == wrong.body
    assert again.body["error"] == "pairing_code_invalid"


def test_a_wrong_number_is_a_denial(push, alice, api):
    phone = paired(push, alice, api)
    push.begin(alice.id, source=SRC)
    shown = push.prompt(alice.id).number
    (prompt,) = phone.prompts()
    wrong = next(n for n in prompt["numbers"] if n != shown)
    assert phone.answer(prompt, "approve", wrong).body == {"result": "denied"}
    result = push.verify(alice.id, source=SRC)
    assert not result.ok and "Denied" in result.message


def test_it_wasnt_me_pauses_prompts_and_tells_the_owner(services, push, alice, api):
    phone = paired(push, alice, api)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    assert phone.answer(prompt, "report").body == {"result": "reported"}
    assert phone.info().body["paused"] is True
    with pytest.raises(Exception, match="paused"):
        push.begin(alice.id, source=SRC, again=True)
    subjects = [m.subject for m in recent_outbox(services.db, services.box, account_id=alice.id)]
    assert "A sign-in prompt was reported as not you" in subjects


def test_an_expired_prompt_cannot_be_answered(push, alice, api, clock):
    phone = paired(push, alice, api)
    clock.set(datetime.now(timezone.utc) - timedelta(seconds=61))
    sent = push.send(alice.id, source=SRC)  # made 61 s ago, as the API's clock sees it
    clock.set(datetime.now(timezone.utc))
    assert phone.prompts() == []
    late = phone.answer({"id": sent.id}, "approve", sent.number)
    assert late.status == 410 and late.body["error"] == "expired"
    assert push.verify(alice.id, source=SRC).reason is Reason.EXPIRED


def test_replays_forgeries_and_stale_clocks_are_refused(push, alice, api):
    phone = paired(push, alice, api)
    signed = phone.headers("GET", "/v1/device", b"")
    assert phone.request("GET", "/v1/device", headers=signed).status == 200
    replay = phone.request("GET", "/v1/device", headers=signed)
    assert (replay.status, replay.body["error"]) == (401, "nonce_reused")
    forged = {**phone.headers("GET", "/v1/device", b""), "X-Signature": phone.keys.sign(b"something else")}
    assert phone.request("GET", "/v1/device", headers=forged).body["error"] == "bad_signature"
    other = phone.headers("GET", "/v1/prompts?wait=0", b"")  # signed for another path
    assert phone.request("GET", "/v1/device", headers=other).body["error"] == "bad_signature"
    stale = phone.request("GET", "/v1/device", timestamp=int(time.time()) - 120)
    assert (stale.status, stale.body["error"]) == (401, "stale_timestamp")
    unsigned = http("GET", api.url + "/v1/device")
    assert unsigned.status == 401 and set(unsigned.body) == {"error", "message"}


def test_a_tampered_prompt_is_not_shown(push, alice, api):
    phone = paired(push, alice, api)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    with pytest.raises(UntrustedPrompt):
        phone.check({**prompt, "source": "somewhere else"})


def test_bad_bodies_are_refused_as_json(push, alice, api):
    phone = paired(push, alice, api)
    bad = http("POST", api.url + "/v1/pair", b"{not json")
    assert (bad.status, bad.body["error"]) == (400, "bad_json")
    big = http("POST", api.url + "/v1/pair", b'{"code": "' + b"x" * 20_000 + b'"}')
    assert (big.status, big.body["error"]) == (413, "too_large")
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    typed = phone.request("POST", f"/v1/prompts/{prompt['id']}/answer", {"decision": "approve", "number": "47"})
    assert typed.status == 400
    unknown = phone.answer({"id": "nope"}, "deny")
    assert (unknown.status, unknown.body["error"]) == (404, "no_such_prompt")
    assert http("GET", api.url + "/nowhere").body["error"] == "not_found"


def test_pairing_attempts_are_limited_per_address(push, alice, api):
    statuses = [ScriptedDevice.try_pair(url=api.url, code="0000-0000-0000")[0].status for _ in range(11)]
    assert statuses == [410] * 10 + [429]
    offer = push.start_pairing(alice.id, api.url)
    assert ScriptedDevice.try_pair(link=offer.link)[0].status == 429


def test_two_devices_answering_at_once_one_decides(push, alice, api):
    phone, tablet = paired(push, alice, api), paired(push, alice, api, name="iPad", alg="p256")
    push.begin(alice.id, source=SRC)
    shown = push.prompt(alice.id).number
    (prompt,) = phone.prompts()
    barrier, replies = threading.Barrier(2), {}

    def answer(device, name):
        headers = device.headers("POST", f"/v1/prompts/{prompt['id']}/answer",
                                 b'{"decision": "approve", "number": %d}' % shown)
        barrier.wait()
        replies[name] = device.request("POST", f"/v1/prompts/{prompt['id']}/answer",
                                       {"decision": "approve", "number": shown}, headers=headers)

    threads = [threading.Thread(target=answer, args=(d, n)) for d, n in ((phone, "phone"), (tablet, "tablet"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status for r in replies.values()) == [200, 409]
    assert push.verify(alice.id, source=SRC).ok


def test_a_long_poll_returns_when_a_prompt_comes_not_at_its_end(push, alice, api):
    """Woken by the prompt: well before the 20 s the poll asked for (how soon: bench/push_latency.py)."""
    phone = paired(push, alice, api)
    got = {}

    def poll():
        got["prompts"] = phone.prompts(wait=20)
        got["at"] = time.monotonic()

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(1.0)
    assert poller.is_alive()  # still waiting: nothing pending
    sent = time.monotonic()
    push.begin(alice.id, source=SRC)
    poller.join(20)
    assert len(got["prompts"]) == 1 and got["at"] - sent < 10
    started = time.monotonic()
    assert len(phone.prompts(wait=20)) == 1 and time.monotonic() - started < 10  # pending: at once


def test_a_device_turns_prompts_off_and_signs_itself_out(push, alice, api):
    phone = paired(push, alice, api)
    assert phone.set_notifications(False).body["notifications"] is False
    with pytest.raises(Exception, match="No paired device"):
        push.begin(alice.id, source=SRC)
    assert phone.unpair().body == {"result": "removed"}
    assert push.devices(alice.id) == []
    assert phone.info().body["error"] == "device_removed"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_api_processes_share_one_postgresql(push, alice, api, config, tmp_path):
    """One database, two API hosts and this console: a prompt made here wakes a long poll on the
    second host (its LISTEN, woken by the NOTIFY of the prompt's transaction), an answer through
    the first wakes the console's listener here, and no LISTEN connection stays open afterwards."""
    second = ApiProcess(config, tmp_path)
    try:
        phone = paired(push, alice, api)
        phone.url = second.url  # the same device, through the other host
        got = {}

        def long_poll():
            got["prompts"] = phone.prompts(wait=30)  # long: a missed wakeup shows as a slow answer
            got["at"] = time.monotonic()

        poller = threading.Thread(target=long_poll)
        poller.start()
        deadline = time.monotonic() + 10
        while listening_connections(url_tag(config.db_url)) < 1 and time.monotonic() < deadline:  # its LISTEN is in
            time.sleep(0.02)
        assert listening_connections(url_tag(config.db_url)) == 1
        sent = time.monotonic()
        push.begin(alice.id, source=SRC)
        poller.join(35)
        (prompt,) = got["prompts"]
        print(f"\nprompt committed here to long poll on host B answering: {(got['at'] - sent) * 1000:.1f} ms")
        assert got["at"] - sent < 5
        shown = push.prompt(alice.id).number

        seen = {}

        def console():  # the console's wait for the decision, as the panel does it
            with push.wake.listener(alice.id) as listening:
                ready.set()
                while push.prompt(alice.id).status == "pending":
                    listening.wait(30)
            seen["at"] = time.monotonic()

        ready = threading.Event()
        waiter = threading.Thread(target=console)
        waiter.start()
        assert ready.wait(10)
        phone.url = api.url  # the answer goes through host A
        answered = time.monotonic()
        assert phone.answer(prompt, "approve", shown).body == {"result": "approved"}
        waiter.join(35)
        print(f"answer through host A to the console seeing it: {(seen['at'] - answered) * 1000:.1f} ms")
        assert seen["at"] - answered < 5
        assert push.verify(alice.id, source=SRC).ok
        assert listening_connections(url_tag(config.db_url), settle_to=0) == 0
        phone.url = second.url
        signed = phone.headers("GET", "/v1/device", b"")
        assert phone.request("GET", "/v1/device", headers=signed).status == 200
        phone.url = api.url
        assert phone.request("GET", "/v1/device", headers=signed).body["error"] == "nonce_reused"
    finally:
        second.stop()


@pytest.mark.parametrize("args,fragment", [
    (["--host", "0.0.0.0"], "needs HTTPS"),
    (["--tls-cert", "cert.pem"], "go together"),
    (["--tls-cert", "missing.pem", "--tls-key", "missing.key"], "does not exist"),
    (["--public-url", "ftp://x"], "--public-url takes"),
    (["--trusted-proxy", "proxy.example"], "--trusted-proxy takes an IP address"),
])
def test_serve_api_refuses_plain_http_off_loopback_and_bad_options(tmp_path, args, fragment):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECCONSOLE_")}
    done = subprocess.run([sys.executable, "-m", "secconsole", "serve-api", "--data-dir", str(tmp_path), *args],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=30)
    assert done.returncode == 1 and fragment in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


def self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return tmp_path / "cert.pem", tmp_path / "key.pem"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_api_over_https(push, alice, config, tmp_path):
    import ssl

    cert, key = self_signed(tmp_path)
    server = ApiProcess(config, tmp_path, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert server.url.startswith("https://127.0.0.1:") and push.api_url() == server.url
        trust = ssl.create_default_context(cafile=str(cert))
        phone = ScriptedDevice.pair(link=push.start_pairing(alice.id, server.url).link, context=trust)
        push.begin(alice.id, source=SRC)
        (prompt,) = phone.prompts()
        assert phone.answer(prompt, "deny").body == {"result": "denied"}
    finally:
        server.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sigterm_does_not_wait_for_long_polls(push, alice, config, tmp_path):
    server = ApiProcess(config, tmp_path)
    phone = paired(push, alice, server)
    poller = threading.Thread(target=lambda: pytest.raises(Exception, phone.prompts, wait=30), daemon=True)
    poller.start()
    time.sleep(1.0)
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(25) == 0 and time.monotonic() - started < 15  # not the poll's 30 s
    server.stop()
    poller.join(10)


def test_a_public_url_is_announced_with_where_the_api_really_listens(push, config, tmp_path):
    """Pairing links carry --public-url (a proxy's address); the operator is told the real one too."""
    server = ApiProcess(config, tmp_path, "--public-url", "https://push.example.com")
    try:
        assert server.url == "https://push.example.com" == push.api_url()
    finally:
        server.stop()
    log = server._log.name
    with open(log) as told:
        assert "listening on http://127.0.0.1:" in told.read()
