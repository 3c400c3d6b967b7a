"""A deployment's line-type lookup (``--line-type-lookup URL``): the second opinion on a number
that metadata accepted, since metadata cannot tell VoIP in the US, Germany, India and many more.

``GET URL?number=%2B4915123456789`` answers JSON ``{"type": "mobile"}`` with one of ``mobile``,
``landline``, ``fixedVoip``, ``nonFixedVoip``, ``tollFree``, ``premium`` (what carrier lookup
services answer; docs/sms-webhook.md). Anything else, or no answer, refuses the number: no code is
sent to a number whose kind could not be told."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import urlsplit

from secconsole.core.phone import LineType
from secconsole.errors import DeliveryError, SecConsoleError

_ANSWERS = {t.value: t for t in LineType}


class HttpLineTypeLookup:
    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SecConsoleError(f"--line-type-lookup takes an http(s) URL, not {url!r}.")
        self.url, self.timeout = url, timeout

    def line_type(self, e164: str) -> LineType:
        joiner = "&" if urlsplit(self.url).query else "?"
        request = urllib.request.Request(f"{self.url}{joiner}{urllib.parse.urlencode({'number': e164})}",
                                         headers={"Accept": "application/json", "User-Agent": "secconsole"})
        host = urlsplit(self.url).netloc
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read(65536) or b"{}")
        except (OSError, ValueError) as exc:
            why = f"it answered {exc.code}" if isinstance(exc, urllib.error.HTTPError) else "it did not answer"
            raise DeliveryError(f"We could not check what kind of number this is ({host}: {why}). No code was "
                                "sent; try again in a few minutes.") from None
        found = _ANSWERS.get(str(answer.get("type", "")) if isinstance(answer, dict) else "")
        return found or LineType.UNKNOWN
