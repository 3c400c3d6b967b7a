"""``api.server.start_in_process``: the push API served from a background thread of this process
(as demo mode will), spoken to over real HTTP by the scripted device."""

from __future__ import annotations

import socket
import urllib.error
from datetime import datetime, timezone

import pytest

from conftest import STRONG
from push_device import ScriptedDevice, http
from secconsole.api.server import start_in_process
from secconsole.core.clock import ManualClock


@pytest.fixture
def clock():
    return ManualClock(datetime.now(timezone.utc))  # the device signs with the real time


def test_the_api_runs_in_a_thread_on_a_loopback_port_and_stops(sqlite_services):
    services = sqlite_services
    alice = services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    url, stop = start_in_process(services)
    try:
        assert url.startswith("http://127.0.0.1:") and services.push().api_url() == url
        phone = ScriptedDevice.pair(link=services.push().start_pairing(alice.id, url).link)
        services.push().begin(alice.id, source="test")
        shown = services.push().prompt(alice.id).number
        (prompt,) = phone.prompts(wait=5)
        assert phone.answer(prompt, "approve", shown).body == {"result": "approved"}
        assert services.push().verify(alice.id, source="test").ok
    finally:
        stop()
    stop()  # twice is harmless
    with pytest.raises(urllib.error.URLError):
        http("GET", url + "/v1/device", timeout=2)


def test_a_port_in_use_is_an_error_in_the_caller(sqlite_services):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            start_in_process(sqlite_services, port=taken.getsockname()[1])
