"""SVG snapshots of the phone's authenticator screen and its dialogs at 80x24 (sync tests:
snap_compare runs the app itself). The clock is injected, so codes and countdowns are fixed."""

from __future__ import annotations

from phone_authenticator_helpers import LINK, PhoneAuthApp, filled

SIZE = (80, 24)


def test_empty(snap_compare):
    assert snap_compare(PhoneAuthApp(), terminal_size=SIZE)


def test_codes_with_names_that_look_like_markup(snap_compare):
    assert snap_compare(PhoneAuthApp(filled()), terminal_size=SIZE)


def test_clock_offset_shown(snap_compare):
    assert snap_compare(PhoneAuthApp(filled()), press=["plus", "plus", "plus"], terminal_size=SIZE)


def test_add_link_refused(snap_compare):
    hotp = LINK.replace("totp", "hotp", 1)
    assert snap_compare(PhoneAuthApp(), press=["a", *hotp, "enter"], terminal_size=SIZE)


def test_add_key_form(snap_compare):
    assert snap_compare(PhoneAuthApp(), press=["k", *"Shop", "enter", *"dave"], terminal_size=SIZE)


def test_remove_confirm(snap_compare):
    assert snap_compare(PhoneAuthApp(filled()), press=["down", "d"], terminal_size=SIZE)


def test_export_passphrase_too_short(snap_compare):
    keys = ["e", *"phone.otp", "enter", *"short", "enter", *"short", "enter"]
    assert snap_compare(PhoneAuthApp(filled()), press=keys, terminal_size=SIZE)


def test_import_form(snap_compare):
    assert snap_compare(PhoneAuthApp(filled()), press=["i", *"old-phone.otp", "enter"], terminal_size=SIZE)
