"""Numbers in sentences, said one way everywhere: "1 second", "2 minutes", "12 days ago"."""

from __future__ import annotations


def plural(n: int, word: str, words: str | None = None) -> str:
    """``plural(1, "code")`` is "1 code", ``plural(3, "code")`` "3 codes"."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def duration(seconds: int) -> str:
    """Seconds under a minute, whole minutes (rounded up) under two hours, then whole hours under
    two days, then days (a lock may last weeks)."""
    if seconds < 60:
        return plural(seconds, "second")
    minutes = -(-seconds // 60)
    if minutes < 120:
        return plural(minutes, "minute")
    hours = -(-minutes // 60)
    return plural(hours, "hour") if hours < 48 else plural(-(-hours // 24), "day")


def days_ago(days: int) -> str:
    """``today``, ``1 day ago``, ``12 days ago``."""
    return "today" if days == 0 else f"{plural(days, 'day')} ago"


def valid_for(minutes: int) -> str:
    """How long a code works: "10 minutes", "24 hours"."""
    return plural(minutes, "minute") if minutes < 120 else plural(minutes // 60, "hour")
