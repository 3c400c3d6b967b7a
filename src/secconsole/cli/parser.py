"""The argparse parser: the options every command takes and each command's own.

Handlers are named as ``"module:function"`` strings in this package and imported by `main` only
when their command runs, so building the parser imports no command's dependencies.
"""

from __future__ import annotations

import argparse

from secconsole import __version__
from secconsole.cli import EXIT_USAGE
from secconsole.tui.routes import ROUTES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage plus a line
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
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
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of minutes, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
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
    parser.set_defaults(handler="console:run_console")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    console = sub.add_parser("console", parents=[common], help="start the console (the default)")
    console.add_argument("--open", metavar="SCREEN", choices=sorted(ROUTES), help=f"start on a screen: {screens}")
    console.add_argument("--user", metavar="NAME", default="", help="pre-fill the username on the sign-in screen")
    console.set_defaults(handler="console:run_console")

    demo = sub.add_parser(
        "demo", parents=[common],
        help="the console on a throwaway database with four demo accounts",
        description="Starts the console on a throwaway database seeded with alice, bob, carol and dave; "
        "their passwords are shown on the sign-in screen. --db keeps the data in a file.",
    )
    demo.add_argument("--as", dest="start_as", metavar="USER", help="start signed in as USER")
    demo.add_argument("--user", metavar="NAME", default="", help="pre-fill the username on the sign-in screen")
    demo.add_argument("--open", metavar="SCREEN", choices=sorted(ROUTES), help=f"start on a screen: {screens}")
    demo.set_defaults(handler="console:run_demo")

    user = sub.add_parser("user", parents=[common], help="manage accounts", description="Manage accounts.")
    user_sub = user.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser, required=True)
    add = user_sub.add_parser("add", parents=[common], help="create an account",
                              description="Create an account. The password is asked for twice, or read "
                              "from standard input with --password-stdin.")
    add.add_argument("name")
    add.add_argument("--email", required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler="users:add")
    lst = user_sub.add_parser("list", parents=[common], help="list accounts")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler="users:list_accounts")
    show = user_sub.add_parser("show", parents=[common], help="show an account, its methods and recent events")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler="users:show")
    unlock = user_sub.add_parser("unlock", parents=[common], help="clear failed sign-ins and any lock (audited)")
    unlock.add_argument("name")
    unlock.set_defaults(handler="users:unlock")
    reset = user_sub.add_parser("reset-2fa", parents=[common],
                                help="remove every second step of an account (support; audited, user told)")
    reset.add_argument("name")
    reset.set_defaults(handler="users:reset_2fa")
    identity = user_sub.add_parser(
        "set-identity", parents=[common], help="put an identity record on file (support; audited)",
        description="Put the legal name and date of birth that support checked on file, so the person "
        "can verify their identity on Payments. Only a keyed hash is stored.",
    )
    identity.add_argument("name")
    identity.add_argument("--legal-name", required=True)
    identity.add_argument("--birth-date", required=True, metavar="YYYY-MM-DD")
    identity.set_defaults(handler="users:set_identity")

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
    login.set_defaults(handler="login:run")

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
    ssh.set_defaults(handler="serve:serve_ssh")

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
    web.set_defaults(handler="serve:serve_web")

    unlock_source = sub.add_parser(
        "unlock-source", parents=[common], help="clear failed sign-ins counted against a connection",
        description="Clears the failures counted against one source, as the audit log names it, "
        "e.g. 'ssh 198.51.100.7' or 'local /dev/pts/3'.",
    )
    unlock_source.add_argument("source")
    unlock_source.set_defaults(handler="users:unlock_source")

    outbox = sub.add_parser(
        "outbox", parents=[common], help="messages the outbox delivered (where demo codes are read)",
        description="Lists the newest messages the outbox sender delivered: email codes and notices. "
        "With --smtp they go to the SMTP server instead and are not kept.",
    )
    outbox.add_argument("--user", metavar="NAME", help="only this account's messages")
    outbox.add_argument("--limit", type=int, default=10, help="how many (default 10)")
    outbox.add_argument("--json", action="store_true", help="print JSON")
    outbox.set_defaults(handler="users:outbox")

    db = sub.add_parser("db", parents=[common], help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser, required=True)
    upgrade = db_sub.add_parser("upgrade", parents=[common], help="apply the schema migrations")
    upgrade.set_defaults(handler="db:upgrade")
    return parser
