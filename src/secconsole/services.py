"""The composition root: one call opens the database, checks the key and builds the services.

The TUI calls ``open_services`` in a thread after its first paint; the CLI calls it directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from secconsole.config import Config
from secconsole.core.accounts import AccountService
from secconsole.core.clock import Clock, SystemClock
from secconsole.core.crypto import SecretBox, fingerprint, load_key, read_key
from secconsole.core.delivery import ChannelSender, OutboxSender, Sender, SmtpSender, SmtpSettings, seal_plain_outbox
from secconsole.core.identity import Identity
from secconsole.core.methods import MethodContext, SecondStep, registry
from secconsole.core.methods.enrollment import Enrollments
from secconsole.core.notices import Notices
from secconsole.core.password_change import PasswordChanges
from secconsole.core.passwords import PasswordHasher
from secconsole.core.payments import Payments
from secconsole.core.policy import PolicyProfile, get_profile
from secconsole.core.signin import SignInService
from secconsole.core.signup import SignUp
from secconsole.core.support import Support
from secconsole.errors import DatabaseError, DatabaseFault, KeyFileError
from secconsole.store import faults
from secconsole.store.engine import Database
from secconsole.store.migrate import ensure_current
from secconsole.store.models import Meta

KEY_FINGERPRINT = "key_fingerprint"
#: In ``meta`` of a database demo mode created; demo mode opens no other.
DEMO_MARK = "demo_database"


class NotADemoDatabase(DatabaseError):
    """Demo mode was pointed at a database it did not create (real accounts, perhaps)."""


@dataclass
class Services:
    config: Config
    clock: Clock
    db: Database
    profile: PolicyProfile
    hasher: PasswordHasher
    box: SecretBox
    accounts: AccountService
    signin: SignInService
    #: Creating an account from the sign-in screen (when ``--signup open``) and email verification.
    signup: SignUp
    passwords: PasswordChanges
    payments: Payments
    identity: Identity
    enrollments: Enrollments
    sender: Sender
    notices: Notices
    support: Support
    #: Every available way's service, by kind (``core.methods.registry``).
    ways: dict[str, SecondStep]
    #: Files holding secrets that other users can read (shown on stderr or as a notice).
    warnings: list[str] = field(default_factory=list)
    _push: object = field(default=None, repr=False)

    def push(self):
        """Mobile app prompts (``core.methods.push.MobilePrompts``): the registry's service once it
        is listed there, else one built here and kept (the API and the console share it)."""
        if "push" in self.ways:
            return self.ways["push"]
        if self._push is None:
            from secconsole.core.methods.push import MobilePrompts

            self._push = MobilePrompts(self.way("totp").ctx)
        return self._push

    def way(self, kind: str):
        """The service of one way, e.g. ``way("totp").start(...)``."""
        try:
            return self.ways[kind]
        except KeyError:
            raise LookupError(f"{registry.get(kind).label} is not available in this version") from None

    def close(self) -> None:
        self.db.dispose()


def open_services(
    config: Config, *, clock: Clock | None = None, migrate: bool | None = None, hasher: PasswordHasher | None = None,
) -> Services:
    """Open everything. ``migrate`` defaults to: upgrade SQLite automatically, never PostgreSQL."""
    profile = get_profile(config.policy)
    db = open_database(config)
    try:
        if config.demo:  # before the migrations and the key file: nothing is touched
            claim_for_demo(db)
        ensure_current(db, auto_upgrade=db.is_sqlite if migrate is None else migrate)
        key_file = key_file_in_use(db, config)
        box = SecretBox(_key_for(db, key_file))
        seal_plain_outbox(db, box)
    except Exception:
        db.dispose()
        raise
    clock = clock or SystemClock()
    hasher = hasher or PasswordHasher()
    sender = make_sender(config, db, clock, box)
    notices = Notices(db, sender, box, clock)
    accounts = AccountService(db, clock, profile, hasher, notices)
    ctx = MethodContext(db=db, clock=clock, box=box, profile=profile, hasher=hasher, sender=sender,
                        issuer=config.issuer, lock_notice=notices.lock, notices=notices,
                        phone_rules=phone_rules(config))
    return Services(
        config=config,
        clock=clock,
        db=db,
        profile=profile,
        hasher=hasher,
        box=box,
        accounts=accounts,
        signin=SignInService(db, clock, profile, hasher, lock_notice=notices.lock),
        signup=SignUp(db, clock, box, profile, sender, accounts, open=config.signup_open, lock_notice=notices.lock),
        passwords=PasswordChanges(db, clock, profile, hasher, notices),
        payments=Payments(db, clock),
        identity=Identity(db, clock, box, profile, lock_notice=notices.lock),
        enrollments=Enrollments(db, clock, notices),
        sender=sender,
        notices=notices,
        support=Support(db, clock, accounts, notices),
        ways={s.kind: registry.service_class(s)(ctx) for s in registry.all_ways() if s.available},
        warnings=exposed_files(key_file, db),
    )


def exposed_files(key_file: Path, db: Database) -> list[str]:
    """Warnings for the database (and its side files) and the key file when others can read them."""
    from secconsole.store import files

    found = [files.exposure(*files.sqlite_files(db.file)) if db.file else None, files.exposure(key_file)]
    return [w for w in found if w]


def make_sender(config: Config, db: Database, clock: Clock, box: SecretBox) -> Sender:
    """Email: SMTP when ``--smtp`` is set (password from SECCONSOLE_SMTP_PASSWORD), else the outbox.
    Text messages: the gateway when ``--sms-webhook`` is set (never in demo mode, whose numbers are
    fictional), else the outbox."""
    outbox = OutboxSender(db, clock, box)
    email: Sender = outbox
    if config.smtp:
        email = SmtpSender(SmtpSettings.parse(
            config.smtp, starttls=config.smtp_starttls, username=config.smtp_user,
            password=os.environ.get("SECCONSOLE_SMTP_PASSWORD"),
        ))
    sms: Sender = outbox
    if config.sms_webhook and not config.demo:
        from secconsole.core.webhook import WebhookSender, WebhookSettings

        sms = WebhookSender(WebhookSettings.parse(config.sms_webhook, os.environ.get("SECCONSOLE_SMS_WEBHOOK_SECRET")))
    return ChannelSender({"email": email, "sms": sms})


def phone_rules(config: Config):
    """Which numbers text messages may go to: the allowed countries, the line-type lookup, and in
    demo mode the fictional numbers of ``demo.phones``."""
    from secconsole.core.phone import PhoneRules, country

    allowed = frozenset(country(c).iso for c in config.sms_countries.replace(" ", "").split(",") if c)
    lookup = None
    if config.line_type_lookup and not config.demo:
        from secconsole.core.line_lookup import HttpLineTypeLookup

        lookup = HttpLineTypeLookup(config.line_type_lookup)
    fixtures = None
    if config.demo:
        from secconsole.demo.phones import FICTIONAL

        fixtures = FICTIONAL
    return PhoneRules(allowed_countries=allowed, lookup=lookup, fixtures=fixtures)


def claim_for_demo(db: Database) -> None:
    """Demo mode's guard: its seeded accounts have published passwords, it shows current codes and
    signs in without a password, so it runs only on a database it created itself (empty when
    first opened, then marked), never on one that may hold real accounts."""
    from secconsole.store.migrate import claim

    if not claim(db, DEMO_MARK, "created by secconsole demo"):
        raise NotADemoDatabase(
            f"{db.display_url} was not created by demo mode, so demo mode will not open it: its seeded "
            "accounts have published passwords and it shows sign-in codes. Run `secconsole demo` without "
            "--db and --data-dir (throwaway data), or give it a new file or folder to keep the demo in "
            "(demo databases made before this check carry no mark either)."
        )


def check_demo_database(config: Config) -> None:
    """``claim_for_demo`` on its own, so the command line can refuse before the console starts."""
    db = open_database(config)
    try:
        claim_for_demo(db)
    finally:
        db.dispose()


def open_database(config: Config) -> Database:
    db = Database(config.db_url)
    if db.is_sqlite:
        path = db.engine.url.database
        if path and path != ":memory:":
            _private_dir(Path(path).expanduser().resolve().parent)
    try:
        with faults.translated(db.display_url), db.engine.connect():
            pass
    except DatabaseFault:
        db.dispose()
        raise
    except Exception as exc:  # the driver's own exception types differ per backend
        db.dispose()
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"Cannot open the database {db.display_url}: {reason}") from None
    return db


def _known_fingerprint(db: Database) -> str | None:
    with db.transaction(readonly=True) as session:
        known = session.get(Meta, KEY_FINGERPRINT)
        return known.value if known else None


def key_file_in_use(db: Database, config: Config) -> Path:
    """``config.key_file`` (``config.key_file_for``'s rule), or the data folder's key for a database
    that used it before the rule kept a named database's key beside it: only when ``FILE.key``
    does not exist and that key's fingerprint is the one the database recorded."""
    earlier = config.earlier_key_file
    if earlier is None or config.key_file.exists() or not earlier.exists():
        return config.key_file
    expected = _known_fingerprint(db)
    if expected is None:
        return config.key_file
    try:
        matches = fingerprint(read_key(earlier)) == expected
    except KeyFileError:
        matches = False
    if matches:
        return earlier
    raise KeyFileError(
        f"The key file {config.key_file} is missing, but this database holds secrets encrypted with key "
        f"{expected}, and {earlier} holds another key. Restore the file or point SECCONSOLE_KEY_FILE at it; "
        "a new key would make those secrets unreadable."
    )


def _key_for(db: Database, key_file: Path) -> bytes:
    """The key for this database, created on first use; a lost key is an error, never replaced."""
    import sqlalchemy as sa

    expected = _known_fingerprint(db)
    if expected is None:
        _private_dir(key_file.parent)
    key = load_key(key_file, expected)
    if expected is None:
        try:
            with db.transaction() as session:
                session.add(Meta(key=KEY_FINGERPRINT, value=fingerprint(key)))
        except sa.exc.IntegrityError:
            # Another process recorded its key first: ours must be the same one.
            return _key_for(db, key_file)
    return key


def _private_dir(path: Path) -> None:
    """Create a data folder only its owner can enter (it holds hashes and the key)."""
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    elif not path.is_dir():
        raise KeyFileError(f"{path} is not a directory.")
