"""The key file and sealed secrets."""

import os
import stat

import pytest

from secconsole.core.crypto import SecretBox, create_key, fingerprint, load_key, read_key
from secconsole.errors import KeyFileError


def test_key_is_created_once_with_mode_0600(tmp_path):
    path = tmp_path / "k" / "secret.key"
    key = load_key(path, None)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(path, fingerprint(key)) == key
    assert create_key(path) == key  # never overwritten


def test_a_lost_key_is_reported_never_regenerated(tmp_path):
    path = tmp_path / "secret.key"
    key = load_key(path, None)
    path.unlink()
    with pytest.raises(KeyFileError, match="is missing, but this database holds secrets"):
        load_key(path, fingerprint(key))
    assert not path.exists()


def test_the_wrong_key_is_reported(tmp_path):
    key = load_key(tmp_path / "a.key", None)
    load_key(tmp_path / "b.key", None)
    with pytest.raises(KeyFileError, match="Point SECCONSOLE_KEY_FILE at the right file"):
        load_key(tmp_path / "b.key", fingerprint(key))


def test_a_damaged_key_file_is_reported(tmp_path):
    path = tmp_path / "secret.key"
    path.write_text("not base64 at all!")
    with pytest.raises(KeyFileError, match="damaged"):
        read_key(path)


def test_sealed_secrets_open_only_for_their_purpose_and_key(tmp_path):
    box = SecretBox(os.urandom(32))
    sealed = box.seal(b"JBSWY3DPEHPK3PXPJBSWY3DP", b"totp:1")
    assert b"JBSWY3DP" not in sealed
    assert box.open(sealed, b"totp:1") == b"JBSWY3DPEHPK3PXPJBSWY3DP"
    with pytest.raises(KeyFileError):
        box.open(sealed, b"totp:2")
    with pytest.raises(KeyFileError):
        SecretBox(os.urandom(32)).open(sealed, b"totp:1")
    with pytest.raises(KeyFileError, match="damaged"):
        box.open(b"\x01short", b"totp:1")


def test_services_refuse_a_database_whose_key_is_gone(tmp_path, clock):
    from conftest import make_config
    from secconsole.services import open_services

    config = make_config(tmp_path)
    open_services(config, clock=clock).close()
    config.key_file.unlink()
    with pytest.raises(KeyFileError, match="is missing"):
        open_services(config, clock=clock)
    assert not config.key_file.exists()
