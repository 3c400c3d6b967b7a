"""Secret hygiene: every flow that handles a secret is run for real, through the core services and
the command line (``user add`` as a process, the rest through ``cli.main`` in this process, for
speed), and then the database files (SQLite file, WAL, shared memory), the log files,
the audit trail and the command outputs are searched for every secret used. None may appear.

Secrets: passwords (old and new), the authenticator app's seed (base32, raw and hex), every code
typed (app codes, recovery codes in both spellings, email codes), the security answer and its
normalised form, the full card number (spaced and bare), and password hashes where only the
database may keep them (logs, outputs, the audit trail)."""

from __future__ import annotations

import base64
import io
import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from conftest import make_config
from secconsole import errorlog
from secconsole.core.delivery import recent_outbox
from secconsole.core.methods.question import normalize_answer
from secconsole.core.payments import luhn_ok
from secconsole.core.totp import code_at
from secconsole.core.views import SignInOutcome
from secconsole.services import open_services
from secconsole.store.models import Account
from test_cli import run

SRC = "hygiene"
HANA_PASSWORD, HANA_NEW_PASSWORD, IVAN_PASSWORD = "Tulip-Harbor-42!", "Quartz-Falcon-2026%", "Cobalt-Meadow-88#"
CARD = "4539 1488 0343 6467"
QUESTION = "What was the name of the street you grew up on?"
HANA_ANSWER, IVAN_ANSWER = "  Rue  des ÉCOLES ", "Baker Street West"


@dataclass
class Secrets:
    """Every secret used, by a name that says which; ``hashes`` may only be in the database."""
    found: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str) -> None:
        self.found[name] = value

    def seed(self, name: str, secret: str) -> None:
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
        self.found.update({f"{name} seed": secret, f"{name} seed (lower case)": secret.lower(),
                           f"{name} seed (hex)": raw.hex()})
        self.raw = getattr(self, "raw", {}) | {f"{name} seed (raw bytes)": raw}

    def codes(self, name: str, codes: list[str]) -> None:
        for i, code in enumerate(codes):
            self.found[f"{name} {i}"] = code
            self.found[f"{name} {i} (bare)"] = code.replace("-", "")

    def answer(self, name: str, answer: str) -> None:
        self.found[f"{name} answer"] = answer.strip()
        self.found[f"{name} answer (normalised)"] = normalize_answer(answer)


def leaks(blob: bytes, secrets: Secrets, *, hashes: bool, skip: tuple[str, ...] = ()) -> list[str]:
    """The names of the secrets found in ``blob``. Short numeric codes count only as a whole number
    (not inside a longer run of digits, such as a timestamp's)."""
    text = blob.decode("utf-8", "replace")
    names = []
    for name, value in {**secrets.found, **(secrets.hashes if hashes else {})}.items():
        if name.startswith(skip):
            continue
        if value.isdigit():
            if re.search(rf"(?<!\d){value}(?!\d)", text):
                names.append(name)
        elif value.encode() in blob or value in text:
            names.append(name)
    names += [name for name, raw in getattr(secrets, "raw", {}).items() if raw in blob]
    return names


def database_files(data: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data.glob("secconsole.db*"))}


def audit_rows(db_file: Path) -> bytes:
    with sqlite3.connect(db_file) as conn:
        return repr(conn.execute("SELECT * FROM audit_event").fetchall()).encode()


def core_flows(tmp_path, secrets: Secrets) -> dict[str, bytes]:
    """hana through every flow in the core; ivan (made by `user add`) gets his methods here and
    uses them from the command line later. Returns the database files as they are while open."""
    from secconsole.core.clock import ManualClock

    clock = ManualClock(datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc))
    config = make_config(tmp_path)
    services = open_services(config, clock=clock)
    try:
        hana = services.accounts.create("hana", "hana@example.com", HANA_PASSWORD, source=SRC)
        assert services.signin.sign_in("hana", HANA_PASSWORD, source=SRC).outcome is SignInOutcome.OK

        app = services.way("totp")
        pending = app.start(hana.id, "hana")
        secrets.seed("hana", pending.secret)
        enrolled = code_at(pending.secret, clock.now(), pending.params)
        assert app.confirm(pending, enrolled, source=SRC).ok
        clock.advance(seconds=30)
        assert services.signin.sign_in("hana", HANA_PASSWORD, source=SRC).outcome is SignInOutcome.SECOND_STEP
        signed = code_at(pending.secret, clock.now(), pending.params)
        assert app.verify(hana.id, signed, source=SRC).ok
        services.signin.complete_sign_in(hana.id, "totp", source=SRC)
        secrets.codes("hana app code", [enrolled, signed])

        services.way("question").set(hana.id, QUESTION, HANA_ANSWER, source=SRC)
        assert services.way("question").verify(hana.id, "rue des écoles", source=SRC).ok
        secrets.answer("hana", HANA_ANSWER)

        recovery = services.way("recovery").generate(hana.id, source=SRC)
        assert services.way("recovery").verify(hana.id, recovery[3].upper(), source=SRC).ok
        secrets.codes("hana recovery code", recovery)

        services.way("email").send_code(hana.id, source=SRC)
        body = recent_outbox(services.db, services.box, account_id=hana.id, limit=1)[0].body
        email_code = re.search(r"code is (\d{6})", body).group(1)
        assert services.way("email").verify(hana.id, email_code, source=SRC).ok
        secrets.codes("hana email code", [email_code])

        assert luhn_ok(CARD.replace(" ", ""))
        services.payments.add_card(hana.id, "Hana Sato", CARD, "12/30", source=SRC)
        secrets.add("card number", CARD)
        secrets.add("card number (bare)", CARD.replace(" ", ""))

        services.passwords.change_password(hana.id, HANA_PASSWORD, HANA_NEW_PASSWORD, source=SRC)
        assert services.signin.sign_in("hana", HANA_NEW_PASSWORD, source=SRC).outcome is SignInOutcome.SECOND_STEP

        ivan = services.accounts.get("ivan")
        pending = app.start(ivan.id, "ivan")
        secrets.seed("ivan", pending.secret)
        enrolled = code_at(pending.secret, clock.now(), pending.params)
        assert app.confirm(pending, enrolled, source=SRC).ok
        secrets.codes("ivan app code (enrolment)", [enrolled])
        secrets.ivan_seed, secrets.ivan_params = pending.secret, pending.params
        secrets.ivan_recovery = services.way("recovery").generate(ivan.id, source=SRC)
        secrets.codes("ivan recovery code", secrets.ivan_recovery)
        services.way("question").set(ivan.id, QUESTION, IVAN_ANSWER, source=SRC)
        secrets.answer("ivan", IVAN_ANSWER)

        with services.db.engine.connect() as conn:
            for name, hashed in conn.execute(sa.text("SELECT username, password_hash FROM account")).all():
                secrets.hashes[f"{name} password hash"] = hashed
        # An unexpected database error on the way to the log: its statement's values stay out.
        try:
            with services.db.transaction() as session:
                session.add(Account(username="hana", username_key="hana", email="x@example.com",
                                    password_hash=secrets.hashes["hana password hash"],
                                    password_changed_at=clock.now(), created_at=clock.now()))
        except sa.exc.IntegrityError as exc:
            errorlog.write(exc, config.error_log)
        else:
            raise AssertionError("the duplicate account was accepted")
        return database_files(config.data_dir)  # while open: the WAL still holds the newest pages
    finally:
        services.close()


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def cli(monkeypatch, capsys, tmp_path, *args: str, stdin: str = "") -> Ran:
    """``secconsole ARGS`` as ``test_cli.run`` runs it, in this process: a dozen interpreters
    starting would cost more than the rest of the test."""
    from secconsole.cli import main

    for name in ("SECCONSOLE_DB", "SECCONSOLE_KEY_FILE", "SECCONSOLE_POLICY", "SECCONSOLE_SMTP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECCONSOLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return Ran(code, out, err)


def cli_flows(tmp_path, secrets: Secrets, monkeypatch, capsys) -> dict[str, bytes]:
    """ivan signs in with each way from the command line (wall clock: after the core's)."""
    outputs = {}

    def run(_home, *args, stdin=""):
        return cli(monkeypatch, capsys, tmp_path, *args, stdin=stdin)

    def login(name, *args, stdin=IVAN_PASSWORD + "\n", expect=0):
        result = run(tmp_path, "login", "ivan", "--password-stdin", *args, stdin=stdin)
        assert result.returncode == expect, (name, result.stdout, result.stderr)
        outputs[f"login {name}"] = (result.stdout + result.stderr).encode()
        return result

    now = datetime.now(timezone.utc)
    app_code = code_at(secrets.ivan_seed, now, secrets.ivan_params)
    secrets.codes("ivan app code", [app_code])
    login("totp", "--method", "totp", "--code", app_code)
    login("recovery", "--method", "recovery", "--code", secrets.ivan_recovery[0])
    login("question", "--method", "question", "--answer-stdin", stdin=f"{IVAN_PASSWORD}\n{IVAN_ANSWER}\n")
    gave_up = ("--give-up", "totp", "--give-up", "question", "--method", "email")
    login("email (send)", *gave_up, expect=4)
    outbox = run(tmp_path, "outbox", "--user", "ivan", "--limit", "1", "--json").stdout
    email_code = re.search(r"code is (\d{6})", json.loads(outbox)[0]["body"]).group(1)
    secrets.codes("ivan email code", [email_code])
    login("email", *gave_up, "--code", email_code)
    outputs["outbox --json (its email codes excepted)"] = outbox.encode()
    for args in (["user", "show", "ivan", "--json"], ["user", "show", "hana", "--json"], ["user", "list", "--json"]):
        result = run(tmp_path, *args)
        assert result.returncode == 0, result.stderr
        outputs[" ".join(args)] = result.stdout.encode()
    return outputs


def test_no_secret_is_left_in_files_logs_audit_or_outputs(tmp_path, monkeypatch, capsys):
    secrets = Secrets()
    added = run(tmp_path, "user", "add", "ivan", "--email", "ivan@example.com", "--password-stdin",
                stdin=IVAN_PASSWORD + "\n")  # a real process: the command line as a person runs it
    assert added.returncode == 0, added.stderr
    secrets.add("ivan password", IVAN_PASSWORD)
    secrets.add("hana password", HANA_PASSWORD)
    secrets.add("hana new password", HANA_NEW_PASSWORD)
    data = tmp_path / "data"
    open_files = core_flows(tmp_path, secrets)
    outputs = cli_flows(tmp_path, secrets, monkeypatch, capsys)
    closed_files = database_files(data)
    logs = {str(p.relative_to(tmp_path)): p.read_bytes() for p in sorted(tmp_path.rglob("*.log"))}
    assert logs and b"IntegrityError" in logs["data/secconsole.log"]  # the log was written, values hidden

    found = {}
    for where, blob in [*(("open " + k, v) for k, v in open_files.items()),
                        *(("closed " + k, v) for k, v in closed_files.items())]:
        found[where] = leaks(blob, secrets, hashes=False)
    for where, blob in [*logs.items(), ("audit trail", audit_rows(data / "secconsole.db")), *outputs.items()]:
        skip = ("ivan email code",) if where.startswith("outbox") else ()
        found[where] = leaks(blob, secrets, hashes=True, skip=skip)
    assert {where: names for where, names in found.items() if names} == {}
    assert "open secconsole.db-wal" in found and len(secrets.found) > 40
