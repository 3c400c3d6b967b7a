"""The argparse parser: the options every command takes and each command's own.

Handlers are named as ``"module:function"`` strings in this package and imported by `main` only
when their command runs, so building the parser imports no command's dependencies.
"""

from __future__ import annotations

import argparse

from secconsole import __version__
from secconsole.cli import EXIT_USAGE
from secconsole.config import MINUTES_MAX, SIGNUP_CHOICES, parse_minutes
from secconsole.core.methods import Role, registry
from secconsole.tui.routes import ROUTES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage plus a line
        from secconsole.core.text import printable  # argparse quotes unknown arguments raw

        self.exit(EXIT_USAGE, f"{self.prog}: {printable(message)} (see --help)\n")


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
    common.add_argument("--signup", choices=SIGNUP_CHOICES, default=s,
                        help="whether the sign-in screen lets anyone create an account (env SECCONSOLE_SIGNUP; "
                        "default open, closed for serve-ssh without --demo)")
    common.add_argument("--issuer", metavar="NAME", default=s,
                        help="name shown in authenticator apps (env SECCONSOLE_ISSUER; default SecConsole)")
    common.add_argument("--smtp", metavar="HOST:PORT", default=s,
                        help="send email through this SMTP server (env SECCONSOLE_SMTP; password in "
                        "SECCONSOLE_SMTP_PASSWORD); without it messages go to the outbox")
    common.add_argument("--smtp-starttls", action="store_true", default=s, help="use STARTTLS with --smtp")
    common.add_argument("--smtp-user", metavar="NAME", default=s, help="log in to the SMTP server as NAME")
    common.add_argument("--sms-webhook", metavar="URL", default=s,
                        help="send text messages to this gateway as signed JSON POSTs (env SECCONSOLE_SMS_WEBHOOK; "
                        "the signing secret in SECCONSOLE_SMS_WEBHOOK_SECRET; docs/sms-webhook.md); without it "
                        "they go to the outbox")
    common.add_argument("--sms-countries", metavar="CC,CC", default=s,
                        help="text messages only to numbers in these countries, e.g. DE,AT,CH (env "
                        "SECCONSOLE_SMS_COUNTRIES; default every country)")
    common.add_argument("--line-type-lookup", metavar="URL", default=s,
                        help="ask this service whether a number is mobile, landline or VoIP before sending "
                        "(env SECCONSOLE_LINE_TYPE_LOOKUP; docs/sms-webhook.md)")
    common.add_argument("--push-api-url", metavar="URL", default=s,
                        help="the push API's address as paired phones reach it, e.g. https://push.example.com "
                        "(env SECCONSOLE_PUSH_API_URL; docs/push-protocol.md); without it no device can be paired")
    common.add_argument("--step-up-minutes", metavar="N", type=_minutes, default=s,
                        help="settings and payments ask to confirm it's you after N minutes "
                        "(env SECCONSOLE_STEP_UP_MINUTES; default 10)")
    return common


def _minutes(text: str) -> float:
    value = parse_minutes(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a number of minutes from 0 to {MINUTES_MAX}, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="secconsole",
        parents=[common],
        description="A terminal account-security console. With no command, starts the console.",
        epilog="Exit status: 0 done, 1 bad input or refused, 2 bad usage, 3-5 see `login --help`; faults: "
        "65 database damaged, 69 mail server unavailable, 74 disk full, 75 database busy (try again), "
        "77 database read-only, 78 key file missing or wrong, 70 unexpected (details in the log).",
    )
    parser.add_argument("--version", action="version", version=f"secconsole {__version__}")
    _console_options(parser)
    parser.set_defaults(handler="console:run_console")
    commands = _Commands(parser, common)
    _add_console_commands(commands)
    _add_user_commands(commands.group("user", help="manage accounts", description="Manage accounts."))
    _add_login_command(commands)
    _add_server_commands(commands)
    _add_support_commands(commands)
    db = commands.group("db", help="database maintenance", description="Database maintenance.")
    db.add("upgrade", "db:upgrade", help="apply the schema migrations")
    return parser


class _Commands:
    """The commands under a parser. Each takes the common options, before or after its name, and
    names its handler as "module:function" in this package (`main` imports it when it runs)."""

    def __init__(self, parser: argparse.ArgumentParser, common: argparse.ArgumentParser, *, required=False):
        self._sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser,
                                          required=required)
        self._common = common

    def add(self, name: str, handler: str | None = None, **kwargs) -> argparse.ArgumentParser:
        command = self._sub.add_parser(name, parents=[self._common], **kwargs)
        if handler is not None:
            command.set_defaults(handler=handler)
        return command

    def group(self, name: str, **kwargs) -> _Commands:
        """A command whose own commands follow it (``user add``); one of them is required."""
        return _Commands(self.add(name, **kwargs), self._common, required=True)


def _console_options(parser: argparse.ArgumentParser, *, demo: bool = False) -> None:
    screens = ", ".join(r.name for r in ROUTES.values() if demo or not r.demo_only)
    parser.add_argument("--open", metavar="SCREEN", choices=sorted(ROUTES),
                        help=f"start on a screen: {screens}" + (" (see --list-screens)" if demo else ""))
    parser.add_argument("--user", metavar="NAME", default="", help="pre-fill the username on the sign-in screen")
    if demo:
        from secconsole.demo.states import STATES

        parser.add_argument("--state", metavar="NAME", choices=sorted(STATES),
                            help="put an account (--as, or the state's own) in a state first (see --list-states)")
        parser.add_argument("--list-screens", action="store_true", help="list the screens --open takes, and exit")
        parser.add_argument("--list-states", action="store_true", help="list the states --state takes, and exit")
    else:  # said, not "unrecognized arguments": these exist in demo mode only
        s = argparse.SUPPRESS
        parser.add_argument("--state", action=_DemoOnly, nargs=1, default=s, help=s)
        parser.add_argument("--list-screens", action=_DemoOnly, nargs=0, default=s, help=s)
        parser.add_argument("--list-states", action=_DemoOnly, nargs=0, default=s, help=s)


class _DemoOnly(argparse.Action):
    """An option of ``secconsole demo`` given to the normal console: a usage error that says so."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error(f"{option_string} exists only in demo mode: secconsole demo {option_string}")


def _listen_options(parser: argparse.ArgumentParser, port: int, prefix: str = "", what: str = "") -> None:
    parser.add_argument(f"--{prefix}host", default="127.0.0.1", help=f"address {what}to listen on (default 127.0.0.1)")
    parser.add_argument(f"--{prefix}port", type=int, default=port, help=f"{what}port (default {port}; 0: any free port)"
                        if prefix else f"port (default {port})")


def _push_api_options(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """Where the push API listens and how devices reach it: serve-api's own options, and serve-ssh's
    for the API it runs beside its sessions (the same options, named --push-api-...)."""
    what = "for the push API " if prefix else ""
    _listen_options(parser, 8765, prefix, what)
    parser.add_argument(f"--{prefix}public-url", metavar="URL",
                        help="the address devices use, put in pairing links (default http(s)://HOST:PORT)")
    parser.add_argument(f"--{prefix}tls-cert", metavar="FILE", help="serve HTTPS with this certificate chain (PEM)")
    parser.add_argument(f"--{prefix}tls-key", metavar="FILE", help="the certificate's private key (PEM)")


def _add_console_commands(commands: _Commands) -> None:
    _console_options(commands.add("console", "console:run_console", help="start the console (the default)"))
    demo = commands.add(
        "demo", "console:run_demo",
        help="the console on a throwaway database with four demo accounts",
        description="Starts the console on a throwaway database seeded with alice, bob, carol and dave; "
        "their passwords are shown on the sign-in screen. --db keeps the data in a file.",
    )
    demo.add_argument("--as", dest="start_as", metavar="USER",
                      help="start signed in as USER (with --open challenge...: the password step passed)")
    _console_options(demo, demo=True)
    phone = commands.add(
        "phone", "phone:run", help="a companion phone app: answer mobile app prompts, authenticator codes",
        description="A separate app that plays your phone or tablet: pair it with the link or code the console "
        "shows (Settings › Mobile app prompt), then answer sign-in prompts with number matching. It speaks only "
        "the push protocol (docs/push-protocol.md) over HTTP. Its keys and accounts live in a 0600 profile "
        "file; run two with different --profile files to play a phone and a tablet.",
    )
    phone.add_argument("--profile", metavar="FILE",
                       help="the profile file (default: phone.json in the user data folder)")


def _add_user_commands(user: _Commands) -> None:
    add = user.add("add", "users:add", help="create an account",
                   description="Create an account. The password is asked for twice, or read "
                   "from standard input with --password-stdin.")
    add.add_argument("name")
    add.add_argument("--email", required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    lst = user.add("list", "users:list_accounts", help="list accounts")
    lst.add_argument("--json", action="store_true", help="print JSON")
    show = user.add("show", "users:show", help="show an account, its methods and recent events")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    user.add("unlock", "users:unlock", help="clear failed sign-ins and any lock (audited, user told)",
             description="Clears every failure counter and lock of the account and emails the owner which. "
             "Exit codes: 0 cleared, 1 bad input, 6 nothing to clear (no one is told).").add_argument("name")
    user.add("reset-2fa", "users:reset_2fa",
             help="remove every second step of an account (support; audited, user told)",
             description="Removes every two-step method of the account and clears its failure counters; the "
             "owner is emailed exactly what was removed. Exit codes: 0 reset, 1 bad input, 6 nothing to "
             "remove or clear (no one is told).").add_argument("name")
    identity = user.add(
        "set-identity", "users:set_identity", help="put an identity record on file (support; audited)",
        description="Put the legal name and date of birth that support checked on file, so the person "
        "can verify their identity on Payments. Only a keyed hash is stored.",
    )
    identity.add_argument("name")
    identity.add_argument("--legal-name", required=True)
    identity.add_argument("--birth-date", required=True, metavar="YYYY-MM-DD")


def _add_login_command(commands: _Commands) -> None:
    login = commands.add(
        "login", "login:run", help="sign in without the console, for scripts and developers",
        description="Runs the console's sign-in, printing each step. At a terminal it asks for the password "
        "(and the answer or code) with hidden input; from a script, standard input holds the password on its "
        "first line with --password-stdin (and the answer on the next with --answer-stdin). Exit codes: "
        "0 signed in, 1 bad input, 2 bad usage (no terminal and no --password-stdin), 3 refused (also when the "
        "password must be changed first: a mobile app prompt was reported as not you), 4 a code was "
        "emailed (run the command it prints, with --code), 5 nothing left: contact support.",
    )
    login.add_argument("name")
    login.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of stdin (needed without a terminal)")
    login.add_argument("--method", choices=registry.kinds(),
                       help="the way to confirm it's you (default: the one the console would start on)")
    login.add_argument("--code", help="the code for totp, email or recovery")
    login.add_argument("--answer-stdin", action="store_true", help="read the security answer from stdin")
    login.add_argument("--give-up", action="append", default=[], metavar="WAY",
                       choices=[s.kind for s in registry.methods()] + [s.kind for s in registry.all_ways()
                                                                       if s.role is Role.BACKUP],
                       help="\"I can't use this method\" for WAY (repeatable), as in the console")


def _add_server_commands(commands: _Commands) -> None:
    ssh = commands.add(
        "serve-ssh", "serve:serve_ssh", help="serve the console over SSH, one console per session",
        description="An SSH server whose sessions each run their own console on a PTY of the client's "
        "size. The SSH user name pre-fills the sign-in screen; the console's password and second step "
        "are the authentication. Sessions without a terminal are refused.",
    )
    _listen_options(ssh, port=2222)
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
    _push_api_options(ssh, prefix="push-api-")
    ssh.add_argument("--no-push-api", action="store_true",
                     help="do not run the push API beside the sessions (a separate `secconsole serve-api` "
                     "serves it); without --demo it runs by default, in its own process")

    web = commands.add(
        "serve-web", "serve:serve_web", help="serve the demo console in a browser (one console per tab)",
        description="A web server (textual-serve) that runs `secconsole demo` for each browser tab, for "
        "walkthroughs. It has no sign-in of its own, so it listens on loopback unless told otherwise. "
        "Requests must name this server in their Host header, and a console's websocket must come from "
        "a page of this server (its address or --public-url) or of an --allow-origin.",
    )
    _listen_options(web, port=8000)
    web.add_argument("--public-url", metavar="URL", help="the address browsers use, behind a proxy")
    web.add_argument("--console", action="store_true", help="serve the real console instead of the demo")
    web.add_argument("--max-sessions", type=int, default=10, help="tabs open at once (default 10)")
    web.add_argument("--allow-origin", action="append", default=[], metavar="URL",
                     help="also let pages from this origin (scheme://host[:port]) open a console; repeatable. "
                     "Without it only pages of this server (its address or --public-url) may")
    web.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDR",
                     help="a reverse proxy's IP address whose X-Forwarded-For names the client; repeatable. "
                     "Each tab's client address is its console's source (audit trail, per-source lockout)")

    api = commands.add(
        "serve-api", "serve:serve_api", help="serve the HTTP API mobile apps use to answer sign-in prompts",
        description="The push API of docs/push-protocol.md: devices pair with a code shown in Settings, then "
        "long-poll for prompts and answer them with number matching. Every request after pairing is signed "
        "by the device. Plain HTTP only on loopback: another address needs --tls-cert and --tls-key. "
        "Pairing tries are limited per client address (10, then a minute's wait; a valid code is not counted), "
        "shared by every API host on one database; refused device requests are audited as push.refused "
        "(at most 10 events per address a minute).",
    )
    _push_api_options(api)
    api.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDR",
                     help="a reverse proxy's IP address whose X-Forwarded-For names the client; repeatable. "
                     "The client address is the audit trail's source and the pairing limit's key; a trusted "
                     "proxy's X-Forwarded-For that does not end in an IP address is refused (400)")


def _add_support_commands(commands: _Commands) -> None:
    unlock_source = commands.add(
        "unlock-source", "users:unlock_source", help="clear failed sign-ins counted against a connection",
        description="Clears the failures counted against one source, as the audit log names it, "
        "e.g. 'ssh 198.51.100.7' or 'local /dev/pts/3'.",
    )
    unlock_source.add_argument("source")
    outbox = commands.add(
        "outbox", "users:outbox", help="messages the outbox delivered (where demo codes are read)",
        description="Lists the newest messages the outbox sender delivered: email codes and notices. "
        "With --smtp they go to the SMTP server instead and are not kept.",
    )
    outbox.add_argument("--user", metavar="NAME", help="only this account's messages")
    outbox.add_argument("--limit", type=int, default=10, help="how many (default 10)")
    outbox.add_argument("--json", action="store_true", help="print JSON")
