"""The command line: the console, the demo, user administration and database upgrades.

Only the standard library is imported up front, so ``--help`` and the console start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from contextlib import contextmanager
from types import SimpleNamespace
from typing import TYPE_CHECKING

from secconsole import __version__

if TYPE_CHECKING:
    import argparse

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_PENDING = 4
EXIT_SUPPORT = 5
EXIT_INTERNAL = 70


def _parser_class():
    """argparse is imported only when there are arguments to parse: a bare ``secconsole``
    goes straight to the console (bench/startup)."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # one line, not usage plus a line
            self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")

    return _Parser


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
    import argparse

    common = argparse.ArgumentParser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument("--db", metavar="URL", default=s,
                        help="database: a SQLite path or sqlite:/// URL, or postgresql://... (env SECCONSOLE_DB)")
    common.add_argument("--data-dir", metavar="DIR", default=s,
                        help="folder for the default database, key file and log (env SECCONSOLE_DATA_DIR)")
    common.add_argument("--policy", choices=("classic", "nist"), default=s,
                        help="policy profile (env SECCONSOLE_POLICY; default classic)")
    common.add_argument("--issuer", metavar="NAME", default=s,
                        help="name shown in authenticator apps (env SECCONSOLE_ISSUER; default SecConsole)")
    common.add_argument("--smtp", metavar="HOST:PORT", default=s,
                        help="send email through this SMTP server (env SECCONSOLE_SMTP; password in "
                        "SECCONSOLE_SMTP_PASSWORD); without it messages go to the outbox")
    common.add_argument("--smtp-starttls", action="store_true", default=s, help="use STARTTLS with --smtp")
    common.add_argument("--smtp-user", metavar="NAME", default=s, help="log in to the SMTP server as NAME")
    common.add_argument("--step-up-minutes", metavar="N", type=_minutes, default=s,
                        help="settings and payments ask to confirm it's you after N minutes "
                        "(env SECCONSOLE_STEP_UP_MINUTES; default 10)")
    return common


def _minutes(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of minutes, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from secconsole.tui.routes import ROUTES

    _Parser = _parser_class()

    common = _common()
    screens = ", ".join(f"{r.name} ({r.summary})" for r in ROUTES.values())
    parser = _Parser(
        prog="secconsole",
        parents=[common],
        description="A terminal account-security console. With no command, starts the console.",
    )
    parser.add_argument("--version", action="version", version=f"secconsole {__version__}")
    parser.add_argument("--open", metavar="SCREEN", choices=sorted(ROUTES), help=f"start on a screen: {screens}")
    parser.add_argument("--user", metavar="NAME", default="", help="pre-fill the username on the sign-in screen")
    parser.set_defaults(handler=_run_console)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    console = sub.add_parser("console", parents=[common], help="start the console (the default)")
    console.add_argument("--open", metavar="SCREEN", choices=sorted(ROUTES), help=f"start on a screen: {screens}")
    console.add_argument("--user", metavar="NAME", default="", help="pre-fill the username on the sign-in screen")
    console.set_defaults(handler=_run_console)

    demo = sub.add_parser(
        "demo", parents=[common],
        help="the console on a throwaway database with four demo accounts",
        description="Starts the console on a throwaway database seeded with alice, bob, carol and dave; "
        "their passwords are shown on the sign-in screen. --db keeps the data in a file.",
    )
    demo.add_argument("--as", dest="start_as", metavar="USER", help="start signed in as USER")
    demo.add_argument("--user", metavar="NAME", default="", help="pre-fill the username on the sign-in screen")
    demo.add_argument("--open", metavar="SCREEN", choices=sorted(ROUTES), help=f"start on a screen: {screens}")
    demo.set_defaults(handler=_run_demo)

    user = sub.add_parser("user", parents=[common], help="manage accounts", description="Manage accounts.")
    user_sub = user.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser, required=True)
    add = user_sub.add_parser("add", parents=[common], help="create an account",
                              description="Create an account. The password is asked for twice, or read "
                              "from standard input with --password-stdin.")
    add.add_argument("name")
    add.add_argument("--email", required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=_user_add)
    lst = user_sub.add_parser("list", parents=[common], help="list accounts")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler=_user_list)
    show = user_sub.add_parser("show", parents=[common], help="show an account, its methods and recent events")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_user_show)
    unlock = user_sub.add_parser("unlock", parents=[common], help="clear failed sign-ins and any lock (audited)")
    unlock.add_argument("name")
    unlock.set_defaults(handler=_user_unlock)
    reset = user_sub.add_parser("reset-2fa", parents=[common],
                                help="remove every second step of an account (support; audited, user told)")
    reset.add_argument("name")
    reset.set_defaults(handler=_user_reset_2fa)
    identity = user_sub.add_parser(
        "set-identity", parents=[common], help="put an identity record on file (support; audited)",
        description="Put the legal name and date of birth that support checked on file, so the person "
        "can verify their identity on Payments. Only a keyed hash is stored.",
    )
    identity.add_argument("name")
    identity.add_argument("--legal-name", required=True)
    identity.add_argument("--birth-date", required=True, metavar="YYYY-MM-DD")
    identity.set_defaults(handler=_user_set_identity)

    login = sub.add_parser(
        "login", parents=[common], help="sign in without the console, for scripts and developers",
        description="Runs the console's sign-in from a script, printing each step. Standard input holds "
        "the password on its first line (and the answer on the next with --answer-stdin). Exit codes: "
        "0 signed in, 1 bad input, 3 refused, 4 a code was emailed (run again with --code), "
        "5 nothing left: contact support.",
    )
    login.add_argument("name")
    login.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    login.add_argument("--method", choices=("totp", "sms", "push", "question", "email", "recovery"),
                       help="the way to confirm it's you (default: the one the console would start on)")
    login.add_argument("--code", help="the code for totp, email or recovery")
    login.add_argument("--answer-stdin", action="store_true", help="read the security answer from stdin")
    login.add_argument("--give-up", action="append", default=[], metavar="WAY",
                       choices=("totp", "sms", "push", "question"),
                       help="\"I can't use this method\" for WAY (repeatable), as in the console")
    login.set_defaults(handler=_login)

    ssh = sub.add_parser(
        "serve-ssh", parents=[common], help="serve the console over SSH, one console per session",
        description="An SSH server whose sessions each run their own console on a PTY of the client's "
        "size. The SSH user name pre-fills the sign-in screen; the console's password and second step "
        "are the authentication. Sessions without a terminal are refused.",
    )
    ssh.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ssh.add_argument("--port", type=int, default=2222, help="port (default 2222)")
    ssh.add_argument("--host-key", metavar="PATH", help="Ed25519 host key, made on first start "
                     "(default: ssh_host_ed25519_key in the data folder)")
    ssh.add_argument("--demo", action="store_true", help="each session runs `secconsole demo`")
    ssh.add_argument("--authorized-keys", metavar="FILE",
                     help="require an SSH key from this OpenSSH authorized_keys file (the console still "
                     "asks for the password and second step)")
    ssh.add_argument("--max-sessions", type=int, default=50, help="sessions open at once (default 50)")
    ssh.add_argument("--rate", type=int, default=30, metavar="N", help="new connections per address per minute (default 30)")
    ssh.add_argument("--max-session-time", type=int, default=0, metavar="SECONDS",
                     help="close sessions after this long (default: no limit)")
    ssh.add_argument("--idle-timeout", type=int, default=900, metavar="SECONDS",
                     help="close sessions after this long without a key pressed; a notice comes first "
                     "(default 900; 0: never)")
    ssh.add_argument("--drain", type=int, default=30, metavar="SECONDS",
                     help="on SIGTERM, stop listening and give open sessions this long to finish "
                     "(default 30; a second SIGTERM closes them at once)")
    ssh.add_argument("--spawn", choices=("fork", "exec"), default="fork",
                     help="fork sessions from a pre-imported parent (default, fast and light) or exec a "
                     "fresh interpreter per session")
    ssh.set_defaults(handler=_serve_ssh)

    web = sub.add_parser(
        "serve-web", parents=[common], help="serve the demo console in a browser (one console per tab)",
        description="A web server (textual-serve) that runs `secconsole demo` for each browser tab, for "
        "walkthroughs. It has no sign-in of its own, so it listens on loopback unless told otherwise.",
    )
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    web.add_argument("--public-url", metavar="URL", help="the address browsers use, behind a proxy")
    web.add_argument("--console", action="store_true", help="serve the real console instead of the demo")
    web.add_argument("--max-sessions", type=int, default=10, help="tabs open at once (default 10)")
    web.set_defaults(handler=_serve_web)

    unlock_source = sub.add_parser(
        "unlock-source", parents=[common], help="clear failed sign-ins counted against a connection",
        description="Clears the failures counted against one source, as the audit log names it, "
        "e.g. 'ssh 198.51.100.7' or 'local /dev/pts/3'.",
    )
    unlock_source.add_argument("source")
    unlock_source.set_defaults(handler=_unlock_source)

    outbox = sub.add_parser(
        "outbox", parents=[common], help="messages the outbox delivered (where demo codes are read)",
        description="Lists the newest messages the outbox sender delivered: email codes and notices. "
        "With --smtp they go to the SMTP server instead and are not kept.",
    )
    outbox.add_argument("--user", metavar="NAME", help="only this account's messages")
    outbox.add_argument("--limit", type=int, default=10, help="how many (default 10)")
    outbox.add_argument("--json", action="store_true", help="print JSON")
    outbox.set_defaults(handler=_outbox)

    db = sub.add_parser("db", parents=[common], help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser, required=True)
    upgrade = db_sub.add_parser("upgrade", parents=[common], help="apply the schema migrations")
    upgrade.set_defaults(handler=_db_upgrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        args = build_parser().parse_args(argv)
    else:  # plain `secconsole`: straight to the console, no parser to build (bench/startup)
        args = SimpleNamespace(handler=_run_console, open=None, user="")
    from secconsole.errors import SecConsoleError

    try:
        return args.handler(args) or 0
    except SecConsoleError as exc:
        print(f"secconsole: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("secconsole: interrupted; nothing was changed by the unfinished step.", file=sys.stderr)
        return 130
    except Exception as exc:
        from secconsole import errorlog

        try:
            where = errorlog.write(exc, _config(args).error_log)
        except Exception:  # the log itself failed: say so rather than hide the first error
            where = "(the log file could not be written)"
        print(f"secconsole: unexpected error ({type(exc).__name__}); details in {where}", file=sys.stderr)
        return EXIT_INTERNAL


# -- configuration ---------------------------------------------------------------------------


def _config(args: argparse.Namespace, *, demo: bool = False, **overrides):
    from secconsole import config

    keys = ("db", "data_dir", "policy", "issuer", "step_up_minutes", "smtp", "smtp_starttls", "smtp_user")
    values = {k: getattr(args, k, None) for k in keys}
    values.update(overrides)
    return config.resolve(demo=demo, source=config.detect_source(), **values)


@contextmanager
def _opened(args: argparse.Namespace):
    """The services for one command, closed however it ends."""
    from secconsole.services import open_services

    services = open_services(_config(args))
    try:
        yield services
    finally:
        services.close()


# -- the console -----------------------------------------------------------------------------


def _run_console(args: argparse.Namespace) -> int:
    return _run_app(_config(args), open_screen=args.open, prefill=args.user)


def _run_demo(args: argparse.Namespace) -> int:
    config, throwaway = demo_config(args)
    if throwaway:
        _remove_on_hangup(throwaway)
    try:
        return _run_app(config, open_screen=args.open, start_as=args.start_as, prefill=args.user)
    finally:
        if throwaway:  # the database loader thread has finished: app.run waits for it
            _remove_folder(throwaway)


def _remove_on_hangup(folder: str) -> None:
    """A closed terminal or SSH connection (SIGHUP) or a stop (SIGTERM) would end the process
    before `finally` runs: the throwaway demo data (its key file too) goes first."""
    import signal

    def remove_and_exit(signum, frame) -> None:
        _remove_folder(folder, settle=0.15)
        os._exit(128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, remove_and_exit)


def _remove_folder(folder: str, *, settle: float = 0.0) -> None:
    """Remove it; with `settle`, keep watching that long after it is gone, for a hangup during
    start-up, when the database loader thread may still be writing into it or making it again."""
    import shutil
    import time

    deadline = time.monotonic() + 1.0 + settle
    gone_since = None
    while time.monotonic() < deadline:
        shutil.rmtree(folder, ignore_errors=True)
        now = time.monotonic()
        if os.path.exists(folder):
            gone_since = None
        elif gone_since is None:
            gone_since = now
        if gone_since is not None and now - gone_since >= settle:
            return
        time.sleep(0.03)


def demo_config(args: argparse.Namespace, environ=os.environ):
    """The demo's configuration and the throwaway folder to delete at exit (None: keep all).

    Without --data-dir the data lives in a temporary folder; --db keeps the database in a file,
    and then its key is kept beside it (``NAME.key``), or the next run could not read it."""
    import tempfile
    from dataclasses import replace

    from secconsole.config import default_log_file

    if getattr(args, "data_dir", None) or environ.get("SECCONSOLE_DATA_DIR"):
        return _config(args, demo=True), None
    throwaway = tempfile.mkdtemp(prefix="secconsole-demo-")
    # The throwaway folder goes at exit; the log stays where the person can read it.
    db = getattr(args, "db", None) or environ.get("SECCONSOLE_DB")
    config = replace(_config(args, demo=True, data_dir=throwaway), log_file=default_log_file(), throwaway=not db)
    if db and "SECCONSOLE_KEY_FILE" not in environ and ("://" not in db or db.startswith("sqlite:///")):
        path = Path(db.removeprefix("sqlite:///")).expanduser()
        config = replace(config, key_file=path.with_name(path.name + ".key"))
    return config, throwaway


def _run_app(config, *, open_screen=None, start_as=None, prefill="") -> int:
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        # e.g. `ssh -T` to an sshd whose ForceCommand is the console: say so instead of hanging
        from secconsole.errors import ValidationError

        raise ValidationError("The console needs a terminal: run it in one, or connect with `ssh -t`.")
    from secconsole.tui.app import SecConsoleApp

    app = SecConsoleApp(config, open_screen=open_screen, start_as=start_as, prefill_username=prefill)
    app.run()
    return app.return_code or 0


# -- user administration ---------------------------------------------------------------------


def _read_new_password(args: argparse.Namespace) -> str:
    from secconsole.errors import ValidationError

    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise ValidationError("No password on standard input.")
        return password
    if not sys.stdin.isatty():
        raise ValidationError("Standard input is not a terminal: pass --password-stdin to read the password from it.")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValidationError("The two passwords do not match; nothing was created.")
    return first


def _user_add(args: argparse.Namespace) -> int:
    password = _read_new_password(args)
    with _opened(args) as services:
        account = services.accounts.create(args.name, args.email, password, source="cli user add")
    print(f"Created account {account.username} <{account.email}>.")
    return 0


def _user_list(args: argparse.Namespace) -> int:
    with _opened(args) as services:
        accounts = services.accounts.list()
    if args.json:
        import json

        print(json.dumps([_summary_json(a) for a in accounts], indent=2))
        return 0
    if not accounts:
        print("No accounts yet. Create one with: secconsole user add NAME --email ADDRESS")
        return 0
    print(f"{'USERNAME':<20} {'EMAIL':<32} {'SECOND STEP':<14} STATE")
    for a in accounts:
        print(f"{a.username:<20} {a.email:<32} {', '.join(a.methods_on) or 'off':<14} {'locked' if a.locked else 'ok'}")
    return 0


def _user_show(args: argparse.Namespace) -> int:
    with _opened(args) as services:
        account = services.accounts.get(args.name)
        events = services.accounts.recent_events(args.name)
    data = _account_json(account, events)
    if args.json:
        import json

        print(json.dumps(data, indent=2))
        return 0
    print(f"{account.username} <{account.email}>")
    print(f"  created            {data['created_at']}")
    print(f"  password changed   {data['password_changed_at']}")
    print(f"  last sign-in       {data['last_sign_in_at'] or 'never'}")
    print(f"  identity verified  {'yes' if account.identity_verified else 'no'}")
    print(f"  email fallback     {'on' if account.email_fallback_enabled else 'off'}")
    print(f"  security question  {'set' if account.security_question else 'not set'}")
    cards = ", ".join(f"{b['brand']} ending in {b['last4']}" for b in data["billing_methods"]) or "none"
    print(f"  billing methods    {cards}")
    for kind, state in data["methods"].items():
        print(f"  {state['label']:<18} {'on' if state['enabled'] else 'off'}")
    print(f"  sign-in state      {'LOCKED' if account.locked else 'ok'} ({account.failures} failed attempts)")
    print("  recent events (newest first):")
    for e in data["recent_events"]:
        print(f"    {e['at']}  {e['ref']}  {e['kind']:<22} {e['source']}")
    return 0


def _user_unlock(args: argparse.Namespace) -> int:
    with _opened(args) as services:
        had = services.support.unlock(args.name, source="cli user unlock")
        name = services.accounts.get(args.name).username
    print(f"Unlocked {name}: failed attempts cleared." if had else f"{name} had no failed attempts; nothing to clear.")
    return 0


def _user_reset_2fa(args: argparse.Namespace) -> int:
    with _opened(args) as services:
        removed = services.support.reset_second_steps(args.name, source="cli user reset-2fa")
        name = services.accounts.get(args.name).username
    what = ", ".join(removed) if removed else "nothing (no second step was on)"
    print(f"Reset two-step verification of {name}: removed {what}. They were told by email.")
    return 0


def _user_set_identity(args: argparse.Namespace) -> int:
    with _opened(args) as services:
        account = services.accounts.get(args.name)
        services.identity.record(account.id, args.legal_name, args.birth_date, source="cli user set-identity")
    print(f"Identity record on file for {account.username}; they can now verify their identity on Payments.")
    return 0


def _login(args: argparse.Namespace) -> int:
    from secconsole.core.accounts import SignInOutcome
    from secconsole.core.challenge import Challenge, Way
    from secconsole.errors import ValidationError

    password = sys.stdin.readline().rstrip("\n")
    answer = sys.stdin.readline().rstrip("\n") if args.answer_stdin else ""
    if not password:
        raise ValidationError("No password on standard input.")
    source = f"cli login ({_config(args).source})"
    with _opened(args) as services:
        result = services.accounts.sign_in(args.name, password, source=source)
        print(f"password: {result.message}")
        if result.outcome is SignInOutcome.OK:
            print(f"signed in as {result.account.username}")
            return 0
        if result.outcome is not SignInOutcome.SECOND_STEP:
            return EXIT_REFUSED
        account = result.account
        challenge = Challenge.for_account(account, question_allowed=services.profile.question_counts)
        for way in args.give_up:
            challenge.give_up(Way(way))
        ways = challenge.ways()
        print("second step: can use " + (", ".join(w.value for w in ways) or "nothing"))
        if not ways:
            ref = services.accounts.note_out_of_ways(account.id, source=source)
            print(f"nothing left: contact support and quote {ref}")
            return EXIT_SUPPORT
        way = Way(args.method) if args.method in {w.value for w in Way} else (None if args.method else challenge.first())
        if way is None or way not in ways:
            reason = ("the email code is the last resort: give up every other way first"
                      if args.method == "email" else "not on for this sign-in")
            raise ValidationError(f"{args.method}: {reason}. Ways now: {', '.join(w.value for w in ways)}.")
        print(f"second step: {way.value}")
        if way is Way.QUESTION:
            if not args.answer_stdin:
                raise ValidationError("question: pass --answer-stdin and put the answer on the second line.")
            step = services.questions.verify(account.id, answer, source=source)
        elif way is Way.EMAIL and not args.code:
            where = services.email.send_code(account.id, source=source)
            print(f"email: a code was sent to {where}; run again with --method email --code CODE")
            return EXIT_PENDING
        else:
            if not args.code:
                raise ValidationError(f"{way.value}: pass --code.")
            check = {Way.TOTP: services.totp.verify, Way.EMAIL: services.email.verify,
                     Way.RECOVERY: services.recovery.verify}[way]
            step = check(account.id, args.code, source=source)
        print(f"{way.value}: {step.message}")
        if not step.ok:
            return EXIT_REFUSED
        services.accounts.complete_sign_in(account.id, way.value, source=source)
        print(f"signed in as {account.username}")
        return 0


def _console_args(args: argparse.Namespace) -> list[str]:
    """The options a server passes on to each console it starts."""
    forwarded = []
    for flag, key in (("--db", "db"), ("--data-dir", "data_dir"), ("--policy", "policy"), ("--issuer", "issuer")):
        if getattr(args, key, None):
            forwarded += [flag, str(getattr(args, key))]
    return forwarded


def _log_to_stderr() -> None:
    """A server's log: timestamped lines on stderr."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)


def _serve_ssh(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from secconsole.errors import ValidationError
    from secconsole.ssh.server import ConsoleServer, SshSettings

    config = _config(args)
    forwarded = _console_args(args)
    keys = Path(args.authorized_keys).expanduser() if args.authorized_keys else None
    if keys is not None and not keys.is_file():
        raise ValidationError(f"The authorized keys file {keys} does not exist.")
    if args.max_sessions < 1 or args.rate < 1:
        raise ValidationError("--max-sessions and --rate take a positive number.")
    if min(args.max_session_time, args.idle_timeout, args.drain) < 0:
        raise ValidationError("--max-session-time, --idle-timeout and --drain take 0 or more seconds.")
    settings = SshSettings(
        host=args.host, port=args.port, demo=args.demo, console_args=forwarded,
        host_key=Path(args.host_key).expanduser() if args.host_key else config.data_dir / "ssh_host_ed25519_key",
        authorized_keys=keys, max_sessions=args.max_sessions, rate_per_minute=args.rate,
        max_session_seconds=args.max_session_time, idle_seconds=args.idle_timeout,
        drain_seconds=args.drain, spawn=args.spawn,
    )
    _log_to_stderr()
    logging.getLogger("asyncssh").setLevel(logging.WARNING)  # a dozen lines per session otherwise

    async def main() -> None:
        server = ConsoleServer(settings)
        try:
            await server.start()
        except OSError as exc:
            await server.spawner.close()
            raise ValidationError(f"Cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}.") from None
        print(f"Serving the console on ssh://{settings.host}:{settings.port}"
              f"{' (demo)' if settings.demo else ''}; host key {server.key.get_fingerprint()}", flush=True)
        signals = asyncio.Queue()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, signals.put_nowait, sig)
        await signals.get()
        stop_now = asyncio.Event()
        print(f"Stopping: no new sessions; {len(server.sessions)} open session(s) get up to "
              f"{settings.drain_seconds} s to finish (signal again to close them now).", flush=True)

        async def second_signal() -> None:
            await signals.get()
            stop_now.set()

        again = asyncio.ensure_future(second_signal())
        await server.drain(stop_now)
        again.cancel()
        print("Stopped.", flush=True)

    asyncio.run(main())
    return 0


def _serve_web(args: argparse.Namespace) -> int:
    from secconsole.errors import ValidationError
    from secconsole.web.server import WebSettings, is_loopback, make_server

    forwarded = _console_args(args)
    if args.max_sessions < 1 or not 0 < args.port < 65536:
        raise ValidationError("--max-sessions takes a positive number and --port one from 1 to 65535.")
    settings = WebSettings(host=args.host, port=args.port, public_url=args.public_url, demo=not args.console,
                           console_args=forwarded, max_sessions=args.max_sessions)
    if not is_loopback(args.host):
        print(f"secconsole: warning: serving on {args.host}, not loopback: anyone who can reach it gets a "
              "console, with no sign-in in front of it.", file=sys.stderr)
    _log_to_stderr()
    server = make_server(settings)
    print(f"Serving the {'demo ' if settings.demo else ''}console on {server.public_url}", flush=True)
    server.serve()
    return 0


def _unlock_source(args: argparse.Namespace) -> int:
    with _opened(args) as services:
        had = services.support.unlock_source(args.source, by="cli unlock-source")
    print(f"Cleared failed sign-ins from {args.source}." if had else f"{args.source} had no failed sign-ins.")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from secconsole.core.delivery import recent_outbox

    with _opened(args) as services:
        account_id = services.accounts.get(args.user).id if args.user else None
        messages = recent_outbox(services.db, account_id=account_id, limit=max(args.limit, 1))
    if args.json:
        import json

        print(json.dumps([{"at": m.at.isoformat(), "channel": m.channel, "to": m.to, "subject": m.subject,
                           "body": m.body} for m in messages], indent=2))
        return 0
    if not messages:
        print("The outbox is empty.")
    for m in messages:
        print(f"--- {m.at:%Y-%m-%d %H:%M:%S} UTC  {m.channel} to {m.to}\n{m.subject}\n\n{m.body}")
    return 0


def _summary_json(a) -> dict:
    return {
        "username": a.username,
        "email": a.email,
        "created_at": a.created_at.isoformat(),
        "methods_on": a.methods_on,
        "locked": a.locked,
    }


def _account_json(account, events) -> dict:
    def iso(moment):
        return moment.isoformat() if moment else None

    return {
        "username": account.username,
        "email": account.email,
        "created_at": iso(account.created_at),
        "password_changed_at": iso(account.password_changed_at),
        "last_sign_in_at": iso(account.last_sign_in_at),
        "identity_verified": account.identity_verified,
        "email_fallback_enabled": account.email_fallback_enabled,
        "security_question_set": account.security_question is not None,
        "billing_methods": [
            {"brand": b.brand, "last4": b.last4, "exp_month": b.exp_month, "exp_year": b.exp_year}
            for b in account.billing_methods
        ],
        "second_step": account.has_second_step,
        "methods": {
            m.kind.value: {"label": m.label, "enabled": m.enabled, "enabled_at": iso(m.enabled_at), "detail": m.detail}
            for m in account.methods
        },
        "locked": account.locked,
        "failed_attempts": account.failures,
        "recent_events": [
            {"at": iso(e.at), "kind": e.kind, "source": e.source, "ref": e.ref, "detail": e.detail} for e in events
        ],
    }


# -- database --------------------------------------------------------------------------------


def _db_upgrade(args: argparse.Namespace) -> int:
    from secconsole.services import open_database
    from secconsole.store import migrate

    db = open_database(_config(args))
    try:
        before = migrate.current_revision(db)
        migrate.upgrade(db)
        after = migrate.current_revision(db)
    finally:
        db.dispose()
    if before == after:
        print(f"{db.display_url} is already at schema {after} (the latest).")
    else:
        print(f"Upgraded {db.display_url} from schema {before or 'empty'} to {after}.")
    return 0
