"""``api.server.start_in_process``: the push API served from a background thread of this process
(as demo mode will), spoken to over real HTTP by the scripted device."""

from __future__ import annotations

import socket
import time
import urllib.error
from datetime import datetime, timezone

import pytest

from conftest import STRONG
from db_helpers import listening_connections, tagged, url_tag
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


@pytest.fixture
def db_url(db_url):
    return tagged(db_url)[0]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("commit_after", [1, 2], ids=["before-the-listen", "after-the-reread"])
def test_a_prompt_committed_around_the_long_polls_listen_is_not_missed(services, commit_after, monkeypatch):
    """The long poll reads (nothing), LISTENs, reads again (nothing), waits. A prompt committed
    right after the first read is found by the second; one committed right after the second
    wakes the wait. Forced by a hook on the core's read; a missed one would wait the full 30 s."""
    push = services.push()
    alice = services.accounts.create("alice", "alice@example.com", STRONG, source="test")
    url, stop = start_in_process(services)
    try:
        phone = ScriptedDevice.pair(link=push.start_pairing(alice.id, url).link)
        side, reads = push.device_side, []
        read = side.prompts

        def hooked(device):
            found = read(device)
            reads.append(found)
            if len(reads) == commit_after:
                assert found == []
                push.send(alice.id, source="test")
            return found

        monkeypatch.setattr(side, "prompts", hooked)
        started = time.monotonic()
        assert len(phone.prompts(wait=30)) == 1
        assert time.monotonic() - started < 5
        assert len(reads) == commit_after + 1
        assert listening_connections(url_tag(services.db.url), settle_to=0) == 0
    finally:
        stop()
