"""The phone's authenticator (secconsole.phone.authenticator): codes against oathtool (an
independent implementation), the clock offset, parsing, the profile's dict, the encrypted export,
and a code the console's own verification accepts (real SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from conftest import STRONG

from secconsole.phone import authenticator as auth_mod
from secconsole.phone.authenticator import Authenticator, AuthenticatorError
from secconsole.phone.export_file import KDF_ARGON2ID, KDF_SCRYPT, NOT_AN_EXPORT, WRONG_OR_DAMAGED

KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits
SHORT_KEY = "JBSWY3DPEHPK3PXP"  # 80 bits: sites still hand these out
PASS = "correct horse battery staple"
NOW = datetime(2026, 1, 15, 12, 0, 7, tzinfo=timezone.utc)

needs_oathtool = pytest.mark.skipif(not shutil.which("oathtool"),
                                    reason="oathtool is not installed (apt-get install oathtool)")


def oathtool(key: str, when: datetime, algorithm: str = "SHA1", digits: int = 6, period: int = 30) -> str:
    return subprocess.run(
        ["oathtool", f"--totp={algorithm.lower()}", "-d", str(digits), "-s", f"{period}s", "-b", key,
         "-N", f"@{int(when.timestamp())}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()


def uri(key: str = KEY, label: str = "ACME:bob", **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"secret": key, **params}.items())
    return f"otpauth://totp/{label}?{query}"


# -- codes ------------------------------------------------------------------------------------


@needs_oathtool
@pytest.mark.parametrize("algorithm", ["SHA1", "SHA256", "SHA512"])
@pytest.mark.parametrize("digits", [6, 8])
def test_codes_agree_with_oathtool(algorithm, digits):
    auth = Authenticator()
    auth.add_uri(uri(algorithm=algorithm, digits=str(digits)))
    for when in (datetime(1970, 1, 1, 0, 0, 59, tzinfo=timezone.utc), NOW,
                 datetime(2033, 5, 18, 3, 33, 20, tzinfo=timezone.utc)):
        (code,) = auth.codes(when)
        assert code.code == oathtool(KEY, when, algorithm, digits)
        assert len(code.code) == digits


@needs_oathtool
def test_short_keys_typed_keys_and_other_periods_agree_with_oathtool():
    auth = Authenticator()
    auth.add_key("Old site", "bob", "jbsw y3dp-ehpk 3pxp")  # 80 bits, spaced, dashed, lower case
    auth.add_uri(uri(label="Sixty:bob", period="60", digits="7"))
    short, sixty = auth.codes(NOW)
    assert short.code == oathtool(SHORT_KEY, NOW)
    assert sixty.code == oathtool(KEY, NOW, digits=7, period=60)
    assert (short.seconds_left, sixty.seconds_left) == (23, 53)  # 12:00:07


@needs_oathtool
@pytest.mark.parametrize("offset", [-90, -30, 30, 300])
def test_the_clock_offset_shifts_the_codes(offset):
    auth = Authenticator()
    auth.add_uri(uri())
    auth.clock_offset = offset
    (code,) = auth.codes(NOW)
    assert code.code == oathtool(KEY, NOW + timedelta(seconds=offset))
    assert code.code != oathtool(KEY, NOW)


def test_offset_steps_and_limits():
    auth = Authenticator()
    assert auth.shift(30) == 30 and auth.shift(-90) == -60
    assert auth.shift(10**6) == auth_mod.MAX_OFFSET  # clamped, not refused: it is a key held down
    with pytest.raises(AuthenticatorError, match="at most 86400 seconds"):
        auth.clock_offset = -auth_mod.MAX_OFFSET - 1
    with pytest.raises(AuthenticatorError, match="whole number"):
        auth.clock_offset = 1.5


def test_seconds_left_count_down_within_the_period():
    auth = Authenticator()
    auth.add_uri(uri())
    start = datetime(2026, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
    left = [auth.codes(start + timedelta(seconds=s))[0].seconds_left for s in (0, 1, 29, 30)]
    assert left == [30, 29, 1, 30]
    assert auth.codes(start + timedelta(seconds=0.5))[0].seconds_left == 30  # rounded up, as a countdown
    auth.clock_offset = 10
    assert auth.codes(start)[0].seconds_left == 20


def test_codes_are_grouped_for_reading():
    auth = Authenticator()
    auth.add_uri(uri())
    auth.add_uri(uri(key=KEY[:-1] + "Q", label="Eight:bob", digits="8"))
    six, eight = auth.codes(NOW)
    assert six.grouped == f"{six.code[:3]} {six.code[3:]}"
    assert eight.grouped == f"{eight.code[:4]} {eight.code[4:]}"


# -- adding -----------------------------------------------------------------------------------


def test_uri_labels_and_issuers():
    auth = Authenticator()
    a = auth.add_uri("  " + uri(label="ACME%3A%20Inc:bob%40example.com", issuer="ACME%3A%20Inc") + "\n")
    assert (a.issuer, a.account, a.digits, a.period, a.algorithm) == ("ACME: Inc", "bob@example.com", 6, 30, "SHA1")
    b = auth.add_uri(uri(key=SHORT_KEY, label="carol"))
    assert (b.issuer, b.account, b.label) == ("", "carol", "carol")
    c = auth.add_uri(f"OTPAUTH://TOTP/Shop:dave?secret={KEY.lower()}&algorithm=sha256")
    assert (c.issuer, c.secret, c.algorithm) == ("Shop", KEY, "SHA256")
    assert [e.id for e in auth.entries] == [1, 2, 3]


@pytest.mark.parametrize(("text", "message"), [
    ("https://example.com/?secret=" + KEY, "not an otpauth:// link"),
    ("JBSWY3DPEHPK3PXP", "not an otpauth:// link"),
    ("otpauth://hotp/ACME:bob?secret=" + KEY + "&counter=0", r"counter-based \(HOTP\)"),
    ("otpauth://motp/ACME:bob?secret=" + KEY, "Unknown kind of account 'motp'"),
    (uri(algorithm="MD5"), "Unsupported algorithm 'MD5'"),
    (uri(digits="9"), "6, 7 or 8 digits; this link says digits='9'"),
    (uri(period="abc"), "10 to 300 seconds; this link says period='abc'"),
    (uri(period="0"), "10 to 300 seconds"),
    (uri(key=""), "Type the key"),
    ("otpauth://totp/ACME:bob?issuer=ACME", "Type the key"),
    (uri(key="JBSWY3DPEHPK3PX1"), "only letters A to Z and digits 2 to 7; this one has 1"),
    (uri(key="JBSWY3DPEHPK3PXPA"), "length is wrong \\(17 characters\\)"),
    (uri(key="JBSWY3DPEHPK"), "too short \\(12 characters\\): a key has at least 16"),
    (uri(issuer="Other"), "cannot be read: If issuer is specified in both"),
    (uri() + "&digits=8&digits=6", "cannot be read: Duplicate digits parameter"),
    (uri(encoder="steam"), "Steam"),
    (uri(label="ACME:bob%0Aroot"), "control or invisible characters"),
])
def test_bad_links_are_refused_with_a_reason(text, message):
    auth = Authenticator()
    with pytest.raises(AuthenticatorError, match=message):
        auth.add_uri(text)
    assert auth.entries == []


@pytest.mark.parametrize(("issuer", "account", "key", "message"), [
    ("ACME", "bob", "", "Type the key"),
    ("ACME", "bob", "JBSW Y3DP EHPK 3PX!", "this one has !"),
    ("", " ", KEY, "Name the account"),
    ("x" * 101, "bob", KEY, "issuer is longer than 100"),
    ("ACME", "bob\x1b]0;t\x07", KEY, "account name holds control"),
])
def test_bad_typed_keys_are_refused(issuer, account, key, message):
    with pytest.raises(AuthenticatorError, match=message):
        Authenticator().add_key(issuer, account, key)


def test_a_key_already_here_is_refused_whatever_its_name():
    auth = Authenticator()
    auth.add_uri(uri())
    with pytest.raises(AuthenticatorError, match=r"already here, as ACME \(bob\)"):
        auth.add_key("Other", "name", KEY.lower())
    auth.add_uri(uri(digits="8"))  # another number of digits: other codes, not a duplicate
    assert len(auth.entries) == 2


def test_remove():
    auth = Authenticator()
    first = auth.add_uri(uri())
    second = auth.add_key("B", "b", SHORT_KEY)
    assert auth.remove(first.id) == first and auth.entries == [second]
    with pytest.raises(AuthenticatorError, match="not in the authenticator"):
        auth.remove(first.id)
    third = auth.add_uri(uri())
    assert third.id == 3  # ids are not reused while a higher one is in use


def test_names_are_kept_as_typed_markup_and_all():
    auth = Authenticator()
    entry = auth.add_key("[red]x[/]", "[@click=app.quit]bob", KEY)
    assert entry.label == "[red]x[/] ([@click=app.quit]bob)"


# -- the profile's dict -----------------------------------------------------------------------


def test_to_dict_from_dict_round_trip_through_json():
    auth = Authenticator()
    auth.add_uri(uri(algorithm="SHA512", digits="8", period="60"))
    auth.add_key("[b]B[/b]", "b", SHORT_KEY)
    auth.clock_offset = -120
    again = Authenticator.from_dict(json.loads(json.dumps(auth.to_dict())))
    assert again.entries == auth.entries and again.clock_offset == -120
    assert [c.code for c in again.codes(NOW)] == [c.code for c in auth.codes(NOW)]
    assert Authenticator.from_dict(None).entries == Authenticator.from_dict({}).entries == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(version=2), "format 2"),
    (lambda d: d["entries"][0].update(secret="not base32!"), "only letters"),
    (lambda d: d["entries"][0].update(digits=5), "does not know"),
    (lambda d: d["entries"][0].update(colour="red"), "cannot be read"),
    (lambda d: d["entries"].append(dict(d["entries"][0])), "same id"),
    (lambda d: d.update(clock_offset="soon"), "whole number"),
])
def test_a_damaged_profile_dict_is_reported(change, message):
    auth = Authenticator()
    auth.add_uri(uri())
    d = auth.to_dict()
    change(d)
    with pytest.raises(AuthenticatorError, match=message):
        Authenticator.from_dict(d)


# -- export and import ------------------------------------------------------------------------


@pytest.fixture
def filled() -> Authenticator:
    auth = Authenticator()
    auth.add_uri(uri(algorithm="SHA256", digits="8"))
    auth.add_key("[red]x[/]", "bob", SHORT_KEY)
    auth.clock_offset = 90
    return auth


@pytest.mark.parametrize("kdf", [KDF_ARGON2ID, KDF_SCRYPT])
def test_export_import_round_trip(filled, kdf):
    data = filled.export(PASS, kdf=kdf)
    assert data.startswith(b"SCPHOTP\x01") and data[8] == kdf
    assert KEY.encode() not in data and b"ACME" not in data and b"bob" not in data
    phone = Authenticator.import_(data, PASS)
    assert [e.fields() for e in phone.entries] == [e.fields() for e in filled.entries]
    assert phone.clock_offset == 0  # the offset is this phone's clock, not an account


def test_export_defaults_to_argon2id(filled):
    assert filled.export(PASS)[8] == KDF_ARGON2ID
    assert filled.export(PASS) != filled.export(PASS)  # a fresh salt and nonce each time


def test_a_composed_or_decomposed_passphrase_is_the_same(filled):
    data = filled.export("café au lait s'il vous plaît")
    assert Authenticator.import_(data, "cafe\u0301 au lait s'il vous plaît").entries


@pytest.mark.parametrize("passphrase", ["", "short", "elevenchars"])
def test_short_passphrases_are_refused_with_the_rule(filled, passphrase):
    with pytest.raises(AuthenticatorError, match="at least 12 characters"):
        filled.export(passphrase)


def test_nothing_to_export():
    with pytest.raises(AuthenticatorError, match="nothing to export"):
        Authenticator().export(PASS)


def test_wrong_passphrase(filled):
    data = filled.export(PASS)
    with pytest.raises(AuthenticatorError) as wrong:
        Authenticator.import_(data, PASS + "!")
    assert str(wrong.value) == WRONG_OR_DAMAGED
    with pytest.raises(AuthenticatorError, match="Type the passphrase"):
        Authenticator.import_(data, "")


@pytest.mark.parametrize("where", ["salt", "nonce", "ciphertext", "tag", "kdf-params"])
def test_a_changed_byte_anywhere_is_refused(filled, where):
    data = bytearray(filled.export(PASS, kdf=KDF_SCRYPT))
    index = {"kdf-params": 13, "salt": 20, "nonce": 40, "ciphertext": 60, "tag": len(data) - 1}[where]
    data[index] ^= 0x01
    with pytest.raises(AuthenticatorError) as damaged:
        Authenticator.import_(bytes(data), PASS)
    assert str(damaged.value) == WRONG_OR_DAMAGED


@pytest.mark.parametrize(("mangle", "message"), [
    (lambda d: d[:40], NOT_AN_EXPORT),
    (lambda d: b"PK\x03\x04" + d[4:], NOT_AN_EXPORT),
    (lambda d: d[:7] + b"\x09" + d[8:], "format 9; this phone reads format 1"),
    (lambda d: d[:8] + b"\x07" + d[9:], NOT_AN_EXPORT),  # an unknown KDF
    (lambda d: d[:9] + b"\xff\xff\xff\xff" + d[13:], NOT_AN_EXPORT),  # 4 TiB of memory asked for
    (lambda d: d[:9] + b"\x00\x08\x00\x00" + d[13:], NOT_AN_EXPORT),  # 512 MiB
])
def test_files_that_are_not_exports(filled, mangle, message):
    with pytest.raises(AuthenticatorError, match=message.replace("(", "\\(")):
        Authenticator.import_(mangle(filled.export(PASS)), PASS)


@pytest.mark.parametrize("params", [b"\x14\x10\x01\x00\x00\x00", b"\x18\x08\x01\x00\x00\x00"])
def test_scrypt_files_asking_for_too_much_memory_are_refused(filled, params):
    data = filled.export(PASS, kdf=KDF_SCRYPT)  # 2 GiB (n=2^20, r=16), 16 GiB (n=2^24, r=8)
    with pytest.raises(AuthenticatorError, match=NOT_AN_EXPORT):
        Authenticator.import_(data[:9] + params + data[15:], PASS)


def test_import_merges_without_duplicates(filled):
    data = filled.export(PASS)
    other = Authenticator()
    kept = other.add_key("Mine", "me", SHORT_KEY)  # the same key as one in the file
    other.add_key("Only here", "me", KEY[:-1] + "Q")
    result = other.merge(data, PASS)
    assert (result.added, result.skipped) == (1, 1)
    assert result.message == "Imported 1 account; 1 account was already here and skipped."
    assert len(other.entries) == 3 and other.entries[0] == kept
    assert len({e.id for e in other.entries}) == 3
    again = other.merge(data, PASS)
    assert (again.added, again.skipped) == (0, 2) and len(other.entries) == 3
    assert again.message == "Imported 0 accounts; 2 accounts were already here and skipped."


def test_a_wrong_passphrase_adds_nothing(filled):
    other = Authenticator()
    with pytest.raises(AuthenticatorError):
        other.merge(filled.export(PASS), "not the passphrase")
    assert other.entries == []


# -- imports stay small -----------------------------------------------------------------------


def test_imports_without_textual_or_the_database_stack():
    code = ("import sys; from secconsole.phone.authenticator import Authenticator; "
            "a = Authenticator(); a.add_key('A', 'b', 'JBSWY3DPEHPK3PXP'); a.export('x' * 12); "
            "print(sorted(m for m in ('textual', 'sqlalchemy', 'sqlmodel', 'alembic', 'psycopg') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    screen = ("import sys, secconsole.phone.screens.authenticator; "
              "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'psycopg') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", screen], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"  # the screen: Textual, and still no database stack


# -- the console accepts the phone's code -----------------------------------------------------


def test_the_console_accepts_a_code_from_the_phone(services, clock):
    bob = services.accounts.create("bob", "bob@example.com", STRONG, source="test")
    pending = services.way("totp").start(bob.id, bob.username)
    phone = Authenticator()
    entry = phone.add_uri(pending.uri)  # what the console's QR code holds
    assert (entry.issuer, entry.account) == ("SecConsole", "bob")
    assert services.way("totp").confirm(pending, phone.codes(clock.now())[0].code, source="test").ok
    clock.advance(seconds=30)
    assert services.way("totp").verify(bob.id, phone.codes(clock.now())[0].grouped, source="test").ok
    # a phone whose clock is 4 minutes slow: outside the console's window, and it says why
    phone.clock_offset = -240
    clock.advance(seconds=300)
    slow = services.way("totp").verify(bob.id, phone.codes(clock.now())[0].code, source="test")
    assert not slow.ok and "slow" in slow.message
    phone.clock_offset = 0
    assert services.way("totp").verify(bob.id, phone.codes(clock.now())[0].code, source="test").ok
