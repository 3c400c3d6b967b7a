"""Text messages through an operator's gateway: a signed JSON POST per message
(``--sms-webhook URL``; the protocol is in docs/sms-webhook.md).

Each try carries the message's idempotency key, so a gateway that saw an earlier try delivers it
once. Connection errors, 429 and 5xx are tried again with a growing wait; any other answer is
final. When a try timed out, nobody knows whether the message went out: the send ends in
``DeliveryUncertain`` (the caller counts it toward its anti-pumping caps) unless a later try is
answered with success."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from secconsole.core.delivery import Message
from secconsole.errors import DeliveryError, DeliveryUncertain, SecConsoleError

SIGNATURE_HEADER = "X-SecConsole-Signature"
TIMESTAMP_HEADER = "X-SecConsole-Timestamp"
KEY_HEADER = "Idempotency-Key"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp.body``: what the gateway recomputes."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: bytes
    timeout: float = 5.0
    tries: int = 3
    #: Seconds before the second try; doubled each time.
    backoff: float = 0.5

    @classmethod
    def parse(cls, url: str, secret: str | None, **kwargs) -> WebhookSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise SecConsoleError(f"--sms-webhook takes an http(s) URL, e.g. https://sms.example/send, not {url!r}.")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise SecConsoleError("--sms-webhook must use https (plain http only to a loopback address): "
                                  "the messages carry sign-in codes.")
        if not secret:
            raise SecConsoleError("--sms-webhook needs SECCONSOLE_SMS_WEBHOOK_SECRET in the environment: "
                                  "requests are signed with it so the gateway can tell they are ours.")
        return cls(url, secret.encode(), **kwargs)


class WebhookSender:
    """Delivers ``sms`` messages to the gateway; blocking (run from a worker thread, never inside a
    database transaction)."""

    def __init__(self, settings: WebhookSettings, *, clock_seconds: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._seconds = clock_seconds
        self._sleep = sleep

    def send(self, message: Message) -> None:
        s = self.settings
        body = json.dumps({"id": message.key, "to": message.to, "text": message.body}).encode()
        host = urlsplit(s.url).netloc
        maybe_sent = False
        last = ""
        for attempt in range(s.tries):
            if attempt:
                self._sleep(s.backoff * 2 ** (attempt - 1))
            outcome, last = self._try(body, message.key or "")
            if outcome == "sent":
                return
            if outcome == "final":
                break
            maybe_sent = maybe_sent or outcome == "uncertain"
        if maybe_sent:
            raise DeliveryUncertain(f"The text message gateway ({host}) did not answer in time, so the message "
                                    "may or may not arrive.")
        raise DeliveryError(f"The text message gateway ({host}) did not take the message: {last} "
                            "No text message was sent.")

    def _try(self, body: bytes, key: str) -> tuple[str, str]:
        s = self.settings
        stamp = str(int(self._seconds()))
        request = urllib.request.Request(s.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "secconsole", KEY_HEADER: key,
            TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(s.secret, stamp, body),
        })
        try:
            with urllib.request.urlopen(request, timeout=s.timeout) as response:
                response.read(4096)
                return "sent", ""
        except urllib.error.HTTPError as exc:
            retry = exc.code == 429 or exc.code >= 500
            return ("retry" if retry else "final"), f"it answered {exc.code} {exc.reason}."
        except (TimeoutError, ConnectionResetError):
            return "uncertain", "it did not answer in time."
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return "uncertain", "it did not answer in time."
            if isinstance(exc.reason, ConnectionRefusedError):
                return "retry", "nothing is listening there."
            return "retry", f"{getattr(exc.reason, 'strerror', None) or exc.reason}."
        except OSError as exc:
            return "retry", f"{exc.strerror or exc}."
