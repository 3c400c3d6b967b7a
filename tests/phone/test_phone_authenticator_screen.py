"""The phone's authenticator screen, alone in a tiny app at 80x24 with an injected clock (Pilot):
codes and countdowns follow the clock, add, remove, the clock offset, export and import."""

from __future__ import annotations

import os
import stat

import pytest

from secconsole.phone.authenticator import Authenticator

from phone_authenticator_helpers import KEY, LINK, START, PhoneAuthApp, filled

SIZE = (80, 24)
PASS = "correct horse battery"


def screen_text(app) -> str:
    """The screen as a person sees it: every row, dialogs over it included."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def form_error(app) -> str:
    """The message under a form's fields (it may wrap on the screen)."""
    return app.screen.query_one("#form-error").message


def said(app) -> str:
    """The authenticator screen's message line."""
    return str(app.screen.query_one("#auth-message").content)


def code_now(app, index: int = 0) -> str:
    return app.authenticator.codes(app.clock.now())[index].grouped


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(c, c) for c in text])


async def fill(pilot, *values: str) -> None:
    """Type each value into the focused field, then Enter (the next field; the last submits)."""
    for value in values:
        await type_text(pilot, value)
        await pilot.press("enter")
    await pilot.pause()


async def test_codes_and_countdown_follow_the_clock():
    app = PhoneAuthApp(filled())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert code_now(app) in text and code_now(app, 1) in text
        assert "23 s" in text and "phone time 12:00:07 UTC" in text
        first = code_now(app)
        app.clock.advance(seconds=5)
        app.screen.refresh_codes()
        await pilot.pause()
        assert "18 s" in screen_text(app) and code_now(app) == first
        app.clock.advance(seconds=20)  # 12:00:32: the next period, a new code
        app.screen.refresh_codes()
        await pilot.pause()
        assert code_now(app) != first and code_now(app) in screen_text(app) and "28 s" in screen_text(app)
        # the screen's own one-second timer redraws after the clock moves, without being asked
        app.clock.advance(seconds=1)
        await pilot.pause(1.3)
        assert "27 s" in screen_text(app)


async def test_names_that_look_like_markup_are_shown_as_typed():
    app = PhoneAuthApp(filled())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[red]x[/] · [@click=app.quit]carol" in text and "ACME · bob@example.com" in text
        await pilot.press("down", "d")
        await pilot.pause()
        assert "Remove [red]x[/] ([@click=app.quit]carol)?" in screen_text(app)


async def test_add_from_a_link_and_a_refused_link():
    app = PhoneAuthApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "No accounts yet" in screen_text(app)
        await pilot.press("a")
        await fill(pilot, LINK.replace("totp", "hotp", 1))
        assert "counter-based (HOTP)" in form_error(app) and app.authenticator.entries == [] and app.saves == 0
        await fill(pilot, LINK)  # the refused link is selected: typing replaces it
        assert [e.label for e in app.authenticator.entries] == ["ACME (bob@example.com)"] and app.saves == 1
        text = screen_text(app)
        assert "Added ACME (bob@example.com)." in text and code_now(app) in text
        await pilot.press("a")
        await fill(pilot, LINK)
        assert "already here, as ACME (bob@example.com)" in form_error(app) and len(app.authenticator.entries) == 1
        await pilot.press("escape")
        await pilot.pause()
        assert "No accounts yet" not in screen_text(app)


async def test_add_a_typed_key():
    app = PhoneAuthApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k")
        await fill(pilot, "Shop", "dave", "jbsw-y3dp ehpk 3pxq")
        (entry,) = app.authenticator.entries
        assert (entry.issuer, entry.account, entry.secret) == ("Shop", "dave", "JBSWY3DPEHPK3PXQ")
        assert "Shop · dave" in screen_text(app) and app.saves == 1
        await pilot.press("k")
        await fill(pilot, "Bad", "key", "JBSW Y3DP 1111 0000")
        assert "only letters A to Z and digits 2 to 7; this one has 0 1" in form_error(app)


async def test_remove_asks_first_and_n_keeps_it():
    app = PhoneAuthApp(filled())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "d")
        await pilot.pause()
        assert "Remove this account?" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert len(app.authenticator.entries) == 2 and app.saves == 0
        await pilot.press("d", "y")
        await pilot.pause()
        assert [e.issuer for e in app.authenticator.entries] == ["ACME"] and app.saves == 1
        assert "Removed [red]x[/] ([@click=app.quit]carol)." in screen_text(app)
        await pilot.press("d", "y", "d")
        await pilot.pause()
        assert app.authenticator.entries == [] and "There is nothing to remove." in screen_text(app)


async def test_after_a_removal_the_next_account_is_highlighted():
    auth = filled()
    third = auth.add_key("Third", "t", "JBSWY3DPEHPK3PXR")
    app = PhoneAuthApp(auth)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "d", "y")
        await pilot.pause()
        assert [e.id for e in auth.entries] == [1, third.id] and app.screen.selected_id() == third.id


async def test_the_clock_offset_control():
    app = PhoneAuthApp(filled())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "clock is" not in screen_text(app)
        honest = code_now(app)
        await pilot.press("plus", "equals_sign", "plus")
        await pilot.pause()
        assert app.authenticator.clock_offset == 90 and app.saves == 3
        text = screen_text(app)
        assert "This phone's clock is 1 min 30 s fast" in text and "phone time 12:01:37 UTC" in text
        assert code_now(app) in text and code_now(app) != honest
        await pilot.press("minus", "minus", "minus", "minus")
        await pilot.pause()
        assert app.authenticator.clock_offset == -30 and "clock is 30 s slow" in screen_text(app)
        await pilot.press("0")
        await pilot.pause()
        assert app.authenticator.clock_offset == 0 and "clock is" not in screen_text(app)
        assert code_now(app) == honest and "Phone clock: right." in screen_text(app)


async def test_a_failed_save_is_said(tmp_path):
    app = PhoneAuthApp(filled())
    app.save_error = OSError(28, "No space left on device")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        await pilot.pause()
        assert said(app) == ("Phone clock: 30 s fast. But the profile could not be saved: "
                             "[Errno 28] No space left on device")


async def test_export_then_import_on_another_phone(tmp_path):
    path = tmp_path / "phone.otp"
    app = PhoneAuthApp(filled())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert "Push keys never leave this phone" in str(app.screen.query_one(".form-hint").content)
        await fill(pilot, str(path), "short", "short")
        assert "at least 12 characters" in form_error(app) and not path.exists()
        # the refused passphrases were cleared: the cursor waits in the first empty field
        assert app.focused.id == "field-passphrase" and app.focused.value == ""
        await fill(pilot, PASS, PASS + "x")
        assert "The two passphrases differ" in form_error(app) and not path.exists()
        await fill(pilot, PASS, PASS)
        assert said(app) == f"Exported 2 accounts to {path}. Push keys stay on this phone."
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        first = path.read_bytes()
        await pilot.press("e")
        await fill(pilot, str(path), PASS, PASS)
        assert form_error(app) == f"{path} is already there: choose another name."
        assert path.read_bytes() == first

    new = PhoneAuthApp(Authenticator())
    new.authenticator.add_key("Mine", "me", KEY)  # already on the new phone: skipped
    async with new.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await fill(pilot, str(tmp_path / "missing.otp"), PASS)
        assert form_error(new) == f"Cannot read {tmp_path / 'missing.otp'}: No such file or directory."
        await fill(pilot, str(path), "not the passphrase")  # the path was selected: typing replaces it
        assert "The passphrase is wrong, or the file was changed or damaged" in form_error(new)
        assert len(new.authenticator.entries) == 1 and new.saves == 0
        await fill(pilot, PASS)
        assert said(new) == "Imported 1 account; 1 account was already here and skipped."
        assert [e.label for e in new.authenticator.entries] == ["Mine (me)", "[red]x[/] ([@click=app.quit]carol)"]
        assert new.saves == 1


async def test_import_refuses_a_huge_file(tmp_path):
    path = tmp_path / "big.otp"
    path.write_bytes(b"SCPHOTP\x01" + b"\0" * (2 << 20))
    app = PhoneAuthApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await fill(pilot, str(path), PASS)
        assert "too big to be an authenticator export" in form_error(app)


@pytest.mark.parametrize("key", ["tab", "shift+tab"])
async def test_forms_move_by_tab(key):
    app = PhoneAuthApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k")
        await pilot.pause()
        assert app.focused.id == "field-issuer"
        await pilot.press(key)
        assert app.focused.id == ("field-account" if key == "tab" else "form-cancel")


async def test_escape_goes_back():
    app = PhoneAuthApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen  # the tiny app's default screen under it
