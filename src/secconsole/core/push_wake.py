"""Waking whoever waits on an account's mobile app prompts: the console's panel and wizard (for a
decision, for a device that pairs) and the API's long polls (for a new prompt), on every host.

On PostgreSQL every transaction that creates, decides or expires a prompt, or pairs or removes a
device, sends ``notify(session, account_id)`` (delivered on commit); a waiter holds a dedicated
connection that LISTENs on the account's channel. On SQLite a waiter re-reads after a short sleep.

The order that loses no wakeup: ``open()`` (LISTEN), then re-read the state, then ``wait()``. A
change committed after the LISTEN is queued on the connection, so a wait after it returns at once.

    with wake.listener(account_id) as listening:
        while not decided(read()):
            listening.wait(timeout)
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from secconsole.store import listen
from secconsole.store.engine import Database

log = logging.getLogger("secconsole.push")

#: SQLite (or a PostgreSQL listener that could not connect): how long a wait sleeps before a re-read.
POLL_SECONDS = 0.25
#: PostgreSQL: how often a blocked wait looks at its own poke/close flags (no query, no round trip).
SLICE_SECONDS = 0.25
#: Dedicated connections one process holds at most; waiters past it poll instead.
MAX_LISTENERS = 64


def channel(account_id: int) -> str:
    """The account's channel: made from its id (an int), never from a name anyone typed."""
    return f"secconsole_push_{int(account_id)}"


def notify(session, account_id: int) -> None:
    """Wake the account's waiters when ``session``'s transaction commits (PostgreSQL; a no-op on SQLite)."""
    listen.notify(session, channel(account_id))


class Wake:
    """Hands out listeners for one database, at most ``max_listeners`` with a connection at once."""

    def __init__(self, db: Database, *, max_listeners: int = MAX_LISTENERS) -> None:
        self.db = db
        self.postgresql = listen.is_postgresql(db)
        self._slots = threading.BoundedSemaphore(max_listeners)

    def listener(self, account_id: int) -> Listener:
        return Listener(self, account_id)

    def alistener(self, account_id: int) -> AsyncListener:
        return AsyncListener(self, account_id)

    def _take_slot(self) -> bool:
        return self.postgresql and self._slots.acquire(blocking=False)

    def _give_slot(self) -> None:
        self._slots.release()


class Listener:
    """A blocking listener for threads. ``wait`` may run in one thread while ``poke`` or ``close``
    come from another (a worker being cancelled): ``close`` never blocks on the wait, and the
    connection is closed by whichever of the two ends last."""

    def __init__(self, wake: Wake, account_id: int) -> None:
        self.wake, self.channel = wake, channel(account_id)
        self._conn = None
        self._slot = False
        self._lock = threading.Lock()
        self._busy = self._closing = False
        self._poked = threading.Event()

    def __enter__(self) -> Listener:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def open(self) -> None:
        """LISTEN (on PostgreSQL, within the connection limit); re-read the state after this."""
        if not self.wake._take_slot():
            return
        try:
            conn = listen.connect(self.wake.db, self.channel)
        except Exception as exc:  # the wait degrades to polling; the database's faults surface on the re-read
            self.wake._give_slot()
            log.warning("LISTEN failed, polling instead: %s", type(exc).__name__)
            return
        with self._lock:
            self._conn, self._slot = conn, True
            if self._closing:  # closed while connecting
                self._close_now()

    def poke(self) -> None:
        """End the current (or next) wait now, e.g. when the countdown says the prompt expired."""
        self._poked.set()

    def wait(self, timeout: float) -> bool:
        """Until a notification, a poke, ``close`` or ``timeout`` seconds. True: look again now
        (a notification or a poke; on SQLite, the poll interval passed)."""
        with self._lock:
            if self._closing:
                return False
            self._busy = True
            conn = self._conn
        try:
            if conn is None:
                return self._poked.wait(min(POLL_SECONDS, max(timeout, 0))) or timeout > 0
            return self._wait_pg(conn, timeout)
        finally:
            self._poked.clear()
            with self._lock:
                self._busy = False
                if self._closing:
                    self._close_now()

    def _wait_pg(self, conn, timeout: float) -> bool:
        deadline = time.monotonic() + max(timeout, 0)
        while not (self._closing or self._poked.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                if any(True for _ in conn.notifies(timeout=min(SLICE_SECONDS, left), stop_after=1)):
                    return True
            except Exception as exc:  # the connection broke: fall back to polling
                log.warning("LISTEN connection lost, polling instead: %s", type(exc).__name__)
                with self._lock:
                    self._close_now()
                return True
        return not self._closing

    def close(self) -> None:
        """Stop waiting and close the connection (now, or when a wait in another thread returns)."""
        self._poked.set()
        with self._lock:
            self._closing = True
            if not self._busy:
                self._close_now()

    def _close_now(self) -> None:  # with self._lock held
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
        if self._slot:
            self._slot = False
            self.wake._give_slot()


class AsyncListener:
    """The same for an event loop (the API's long polls): no thread is held while it waits, and a
    cancelled wait (the device hung up, the server stops) closes the connection on the way out."""

    def __init__(self, wake: Wake, account_id: int) -> None:
        self.wake, self.channel = wake, channel(account_id)
        self._conn = None
        self._slot = False

    @property
    def connected(self) -> bool:
        return self._conn is not None

    async def __aenter__(self) -> AsyncListener:
        if self.wake._take_slot():
            self._slot = True
            try:
                self._conn = await listen.aconnect(self.wake.db, self.channel)
            except asyncio.CancelledError:  # the device hung up while we connected
                self._release()
                raise
            except Exception as exc:
                log.warning("LISTEN failed, polling instead: %s", type(exc).__name__)
                self._release()
        return self

    async def __aexit__(self, *exc) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                await conn.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._slot:
            self._slot = False
            self.wake._give_slot()

    async def wait(self, timeout: float) -> bool:
        """Until a notification or ``timeout`` seconds (on SQLite: the poll interval)."""
        if self._conn is None:
            await asyncio.sleep(min(POLL_SECONDS, max(timeout, 0)))
            return timeout > 0
        try:
            async for _ in self._conn.notifies(timeout=max(timeout, 0), stop_after=1):
                return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("LISTEN connection lost, polling instead: %s", type(exc).__name__)
            conn, self._conn = self._conn, None
            self._release()
            try:
                await conn.close()
            except Exception:
                pass
            return True
        return False
