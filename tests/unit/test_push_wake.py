"""``core.push_wake`` on a real SQLite file and real PostgreSQL: an answer committed on another
connection wakes a waiting listener (PostgreSQL: by its NOTIFY, at once; SQLite: the short poll),
a change committed between the LISTEN and the wait is not lost, and no LISTEN connection outlives
its wait. The fallback timeouts are long (30 s) so that a missed wakeup fails the "< 5 s" bounds."""

from __future__ import annotations

import threading
import time

import pytest

from conftest import STRONG
from db_helpers import listening_connections, tagged, url_tag
from push_helpers import Phone
from secconsole.core.methods.push import PENDING
from secconsole.core.push_wake import channel

LONG = 30.0


@pytest.fixture
def db_url(db_url):
    return tagged(db_url)[0]


@pytest.fixture
def push(services):
    return services.push()


@pytest.fixture
def alice(services):
    return services.accounts.create("alice", "alice@example.com", STRONG, source="t")


@pytest.fixture
def phone(push, alice):
    return Phone(push, alice.id)


def tag_of(push) -> str | None:
    return url_tag(push.db.url)


def test_channels_come_from_account_ids_only():
    assert channel(7) == "secconsole_push_7"
    with pytest.raises(ValueError):
        channel("7; DROP TABLE account")


def test_an_answer_committed_on_another_connection_wakes_the_waiter(push, alice, phone):
    push.send(alice.id, source="t")
    with push.wake.listener(alice.id) as listening:
        assert listening.connected == (not push.db.is_sqlite)
        assert push.prompt(alice.id).status == PENDING  # re-read after the LISTEN
        woke = {}

        def wait():  # the waiter's loop: wait, re-read, until decided
            while push.prompt(alice.id).status == PENDING:
                listening.wait(LONG)
            woke["at"] = time.monotonic()

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.3)  # (only so that the waiter is blocked in its wait; correctness does not hang on it)
        (prompt,) = phone.prompts()
        answered = time.monotonic()
        assert phone.answer(prompt, "approve", push.prompt(alice.id).number) == "approved"  # its own connection
        waiter.join(LONG + 5)
        latency = woke["at"] - answered
        print(f"\nanswer to waiter seeing it ({push.db.engine.dialect.name}): {latency * 1000:.1f} ms")
        assert latency < 5
        assert push.prompt(alice.id).status == "approved"


def test_an_answer_committed_between_the_reread_and_the_wait_is_not_lost(push, alice, phone):
    """The interleaving forced: LISTEN, re-read (pending), the answer commits, then the wait."""
    push.send(alice.id, source="t")
    with push.wake.listener(alice.id) as listening:
        assert push.prompt(alice.id).status == PENDING
        phone.approve(push.prompt(alice.id).number)  # commits (and notifies) before anyone waits
        started = time.monotonic()
        assert listening.wait(LONG) is True
        assert time.monotonic() - started < 5
    assert push.prompt(alice.id).status == "approved"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_every_change_of_the_account_notifies(push, alice, phone, services):
    """Pairing, a prompt sent, decided, used, expired, notifications off, a device removed: each
    commit wakes the listener (a wait with nothing committed runs to its timeout)."""
    def woken(change) -> bool:
        with push.wake.listener(alice.id) as listening:
            change()
            return listening.wait(2.0)

    assert woken(lambda: push.send(alice.id, source="t"))
    assert woken(lambda: phone.approve(push.prompt(alice.id).number))
    assert woken(lambda: push.confirm(alice.id, source="t"))
    assert not woken(lambda: push.prompt(alice.id))  # a read sends nothing
    services.clock.advance(seconds=600)
    assert woken(lambda: push.send(alice.id, source="t"))
    services.clock.advance(seconds=61)
    assert woken(lambda: push.verify(alice.id, source="t"))  # expired
    assert woken(lambda: push.device_side.set_notifications(phone.request("POST", "/v1/device"), True))
    assert woken(lambda: Phone(push, alice.id, name="Tablet"))
    assert woken(lambda: push.remove_device(alice.id, phone.id, source="t"))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_no_listen_connection_outlives_its_wait(push, alice):
    tag = tag_of(push)
    listening = push.wake.listener(alice.id)
    listening.open()
    assert listening_connections(tag) == 1
    listening.close()
    assert listening_connections(tag, settle_to=0) == 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_close_from_another_thread_ends_a_wait_and_closes_its_connection(push, alice):
    """What a cancelled console worker does: ``close`` does not block on the wait in its thread,
    the wait returns within a slice, and the connection is closed."""
    tag = tag_of(push)
    listening = push.wake.listener(alice.id)
    listening.open()
    waiter = threading.Thread(target=listening.wait, args=(LONG,))
    waiter.start()
    time.sleep(0.3)
    started = time.monotonic()
    listening.close()
    assert time.monotonic() - started < 2  # not waiting out the wait (timings: bench/, not here)
    waiter.join(5)
    assert not waiter.is_alive() and time.monotonic() - started < 5
    assert listening_connections(tag, settle_to=0) == 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_listeners_past_the_limit_poll_instead_of_opening_connections(services, alice, phone):
    from secconsole.core.push_wake import Wake

    push = services.push()
    push.wake = wake = Wake(push.db, max_listeners=1)
    tag = tag_of(push)
    with wake.listener(alice.id) as first, wake.listener(alice.id) as second:
        assert first.connected and not second.connected
        assert listening_connections(tag) == 1
        push.send(alice.id, source="t")
        started = time.monotonic()
        assert second.wait(LONG) and time.monotonic() - started < 10  # a short poll, not the timeout
    assert listening_connections(tag, settle_to=0) == 0
    with wake.listener(alice.id) as third:  # the slot came back
        assert third.connected


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_another_schemas_changes_do_not_wake_this_ones_listeners(push, alice, request, clock):
    """Channels are database-wide; the same account id in another schema (another install, a test
    running beside this one) has a channel of its own."""
    from conftest import make_config, open_test_services
    from db_helpers import fresh_schema, schema_url

    import os

    with fresh_schema(os.environ["SECCONSOLE_TEST_PG"]) as schema:
        other = open_test_services(request, make_config(request.getfixturevalue("tmp_path") / "other",
                                                        schema_url(os.environ["SECCONSOLE_TEST_PG"], schema)), clock)
        try:
            twin = other.accounts.create("alice", "alice@example.com", STRONG, source="t")
            assert twin.id == alice.id
            Phone(other.push(), twin.id)
            with push.wake.listener(alice.id) as listening:
                other.push().send(twin.id, source="t")
                assert listening.wait(1.0) is False
                Phone(push, alice.id)
                assert listening.wait(LONG) is True
        finally:
            other.close()
