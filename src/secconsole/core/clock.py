"""The one source of time. Everything that needs "now" is handed a Clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that only moves when told to: tests, snapshots and demo time travel."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = as_utc(when)

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta given as keywords, e.g. ``advance(seconds=30)``."""
        self._now += timedelta(**delta)
        return self._now


def as_utc(when: datetime) -> datetime:
    """Treat naive datetimes as UTC and convert aware ones to UTC."""
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def seconds_until(until: datetime, now: datetime) -> int:
    """Whole seconds left before ``until`` (rounded up, never below 0): what a countdown shows."""
    import math

    return max(0, math.ceil((until - now).total_seconds()))
