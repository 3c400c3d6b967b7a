"""serve-web's gate: which Host and Origin it answers, and whose address a tab's console records."""

import pytest

from secconsole.config import detect_source
from secconsole.web.gate import Gate, origin_of, parse_origin


def gate(**kwargs) -> Gate:
    return Gate.build(host="127.0.0.1", port=8000, public_url="http://127.0.0.1:8000", **kwargs)


def ws(origin: str | None, host: str = "127.0.0.1:8000") -> dict:
    return {"Host": host} | ({"Origin": origin} if origin is not None else {})


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000",
                                    "HTTP://LOCALHOST:8000"])
def test_pages_of_this_server_may_open_a_console(origin):
    assert gate().refusal(ws(origin), websocket=True) is None


@pytest.mark.parametrize("origin, reason", [
    (None, "websocket without an Origin"),
    ("null", "foreign Origin"),
    ("https://evil.example", "foreign Origin"),
    ("http://127.0.0.1:8001", "foreign Origin"),
    ("https://127.0.0.1:8000", "foreign Origin"),
    ("http://127.0.0.1:8000.evil.example", "foreign Origin"),
    ("http://127.0.0.1:99999", "foreign Origin"),
])
def test_other_pages_may_not(origin, reason):
    assert reason in gate().refusal(ws(origin), websocket=True)


@pytest.mark.parametrize("host", ["rebound.example:8000", "127.0.0.1:8001", "127.0.0.1", "", "a b", "x@127.0.0.1:8000"])
def test_a_foreign_host_is_refused_even_without_a_socket(host):
    assert gate().refusal(ws("http://127.0.0.1:8000", host=host), websocket=False)


def test_the_public_url_and_the_allow_list_widen_it():
    behind = Gate.build(host="127.0.0.1", port=8000, public_url="https://console.example/tabs/",
                        allow_origins=["https://walkthrough.example:8443"])
    assert behind.refusal(ws("https://console.example", host="console.example"), websocket=True) is None
    assert behind.refusal(ws("https://walkthrough.example:8443"), websocket=True) is None
    assert behind.refusal(ws("https://walkthrough.example"), websocket=True)
    with pytest.raises(ValueError):
        Gate.build(host="127.0.0.1", port=8000, allow_origins=["walkthrough.example"])


def test_a_wildcard_listener_accepts_its_real_address_only():
    wild = Gate.build(host="0.0.0.0", port=8000)
    assert wild.refusal(ws("http://192.0.2.5:8000", host="192.0.2.5:8000"), websocket=True,
                        local=("192.0.2.5", 8000)) is None
    assert wild.refusal(ws("http://192.0.2.5:8000", host="192.0.2.5:8000"), websocket=True)


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    g = gate(trusted_proxies=["127.0.0.1"])
    assert g.client("127.0.0.1", "192.0.2.1, 203.0.113.9") == "203.0.113.9"
    assert g.client("127.0.0.1", None) == "127.0.0.1"
    assert g.client("127.0.0.2", "203.0.113.9") == "127.0.0.2"
    assert gate().client("127.0.0.1", "203.0.113.9") == "127.0.0.1"
    with pytest.raises(ValueError, match="not an IP address"):
        g.client("127.0.0.1", "203.0.113.9, $(reboot)")


def test_origins_parse_strictly():
    assert parse_origin("https://a.example") == ("https", "a.example", 443)
    assert parse_origin("https://a.example/") == ("https", "a.example", 443)
    for text in ("https://a.example/x", "ftp://a.example", "https://", "https://u:p@a.example", "a.example"):
        assert parse_origin(text) is None
    assert origin_of("https://a.example/console/") == ("https", "a.example", 443)


def test_a_tab_console_takes_its_source_from_the_environment_only_as_an_address():
    assert detect_source({"SECCONSOLE_WEB_CLIENT": "203.0.113.9"}) == "web 203.0.113.9"
    assert detect_source({"SECCONSOLE_WEB_CLIENT": "::FFFF:1"}) == "web ::ffff:1"
    assert detect_source({"SECCONSOLE_WEB_CLIENT": "[/]evil"}).startswith("local")
    assert detect_source({"SSH_CONNECTION": "192.0.2.1 5000 127.0.0.1 22",
                          "SECCONSOLE_WEB_CLIENT": "203.0.113.9"}) == "ssh 192.0.2.1"
