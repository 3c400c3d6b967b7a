"""Where things live and which policy applies, from flags and environment. Cheap to import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ISSUER = "SecConsole"
DB_FILE = "secconsole.db"
KEY_FILE = "secret.key"
LOG_FILE = "secconsole.log"


@dataclass(frozen=True)
class Config:
    data_dir: Path
    db_url: str
    #: Where this database's key lives (``key_file_for``).
    key_file: Path
    issuer: str = DEFAULT_ISSUER
    policy: str = "classic"
    demo: bool = False
    #: Where this process is driven from, for the audit trail.
    source: str = "local"
    #: Unexpected errors are written here (default: beside the database).
    log_file: Path | None = None
    #: Settings and Payments ask for a second check when the last one is older than this.
    step_up_minutes: float = 10.0
    #: ``HOST:PORT`` of an SMTP server for email; None keeps messages in the outbox table.
    smtp: str | None = None
    smtp_starttls: bool = False
    smtp_user: str | None = None
    #: The demo's data lives in a temporary folder deleted at exit.
    throwaway: bool = False
    #: URL of the operator's text-message gateway (``core.webhook``); None keeps texts in the outbox.
    sms_webhook: str | None = None
    #: ISO codes of the countries text messages may go to ("DE,AT"); empty: every country.
    sms_countries: str = ""
    #: URL of a line-type lookup (``core.line_lookup``); None: phonenumbers' metadata only.
    line_type_lookup: str | None = None
    #: Base URL of the push API (``secconsole serve-api``) that paired devices reach; None: not
    #: running, so Settings cannot pair a device for mobile app prompts.
    push_api_url: str | None = None
    #: The data folder's ``secret.key``, used instead of a missing `key_file` when its fingerprint
    #: is the database's: a database named with --db before its key moved beside it.
    earlier_key_file: Path | None = None
    #: "open": anyone at the sign-in screen may create an account; "closed": only ``user add``.
    signup: str = "open"

    @property
    def signup_open(self) -> bool:
        return self.signup == "open"

    @property
    def error_log(self) -> Path:
        return self.log_file or self.data_dir / LOG_FILE

    @property
    def db_is_embedded(self) -> bool:
        """The default SQLite file (or any SQLite URL): upgraded automatically on start."""
        return "://" not in self.db_url or self.db_url.startswith("sqlite")


def key_file_for(db_url: str, data_dir: Path, *, named: bool, environ: Mapping[str, str]) -> Path:
    """The one rule for where a database's key lives, for every command:

    ``SECCONSOLE_KEY_FILE`` when set; else a SQLite file named with --db or SECCONSOLE_DB keeps
    its key beside it as ``FILE.key``; else (the default database, PostgreSQL) ``secret.key`` in
    the data folder. ``services`` falls back to the data folder's key for a named file that has
    no ``FILE.key`` yet when that key is the database's (``Config.earlier_key_file``)."""
    chosen = environ.get("SECCONSOLE_KEY_FILE")
    if chosen:
        return Path(chosen).expanduser()
    path = sqlite_path(db_url) if named else None
    if path is None or path.expanduser().resolve() == (data_dir / DB_FILE).expanduser().resolve():
        return data_dir / KEY_FILE
    path = path.expanduser()
    return path.with_name(path.name + ".key")


def sqlite_path(db_url: str) -> Path | None:
    """The file of a SQLite database (a path or a ``sqlite:///`` URL); None for anything else."""
    if "://" not in db_url:
        return Path(db_url) if db_url != ":memory:" else None
    scheme, _, rest = db_url.partition("://")
    if not scheme.startswith("sqlite") or not rest.startswith("/"):
        return None
    path = rest[1:].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def detect_source(environ: Mapping[str, str] | None = None) -> str:
    """Where this process is driven from: an SSH peer, a browser tab's client (serve-web sets
    SECCONSOLE_WEB_CLIENT; anything but an IP address is ignored) or a local terminal."""
    env = os.environ if environ is None else environ
    ssh = env.get("SSH_CONNECTION", "").split()
    if ssh:
        return f"ssh {ssh[0]}"
    web = _ip_address(env.get("SECCONSOLE_WEB_CLIENT", ""))
    if web:
        return f"web {web}"
    try:
        return f"local {os.ttyname(0)}"
    except OSError:
        return "local (no tty)"


def _ip_address(text: str) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def default_log_file() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir("secconsole", appauthor=False)) / LOG_FILE


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("secconsole", appauthor=False))


def resolve(
    *,
    db: str | None = None,
    data_dir: str | None = None,
    policy: str | None = None,
    issuer: str | None = None,
    demo: bool = False,
    source: str = "local",
    step_up_minutes: float | None = None,
    smtp: str | None = None,
    smtp_starttls: bool | None = None,
    smtp_user: str | None = None,
    signup: str | None = None,
    signup_default: str = "open",
    sms_webhook: str | None = None,
    sms_countries: str | None = None,
    line_type_lookup: str | None = None,
    push_api_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Flags win over ``SECCONSOLE_*`` variables, which win over the defaults."""
    env = os.environ if environ is None else environ
    chosen_dir = data_dir or env.get("SECCONSOLE_DATA_DIR")
    directory = Path(chosen_dir).expanduser() if chosen_dir else default_data_dir()
    named = db or env.get("SECCONSOLE_DB")
    url = named or str(directory / DB_FILE)
    key_file = key_file_for(url, directory, named=bool(named), environ=env)
    shared = directory / KEY_FILE
    return Config(
        data_dir=directory,
        db_url=url,
        key_file=key_file,
        earlier_key_file=shared if key_file != shared else None,
        issuer=issuer or env.get("SECCONSOLE_ISSUER") or DEFAULT_ISSUER,
        policy=policy or env.get("SECCONSOLE_POLICY") or "classic",
        demo=demo,
        source=source,
        step_up_minutes=step_up_minutes if step_up_minutes is not None
        else _minutes(env.get("SECCONSOLE_STEP_UP_MINUTES"), 10.0),
        smtp=smtp or env.get("SECCONSOLE_SMTP") or None,
        smtp_starttls=bool(smtp_starttls) or env.get("SECCONSOLE_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        smtp_user=smtp_user or env.get("SECCONSOLE_SMTP_USER") or None,
        signup=signup or _signup(env.get("SECCONSOLE_SIGNUP")) or signup_default,
        sms_webhook=sms_webhook or env.get("SECCONSOLE_SMS_WEBHOOK") or None,
        sms_countries=sms_countries or env.get("SECCONSOLE_SMS_COUNTRIES") or "",
        line_type_lookup=line_type_lookup or env.get("SECCONSOLE_LINE_TYPE_LOOKUP") or None,
        push_api_url=push_api_url or env.get("SECCONSOLE_PUSH_API_URL") or None,
    )


SIGNUP_CHOICES = ("open", "closed")


def _signup(text: str | None) -> str | None:
    """SECCONSOLE_SIGNUP: "open", "closed", or unset (empty)."""
    if not text:
        return None
    if text not in SIGNUP_CHOICES:
        from secconsole.errors import ValidationError

        raise ValidationError(f"SECCONSOLE_SIGNUP must be open or closed, not {text!r}.")
    return text


#: The most --step-up-minutes may say: a year. "nan", "inf" and larger values would break the
#: step-up check's timedelta (ValueError, OverflowError) the first time Settings opens.
MINUTES_MAX = 60 * 24 * 366


def parse_minutes(text: str) -> float | None:
    """A number of minutes from 0 to ``MINUTES_MAX``, or None when `text` is not one; --step-up-minutes too."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= MINUTES_MAX else None  # False for nan


def _minutes(text: str | None, default: float) -> float:
    if not text:
        return default
    value = parse_minutes(text)
    if value is None:
        from secconsole.errors import ValidationError

        raise ValidationError(f"SECCONSOLE_STEP_UP_MINUTES must be a number of minutes from 0 to {MINUTES_MAX}, "
                              f"not {text!r}.")
    return value
