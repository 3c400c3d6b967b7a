"""tui/session.Session: the signed-in account, and which read of it may still be shown."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import App

from secconsole.tui.session import Session

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def test_a_read_started_before_a_newer_read_or_write_is_dropped():
    session, older, newer = Session(App()), object(), object()
    first = session.start_read()
    second = session.start_read()
    assert session.update(newer, read=second) and session.account is newer
    assert not session.update(older, read=first) and session.account is newer


def test_a_read_started_before_sign_out_does_not_sign_back_in():
    session, account = Session(App()), object()
    session.signed_in(account, NOW)
    ticket = session.start_read()
    assert session.signed_out() is account
    assert not session.update(account, read=ticket)
    assert session.account is None and session.verified_at is None
