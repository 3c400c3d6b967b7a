"""The phone's profile file: 0600 from its first byte, written atomically, one process at a time,
a damaged or foreign file reported and left alone, the authenticator's dict kept as it is; and the
pairing input the phone accepts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from secconsole.phone.client import PhoneError, check_url, parse_pairing
from secconsole.phone.profile import Account, Profile, ProfileError, ProfileLocked


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_profile_is_0600_whatever_the_umask_and_keeps_the_authenticator_dict(tmp_path):
    old = os.umask(0o000)
    try:
        profile = Profile.open(tmp_path / "new" / "phone.json")
    finally:
        os.umask(old)
    try:
        assert mode(profile.path) == 0o600 and mode(profile.path.parent) == 0o700
        profile.authenticator = {"entries": [{"issuer": "SecConsole", "secret": "X" * 32}], "offset": -30}
        profile.keep(Account("alice", "http://127.0.0.1:1", "dev", "srv", "key", "Pixel"))
        profile.save()
        assert mode(profile.path) == 0o600
        assert sorted(p.name for p in profile.path.parent.iterdir()) == ["phone.json", "phone.json.lock"]
    finally:
        profile.close()
    again = Profile.open(profile.path)
    try:
        assert again.authenticator == {"entries": [{"issuer": "SecConsole", "secret": "X" * 32}], "offset": -30}
        assert again.accounts == [Account("alice", "http://127.0.0.1:1", "dev", "srv", "key", "Pixel")]
        again.save()
        assert json.loads(again.path.read_text())["authenticator"]["offset"] == -30
    finally:
        again.close()


def test_saving_never_leaves_the_profile_readable_by_others_even_for_an_instant(tmp_path):
    """The file is replaced by a rename of a 0600 file: an old 0644 file is not written in place."""
    profile = Profile.open(tmp_path / "phone.json")
    try:
        os.chmod(profile.path, 0o644)
        inode = os.stat(profile.path).st_ino
        profile.save()
        assert mode(profile.path) == 0o600 and os.stat(profile.path).st_ino != inode
    finally:
        profile.close()


def test_a_second_process_on_the_same_profile_is_refused(tmp_path):
    profile = Profile.open(tmp_path / "phone.json")
    try:
        run = subprocess.run([sys.executable, "-m", "secconsole", "phone", "--profile", str(profile.path)],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 1
        assert "Another secconsole phone is using the profile" in run.stderr and "--profile FILE" in run.stderr
        with pytest.raises(ProfileLocked):
            Profile.open(profile.path)
    finally:
        profile.close()
    Profile.open(profile.path).close()  # free again once closed


@pytest.mark.parametrize("content, said", [
    (b"{not json", "not a secconsole phone profile"), (b"\xff\xfe", "not a secconsole phone profile"),
    (b"[1, 2]", "not a secconsole phone profile"), (b'{"format": "something else", "version": 1}', "not a secconsole"),
    (b'{"format": "secconsole-phone-profile", "version": 1, "accounts": 3}', "damaged phone profile"),
    (b'{"format": "secconsole-phone-profile", "version": 1, "authenticator": [1]}', "damaged phone profile"),
    (b'{"format": "secconsole-phone-profile", "version": 9}', "another version")])
def test_a_damaged_or_foreign_file_is_reported_and_left_as_it_is(tmp_path, content, said):
    path = tmp_path / "phone.json"
    path.write_bytes(content)
    with pytest.raises(ProfileError, match=said) as refused:
        Profile.open(path)
    assert "left as it is" in str(refused.value)
    assert path.read_bytes() == content
    run = subprocess.run([sys.executable, "-m", "secconsole", "phone", "--profile", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "left as it is" in run.stderr and path.read_bytes() == content


def test_pairing_input_from_a_link_or_a_code_and_address():
    link = "secconsole-push://pair?v=1&url=http%3A%2F%2F127.0.0.1%3A8765&code=7KQ4M2XD9WRT"
    assert parse_pairing(link) == ("http://127.0.0.1:8765", "7KQ4M2XD9WRT")
    assert parse_pairing(" 7kq4-m2xd-9wrt ", "http://localhost:8765/") == ("http://localhost:8765", "7KQ4M2XD9WRT")
    assert parse_pairing("7KQ4-M2XD-9WRT server http://127.0.0.1:8765") == ("http://127.0.0.1:8765", "7KQ4M2XD9WRT")
    with pytest.raises(PhoneError, match="server's address"):
        parse_pairing("7KQ4-M2XD-9WRT")
    with pytest.raises(PhoneError, match="12 letters"):
        parse_pairing("7KQ4-M2XD", "http://127.0.0.1:8765")
    with pytest.raises(PhoneError, match="version 1"):
        parse_pairing("secconsole-push://pair?v=2&url=x&code=y")


def test_plain_http_only_to_a_loopback_address():
    assert check_url("http://[::1]:8765") == "http://[::1]:8765"
    assert check_url("https://push.example.com/") == "https://push.example.com"
    with pytest.raises(PhoneError, match="loopback"):
        check_url("http://push.example.com")
    with pytest.raises(PhoneError, match="Not a server address"):
        check_url("ftp://push.example.com")


async def test_a_damaged_key_in_the_profile_is_said_not_crashed_on():
    from secconsole.phone.client import PushClient

    async with PushClient() as client:
        with pytest.raises(PhoneError, match="key in the profile is damaged"):
            await client.device(Account("alice", "http://127.0.0.1:9", "dev", "srv", "a2V5"))
