"""The line-type lookup against a real HTTP server on loopback: its answer decides, an odd answer
means "unknown" (refused) and a lookup that is down refuses with its own message."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from secconsole.core.line_lookup import HttpLineTypeLookup
from secconsole.core.phone import LineType, PhoneRules
from secconsole.errors import DeliveryError, ValidationError


@pytest.fixture
def lookup_server():
    answers = {"+12015550123": {"type": "nonFixedVoip"}, "+12015550124": {"type": "mobile"},
               "+12015550125": {"kind": "?"}, "+12015550126": 500}
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            number = parse_qs(urlsplit(self.path).query)["number"][0]
            asked.append(number)
            answer = answers.get(number, {"type": "landline"})
            status = answer if isinstance(answer, int) else 200
            body = b"" if isinstance(answer, int) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/lookup", asked
    server.shutdown()
    server.server_close()


def test_the_lookup_decides_what_metadata_cannot(lookup_server):
    url, asked = lookup_server
    rules = PhoneRules(lookup=HttpLineTypeLookup(url))
    with pytest.raises(ValidationError, match="VoIP"):
        rules.check("(201) 555-0123", "US")
    assert rules.check("(201) 555-0124", "US").line_type is LineType.MOBILE
    with pytest.raises(ValidationError, match="cannot recognise"):
        rules.check("(201) 555-0125", "US")
    assert asked == ["+12015550123", "+12015550124", "+12015550125"]


def test_a_lookup_that_fails_refuses_and_says_so(lookup_server):
    url, _ = lookup_server
    with pytest.raises(DeliveryError, match="answered 500.*No code was sent"):
        PhoneRules(lookup=HttpLineTypeLookup(url)).check("(201) 555-0126", "US")
    with pytest.raises(DeliveryError, match="did not answer"):
        PhoneRules(lookup=HttpLineTypeLookup("http://127.0.0.1:9/x")).check("(201) 555-0124", "US")
