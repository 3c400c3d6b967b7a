"""`secconsole serve-ssh` and `secconsole serve-web`: one console per SSH session or browser tab;
`secconsole serve-api`: the HTTP API of mobile app prompts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from secconsole.cli.common import console_args, log_to_stderr, opened, resolve_config
from secconsole.cli.console import check_demo_target

if TYPE_CHECKING:
    import argparse


def serve_ssh(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from secconsole.errors import ValidationError
    from secconsole.ssh.server import ConsoleServer, SshSettings

    # Anyone who can reach the port gets a sign-in screen: sign-up is closed unless asked for (or demo).
    config = resolve_config(args, signup_default="open" if args.demo else "closed")
    if args.demo:
        check_demo_target(args)
    forwarded = console_args(args)
    if "--signup" not in forwarded:  # the default (or SECCONSOLE_SIGNUP) as this server resolved it
        forwarded += ["--signup", config.signup]
    keys = Path(args.authorized_keys).expanduser() if args.authorized_keys else None
    if keys is not None and not keys.is_file():
        raise ValidationError(f"The authorized keys file {keys} does not exist.")
    if args.max_sessions < 1 or args.rate < 1:
        raise ValidationError("--max-sessions and --rate take a positive number.")
    if min(args.max_session_time, args.idle_timeout, args.drain) < 0:
        raise ValidationError("--max-session-time, --idle-timeout and --drain take 0 or more seconds.")
    # The push API in its own process beside the sessions (a demo console runs its own instead).
    api = None if args.demo or args.no_push_api else api_settings(args, "push-api-")
    if api is not None and not api.public_url and getattr(args, "push_api_url", None):
        api.public_url = args.push_api_url.rstrip("/")  # the address the consoles are told to use
    settings = SshSettings(
        host=args.host, port=args.port, demo=args.demo, console_args=forwarded,
        host_key=Path(args.host_key).expanduser() if args.host_key else config.data_dir / "ssh_host_ed25519_key",
        authorized_keys=keys, max_sessions=args.max_sessions, rate_per_minute=args.rate,
        max_session_seconds=args.max_session_time, idle_seconds=args.idle_timeout,
        drain_seconds=args.drain, spawn=args.spawn,
    )
    log_to_stderr()
    logging.getLogger("asyncssh").setLevel(logging.WARNING)  # a dozen lines per session otherwise

    async def main() -> None:
        from secconsole.cli.api_child import ApiChild

        # First, so that the first console finds the URL it recorded.
        child = await ApiChild.start(api, console_args(args)) if api is not None else None
        try:
            await serve(child)
        finally:
            if child is not None:
                await child.stop()
        print("Stopped.", flush=True)

    async def serve(child) -> None:
        server = ConsoleServer(settings)
        try:
            await server.start()
        except OSError as exc:
            await server.spawner.close()
            raise ValidationError(f"Cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}.") from None
        signals = asyncio.Queue()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):  # before the banner: whoever read it may stop us at once
            loop.add_signal_handler(sig, signals.put_nowait, sig)
        print(f"Serving the console on ssh://{settings.host}:{settings.port}"
              f"{' (demo)' if settings.demo else ''}; host key {server.key.get_fingerprint()}"
              f"{f'; push API on {child.url}' if child else ''}", flush=True)
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

    asyncio.run(main())
    return 0


def serve_web(args: argparse.Namespace) -> int:
    from secconsole.errors import ValidationError
    from secconsole.web.gate import origin_of, parse_origin
    from secconsole.forwarded import is_loopback
    from secconsole.web.server import WebSettings, make_server

    forwarded = console_args(args)
    if not args.console:
        check_demo_target(args)
    if args.max_sessions < 1 or not 0 < args.port < 65536:
        raise ValidationError("--max-sessions takes a positive number and --port one from 1 to 65535.")
    if args.public_url and origin_of(args.public_url) is None:
        raise ValidationError(f"--public-url takes an http or https address, not {args.public_url!r}.")
    for url in args.allow_origin:
        if parse_origin(url) is None:
            raise ValidationError(f"--allow-origin takes scheme://host[:port] (http or https, no path), not {url!r}.")
    _check_proxies(args.trusted_proxy)
    settings = WebSettings(host=args.host, port=args.port, public_url=args.public_url, demo=not args.console,
                           console_args=forwarded, max_sessions=args.max_sessions,
                           allow_origins=args.allow_origin, trusted_proxies=args.trusted_proxy)
    if not is_loopback(args.host):
        print(f"secconsole: warning: serving on {args.host}, not loopback: anyone who can reach it gets a "
              "console, with no sign-in in front of it.", file=sys.stderr)
    log_to_stderr()
    server = make_server(settings)
    print(f"Serving the {'demo ' if settings.demo else ''}console on {server.public_url}", flush=True)
    server.serve()
    return 0


def _check_proxies(addresses: list[str]) -> None:
    from secconsole.errors import ValidationError
    from secconsole.forwarded import is_ip_address

    for address in addresses:
        if not is_ip_address(address):
            raise ValidationError(f"--trusted-proxy takes an IP address, not {address!r}.")


def api_settings(args: argparse.Namespace, prefix: str = ""):
    """The push API's options (serve-api's, or serve-ssh's ``--push-api-...``) checked, as ``ApiSettings``."""
    from secconsole.api.server import ApiSettings
    from secconsole.errors import ValidationError
    from secconsole.web.gate import origin_of
    from secconsole.forwarded import is_loopback

    dest, flag = prefix.replace("-", "_"), lambda name: f"--{prefix}{name}"
    host, port, public_url, tls_cert, tls_key = (getattr(args, dest + name) for name in
                                                 ("host", "port", "public_url", "tls_cert", "tls_key"))
    if not 0 <= port < 65536:
        raise ValidationError(f"{flag('port')} takes a number from 0 to 65535 (0: any free port).")
    if bool(tls_cert) != bool(tls_key):
        raise ValidationError(f"{flag('tls-cert')} and {flag('tls-key')} go together: give both, or neither.")
    for option, path in ((flag("tls-cert"), tls_cert), (flag("tls-key"), tls_key)):
        if path and not Path(path).expanduser().is_file():
            raise ValidationError(f"{option}: the file {path} does not exist.")
    if not is_loopback(host) and not tls_cert:
        raise ValidationError(f"Serving the push API on {host}, not loopback, needs HTTPS: give {flag('tls-cert')} "
                              f"and {flag('tls-key')} (devices send their answers over it).")
    if public_url and origin_of(public_url) is None:
        raise ValidationError(f"{flag('public-url')} takes an http or https address, not {public_url!r}.")
    proxies = getattr(args, dest + "trusted_proxy", None) or []
    _check_proxies(proxies)
    return ApiSettings(host=host, port=port, public_url=public_url and public_url.rstrip("/"),
                       tls_cert=tls_cert and str(Path(tls_cert).expanduser()),
                       tls_key=tls_key and str(Path(tls_key).expanduser()), trusted_proxies=tuple(proxies))


def serve_api(args: argparse.Namespace) -> int:
    from secconsole.api.server import serve
    from secconsole.errors import ValidationError

    settings = api_settings(args)
    with opened(args) as services:
        log_to_stderr()  # after the migrations, whose log is not the server's
        try:
            serve(services, settings, lambda url: print(f"Serving the push API on {url}", flush=True))
        except OSError as exc:
            raise ValidationError(f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}.") from None
    return 0
