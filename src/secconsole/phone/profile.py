"""The phone's profile: one JSON file holding everything the phone keeps.

- each paired account: its name, the API's URL, the device id, the server's public key and this
  pairing's private key (Ed25519, made when pairing: docs/push-protocol.md, one key pair per
  pairing; it never leaves the profile, and signing out forgets it);
- the notifications switch, the device's name and the last server URL typed;
- ``authenticator``: the authenticator's ``to_dict()``, kept exactly as given.

The file is 0600 from its first byte (written to a temporary file in the same folder, fsynced,
renamed over the old one), and one process at a time holds it (``flock`` on ``FILE.lock``): a
second `secconsole phone` on the same profile is refused instead of overwriting the first.
A file that is not a profile (damaged, or someone else's) is reported and left as it is."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT = "secconsole-phone-profile"
VERSION = 1


class ProfileError(Exception):
    """A profile that cannot be used; the message is for a person."""


class ProfileLocked(ProfileError):
    pass


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("secconsole", appauthor=False)) / "phone.json"


@dataclass
class Account:
    """A paired account. ``device_id`` and ``key`` are empty once signed out (the keys forgotten)."""

    name: str
    url: str
    device_id: str = ""
    server_key: str = ""
    key: str = ""  # b64u of the raw Ed25519 private key of this pairing
    device_name: str = ""

    @property
    def signed_in(self) -> bool:
        return bool(self.device_id and self.key)

    def sign_out(self) -> None:
        self.device_id = self.key = self.server_key = ""

    @classmethod
    def from_dict(cls, d: dict) -> Account:
        return cls(**{k: str(d.get(k, "")) for k in cls.__dataclass_fields__})


@dataclass
class Profile:
    path: Path
    accounts: list[Account] = field(default_factory=list)
    notifications: bool = True
    device_name: str = "secconsole phone"
    last_url: str = ""
    authenticator: dict = field(default_factory=dict)
    _lock_fd: int | None = field(default=None, repr=False)

    # -- opening and closing -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike | None = None) -> Profile:
        """The profile at ``path`` (default: the data folder's phone.json), locked for this
        process; a new one is written when there is none."""
        path = Path(path) if path else default_path()
        path = path.expanduser().absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ProfileError(f"Cannot make the folder for the profile {path}: {exc.strerror}") from None
        lock_fd = _lock(path)
        try:
            profile = cls._load(path) if path.exists() else cls(path, device_name=_default_name(path))
            profile._lock_fd = lock_fd
            if not path.exists():
                profile.save()
        except BaseException:
            os.close(lock_fd)
            raise
        return profile

    @classmethod
    def _load(cls, path: Path) -> Profile:
        where = f"{path} is not a secconsole phone profile"
        try:
            data = json.loads(path.read_bytes())
        except OSError as exc:
            raise ProfileError(f"Cannot read the profile {path}: {exc.strerror}") from None
        except (ValueError, UnicodeDecodeError):
            raise ProfileError(f"{where} (it is not JSON: damaged?); it was left as it is. "
                               "Choose another file with --profile FILE.") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ProfileError(f"{where}; it was left as it is. Choose another file with --profile FILE.")
        if data.get("version") != VERSION:
            raise ProfileError(f"{path} is a phone profile of another version ({data.get('version')!r}); "
                               "it was left as it is.")
        try:
            accounts = [Account.from_dict(a) for a in data.get("accounts", [])]
            authenticator = data.get("authenticator", {})
            if not isinstance(authenticator, dict):
                raise TypeError
        except (TypeError, AttributeError):
            raise ProfileError(f"{path} is a damaged phone profile; it was left as it is.") from None
        return cls(path, accounts=accounts, notifications=bool(data.get("notifications", True)),
                   device_name=str(data.get("device_name") or _default_name(path)),
                   last_url=str(data.get("last_url", "")), authenticator=authenticator)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    # -- saving --------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "device_name": self.device_name,
                "notifications": self.notifications, "last_url": self.last_url,
                "accounts": [asdict(a) for a in self.accounts], "authenticator": self.authenticator}

    def save(self) -> None:
        """Write the profile atomically, 0600 from the first byte."""
        data = json.dumps(self.to_dict(), indent=1, ensure_ascii=False).encode()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # a umask only takes bits away
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    # -- accounts ------------------------------------------------------------------------------

    def account(self, name: str, url: str) -> Account | None:
        return next((a for a in self.accounts if a.name == name and a.url == url), None)

    def keep(self, paired: Account) -> None:
        """A new pairing replaces the entry for the same account on the same server."""
        old = self.account(paired.name, paired.url)
        if old is None:
            self.accounts.append(paired)
        else:
            self.accounts[self.accounts.index(old)] = paired


def _default_name(path: Path) -> str:
    stem = path.stem
    return "secconsole phone" if stem == "phone" else f"secconsole {stem}"[:40]


def _lock(path: Path) -> int:
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ProfileLocked(f"Another secconsole phone is using the profile {path}: close it first, or "
                            "start this one with --profile FILE (another profile plays another device).") from None
    return fd
