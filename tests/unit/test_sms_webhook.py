"""The text-message gateway webhook against a real HTTP server on loopback: signed requests, one
idempotency key across retries, retries with backoff, and what a failed or timed-out send does
to the code and the caps (a failure burns nothing; a timeout counts)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from secconsole.core.delivery import ChannelSender, Message
from secconsole.core.methods.sms import TextMessages
from secconsole.core.methods.sms_codes import SmsLimits
from secconsole.core.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSender, WebhookSettings, signature
from secconsole.errors import DeliveryError, DeliveryUncertain, SecConsoleError

from conftest import STRONG

SECRET = "gateway-shared-secret"


class Gateway:
    """A real HTTP server; ``answers`` is what it does per request: an HTTP status, or
    ``"slow"`` (answers after the client gave up)."""

    def __init__(self):
        self.answers: list = []
        self.seen: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.seen.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                answer = gateway.answers.pop(0) if gateway.answers else 200
                if answer == "slow":
                    time.sleep(1.0)
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


def sender(url, **kw):
    settings = WebhookSettings.parse(url, SECRET, timeout=kw.pop("timeout", 0.4), backoff=0.01, **kw)
    return WebhookSender(settings)


def test_a_signed_post_with_an_idempotency_key(gateway):
    sender(gateway.url).send(Message("sms", "+4915123456789", "s", "SecConsole code: 123456.", 1, key="sms-7"))
    (request,) = gateway.seen
    headers, body = request["headers"], request["body"]
    assert json.loads(body) == {"id": "sms-7", "to": "+4915123456789", "text": "SecConsole code: 123456."}
    assert headers["idempotency-key"] == "sms-7"
    assert headers[SIGNATURE_HEADER.lower()] == signature(SECRET.encode(), headers[TIMESTAMP_HEADER.lower()], body)
    assert abs(int(headers[TIMESTAMP_HEADER.lower()]) - time.time()) < 5


def test_server_errors_are_retried_with_the_same_key_then_given_up(gateway):
    gateway.answers = [503, 500, 502]
    with pytest.raises(DeliveryError, match="answered 502") as failed:
        sender(gateway.url).send(Message("sms", "+4915123456789", "s", "x", 1, key="sms-8"))
    assert not isinstance(failed.value, DeliveryUncertain)
    assert [r["headers"]["idempotency-key"] for r in gateway.seen] == ["sms-8"] * 3


def test_a_retry_that_succeeds_is_a_send(gateway):
    gateway.answers = [500, 200]
    sender(gateway.url).send(Message("sms", "+4915123456789", "s", "x", 1, key="sms-9"))
    assert len(gateway.seen) == 2


def test_a_client_error_is_final(gateway):
    gateway.answers = [400]
    with pytest.raises(DeliveryError, match="answered 400"):
        sender(gateway.url).send(Message("sms", "+4915123456789", "s", "x", 1, key="k"))
    assert len(gateway.seen) == 1


def test_a_timeout_is_an_unknown_outcome(gateway):
    gateway.answers = ["slow", "slow", "slow"]
    with pytest.raises(DeliveryUncertain, match="did not answer in time"):
        sender(gateway.url, tries=2).send(Message("sms", "+4915123456789", "s", "x", 1, key="k"))


def test_nothing_listening_is_a_failure_not_an_unknown():
    with pytest.raises(DeliveryError, match="nothing is listening") as failed:
        sender("http://127.0.0.1:9/send").send(Message("sms", "+4915123456789", "s", "x", 1, key="k"))
    assert not isinstance(failed.value, DeliveryUncertain)


@pytest.mark.parametrize("url,secret,message", [
    ("http://sms.example/send", SECRET, "must use https"),
    ("ftp://127.0.0.1/x", SECRET, "takes an http"),
    ("https://sms.example/send", "", "SECCONSOLE_SMS_WEBHOOK_SECRET"),
])
def test_settings_refuse_plain_http_elsewhere_and_a_missing_secret(url, secret, message):
    with pytest.raises(SecConsoleError, match=message):
        WebhookSettings.parse(url, secret)


@pytest.fixture
def texting(services, gateway):
    """carol with text messages on (through the outbox), then sending through the gateway."""
    from method_drivers import Sms

    carol = services.accounts.create("carol", "carol@example.com", STRONG, source="t")
    Sms(services, carol.id).enroll()
    ctx = replace(services.way("sms").ctx, sender=ChannelSender({"email": services.sender, "sms": sender(gateway.url)}))
    return carol, TextMessages(ctx, limits=SmsLimits(unchecked_sends=2))


def test_a_failed_send_says_so_and_burns_nothing(services, gateway, texting, clock):
    carol, way = texting
    for _ in range(4):
        gateway.answers = [500, 500, 500]
        with pytest.raises(DeliveryError, match="No text message was sent. You can try again now."):
            way.begin(carol.id, source="t")
    assert way.resend_wait(carol.id) == 0  # no cooldown, no cap used
    way.begin(carol.id, source="t")
    assert json.loads(gateway.seen[-1]["body"])["to"] == "+4915123456789"


def test_a_timed_out_send_counts_toward_the_caps_and_its_code_works(services, gateway, texting, clock):
    carol, way = texting
    gateway.answers = ["slow"] * 3
    said = way.begin(carol.id, source="t")
    assert "may or may not arrive" in said and "ask for a new one in 1 minute" in said
    time.sleep(1.2)  # the slow answers finish
    code = json.loads(gateway.seen[0]["body"])["text"].split("code: ")[1][:6]
    clock.advance(seconds=61)
    way.begin(carol.id, source="t")  # the second of two unchecked sends allowed
    clock.advance(seconds=61)
    with pytest.raises(SecConsoleError, match="2 codes were sent without one being entered"):
        way.begin(carol.id, source="t")
    assert not way.verify(carol.id, code, source="t").ok  # the newer send replaced it
