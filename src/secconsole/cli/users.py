"""Account administration from the shell: `user add/list/show/unlock/reset-2fa/set-identity`,
`unlock-source` and `outbox`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from secconsole.cli import EXIT_NOTHING_TO_DO
from secconsole.cli.common import command_line, opened, read_new_password, say

if TYPE_CHECKING:
    import argparse


def add(args: argparse.Namespace) -> int:
    password = read_new_password(args)
    with opened(args) as services:
        account = services.accounts.create(args.name, args.email, password, source="cli user add")
    say(f"Created account {account.username} <{account.email}>.")
    return 0


def list_accounts(args: argparse.Namespace) -> int:
    with opened(args) as services:
        accounts = services.accounts.list()
    if args.json:
        _print_json([_summary_json(a) for a in accounts])
        return 0
    if not accounts:
        say("No accounts yet. Create one with: " + command_line(args, "user", "add", "NAME", "--email", "ADDRESS"))
        return 0
    say(f"{'USERNAME':<20} {'EMAIL':<32} {'SECOND STEP':<14} STATE")
    for a in accounts:
        say(f"{a.username:<20} {a.email:<32} {', '.join(a.methods_on) or 'off':<14} {'locked' if a.locked else 'ok'}")
    return 0


def show(args: argparse.Namespace) -> int:
    from secconsole.core.methods import registry

    with opened(args) as services:
        account = services.accounts.get(args.name)
        events = services.accounts.recent_events(args.name)
    data = _account_json(account, events)
    if args.json:
        _print_json(data)
        return 0
    say(f"{account.username} <{account.email}>")
    rows = [
        ("created", data["created_at"]),
        ("password changed", data["password_changed_at"]),
        *([("password", "must be changed at the next sign-in (a mobile app prompt was reported as not you)")]
          if account.password_change_required else []),
        ("last sign-in", data["last_sign_in_at"] or "never"),
        ("identity verified", "yes" if account.identity_verified else "no"),
        ("email fallback", "on" if account.email_fallback_enabled else "off"),
        ("security question", "set" if account.security_question else "not set"),
        ("billing methods", ", ".join(f"{b['brand']} ending in {b['last4']}" for b in data["billing_methods"])
         or "none"),
    ]
    for state in data["methods"].values():
        shown = state["detail"].get("number") if state["enabled"] else None  # masked: +49 ••• ••• 4242
        rows.append((state["label"], ("on" if state["enabled"] else "off") + (f" ({shown})" if shown else "")))
    rows.append(("sign-in state", f"{_lock_state(account.locked, account.lock_retry_after)} "
                                  f"({account.failures} failed attempts)"))
    rows += [(registry.throttle_label(name), _lock_state(True, 0)) for name in data["locked_ways"]]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:  # one column for the values, however long a way's name
        say(f"  {name:<{width}}  {value}")
    say("  recent events (newest first):")
    for e in data["recent_events"]:
        say(f"    {e['at']}  {e['ref']}  {e['kind']:<22} {e['source']}")
    return 0


def _lock_state(locked: bool, retry_after: int) -> str:
    from secconsole.core.wording import duration

    if not locked:
        return "ok"
    return f"LOCKED for {duration(retry_after)}" if retry_after else "LOCKED until support unlocks it"


def unlock(args: argparse.Namespace) -> int:
    with opened(args) as services:
        cleared = services.support.unlock(args.name, source="cli user unlock")
        name = services.accounts.get(args.name).username
    if not cleared:
        say(f"Nothing to do: {name} had no failed attempts and no lock. No one was told.")
        return EXIT_NOTHING_TO_DO
    say(f"Unlocked {name}: cleared the failed attempts of {_listed(cleared)}. They were told by email.")
    return 0


def reset_2fa(args: argparse.Namespace) -> int:
    with opened(args) as services:
        removed, cleared = services.support.reset_second_steps(args.name, source="cli user reset-2fa")
        name = services.accounts.get(args.name).username
    if not removed and not cleared:
        say(f"Nothing to do: {name} had no second step on and no failed attempts. No one was told.")
        return EXIT_NOTHING_TO_DO
    done = ([f"removed {_listed(removed)}"] if removed else []) + (
        [f"cleared the failed attempts of {_listed(cleared)}"] if cleared else [])
    say(f"Reset two-step verification of {name}: {'; '.join(done)}. They were told by email.")
    return 0


def _listed(kinds: list[str]) -> str:
    """Ways and counters as the notice names them ("the authenticator app and password sign-in")."""
    from secconsole.core.notices import in_words

    return in_words(kinds)


def set_identity(args: argparse.Namespace) -> int:
    with opened(args) as services:
        account = services.accounts.get(args.name)
        services.identity.record(account.id, args.legal_name, args.birth_date, source="cli user set-identity")
    say(f"Identity record on file for {account.username}; they can now verify their identity on Payments.")
    return 0


def unlock_source(args: argparse.Namespace) -> int:
    with opened(args) as services:
        had = services.support.unlock_source(args.source, by="cli unlock-source")
    say(f"Cleared failed sign-ins from {args.source}." if had else f"{args.source} had no failed sign-ins.")
    return 0


def outbox(args: argparse.Namespace) -> int:
    from secconsole.core.delivery import recent_outbox

    with opened(args) as services:
        account_id = services.accounts.get(args.user).id if args.user else None
        messages = recent_outbox(services.db, services.box, account_id=account_id, limit=max(args.limit, 1))
    if args.json:
        _print_json([{"at": m.at.isoformat(), "channel": m.channel, "to": m.to, "subject": m.subject,
                      "body": m.body} for m in messages])
        return 0
    if not messages:
        say("The outbox is empty.")
    for m in messages:
        say(f"--- {m.at:%Y-%m-%d %H:%M:%S} UTC  {m.channel} to {m.to}\n{m.subject}\n\n{m.body}")
    return 0


def _print_json(data) -> None:
    import json

    print(json.dumps(data, indent=2))  # ensure_ascii: every control and bidi character is escaped


def _summary_json(a) -> dict:
    return {
        "username": a.username,
        "email": a.email,
        "created_at": a.created_at.isoformat(),
        "methods_on": a.methods_on,
        "locked": a.locked,
    }


def _account_json(account, events) -> dict:
    from secconsole.core.methods import registry

    def iso(moment):
        return moment.isoformat() if moment else None

    return {
        "username": account.username,
        "email": account.email,
        "created_at": iso(account.created_at),
        "password_changed_at": iso(account.password_changed_at),
        "password_change_required": account.password_change_required,
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
            m.kind: {"label": registry.get(m.kind).label, "enabled": m.enabled, "enabled_at": iso(m.enabled_at),
                     "detail": m.detail, "locked": m.kind in account.locked_ways}
            for m in account.methods
        },
        "locked": account.locked,
        "lock_retry_after": account.lock_retry_after,
        "failed_attempts": account.failures,
        "locked_ways": account.locked_ways,
        "recent_events": [
            {"at": iso(e.at), "kind": e.kind, "source": e.source, "ref": e.ref, "detail": e.detail} for e in events
        ],
    }
