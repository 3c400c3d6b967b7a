"""A paired device's side of mobile app prompts, for the HTTP API (``secconsole.api``): pairing,
signed requests (clock, nonce once, signature), the device's signed prompts and its answers.

The console's side, the limits and the shared constants are in ``push``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import select

from secconsole.core import audit, push_protocol as proto, throttle
from secconsole.core.lookup import require_account
from secconsole.core.push_wake import notify
from secconsole.core.methods.push import (
    APPROVED, DENIED, PAIR_LIMIT, PAIR_WINDOW, PENDING, PUSH_APPROVED, PUSH_DENIED, PUSH_PAIRED, PUSH_REFUSED,
    PUSH_REPORTED, REFUSALS_AUDITED, REPORTED, PushRefused, _new_id,
)
from secconsole.core.policy import LockoutRules
from secconsole.store.models import Account, PushDevice, PushNonce, PushPairing, PushPrompt

if TYPE_CHECKING:
    from secconsole.core.methods.push import MobilePrompts

#: PAIR_LIMIT tries, then a wait of PAIR_WINDOW; never a lock (``forget_quiet`` clears the count
#: when the wait is over; were it not to, the address would get one try a minute, not a lock).
PAIR_RULES = LockoutRules(free_failures=PAIR_LIMIT - 1, backoff_base_seconds=PAIR_WINDOW,
                          backoff_max_seconds=PAIR_WINDOW, lock_after=1_000_000_000, hard_lock_after=1_000_000_000)
#: The refusals the audit trail records: failed signatures, replays, clocks, unknown devices, answers
#: to a prompt that is not the device's account's, wrong pairing codes and the pairing limit.
AUDITED = {"bad_signature", "stale_timestamp", "bad_nonce", "nonce_reused", "device_removed", "no_such_prompt",
           "pairing_code_invalid", "too_many_requests"}


def pair_key(source: str) -> str:
    return f"pair:{source}"[:160]


def refused_key(source: str) -> str:
    return f"push-refused:{source}"[:160]


class DeviceSide:
    """What the HTTP API calls for a device: pairing, signed requests, prompts and answers."""

    def __init__(self, prompts: MobilePrompts) -> None:
        self.p = prompts
        self.ctx, self.db, self.clock = prompts.ctx, prompts.db, prompts.clock

    def pair(self, code: str, name: str, alg: str, public_key: str, *, source: str) -> dict:
        """Every try counts on the source's pairing counter before the code is looked at (so tries
        sent at once from several API hosts cannot pass the limit); a valid code takes its try back."""
        now = self.clock.now()
        counter = throttle.Counter(pair_key(source), PAIR_RULES, shared=True)
        with self.db.transaction() as session:
            throttle.forget_quiet(session, counter.key, now, PAIR_WINDOW)
            attempt = throttle.claim_attempt(session, now, counter)
        if not attempt.allowed:
            self.refused(PushRefused(429, "too_many_requests", f"Too many pairing attempts from this address: try "
                                     f"again in {attempt.gate.retry_after} s."), source=source)
        try:
            return self._pair(attempt, now, code, name, alg, public_key, source=source)
        except PushRefused as exc:
            self.refused(exc, source=source)

    def _pair(self, attempt: throttle.Attempt, now: datetime, code: str, name: str, alg: str, public_key: str, *,
              source: str) -> dict:
        name = " ".join(str(name or "").split())[:60]
        if not name:
            raise PushRefused(400, "bad_request", "name: say what the device is called, e.g. Pixel 8.")
        try:
            raw = proto.check_public_key(alg, public_key)
        except ValueError as exc:
            raise PushRefused(400, "bad_public_key", f"public_key: {exc}.") from None
        digest = self.p._code_digest(proto.normal_code(str(code or "")))
        with self.db.transaction() as session:
            row = session.exec(select(PushPairing).where(PushPairing.code_hash == digest)).first()
            taken = row is not None and row.expires_at > now and session.execute(
                sa.update(PushPairing).where(PushPairing.id == row.id, PushPairing.used_at.is_(None))
                .values(used_at=now)).rowcount == 1
            if not taken:
                raise PushRefused(410, "pairing_code_invalid", "That pairing code is not valid (used, expired or "
                                  "mistyped): show a new one in Settings.")
            account = require_account(session, row.account_id)
            device = PushDevice(id=_new_id(), account_id=account.id, name=name, alg=alg, public_key=raw,
                                created_at=now, last_used_at=now)
            session.add(device)
            throttle.refund(session, attempt)
            session.flush()
            self.p.sync_summary(session, account.id)
            notify(session, account.id)  # the pairing wizard's list of devices
            self.ctx.notices.record(session, account, at=now, kind=PUSH_PAIRED, source=source, device=name)
            result = {"device_id": device.id, "account": account.username, "server_alg": "ed25519"}
        return {**result, "server_key": self.p.keys.get().public}

    def refused(self, exc: PushRefused, *, source: str, device_id: str | None = None, **detail) -> None:
        """Raise ``exc`` after recording it (when ``AUDITED``) in a transaction of its own, the
        refusing one having rolled back: the reason, the device and its account when the claimed
        device exists, the source. At most ``REFUSALS_AUDITED`` events per source and minute (an
        attacker cannot grow the table faster); the rest are only counted, and the first event of a
        later minute says how many were left out."""
        if exc.code not in AUDITED:
            raise exc
        now = self.clock.now()
        with self.db.transaction() as session:
            number, before = throttle.tally(session, refused_key(source), now, 60)
            if number <= REFUSALS_AUDITED:
                device = session.get(PushDevice, device_id) if device_id else None
                account = session.get(Account, device.account_id) if device else None
                if before > REFUSALS_AUDITED:
                    detail["unlisted"] = before - REFUSALS_AUDITED
                audit.record(session, at=now, kind=PUSH_REFUSED, source=source,
                             account_id=account.id if account else None, username=account.username if account else "",
                             reason=exc.code, device_id=device.id if device else None,
                             device=device.name if device else None, **exc.detail, **detail)
        raise exc

    def authenticate(self, device_id: str, method: str, path: str, timestamp: str, nonce: str, body: bytes,
                     signature: str, *, source: str) -> PushDevice:
        """Check a signed request (clock, nonce once, signature); returns the device (detached).
        A refusal is audited (``refused``)."""
        try:
            return self._authenticate(device_id, method, path, timestamp, nonce, body, signature)
        except PushRefused as exc:
            self.refused(exc, source=source, device_id=str(device_id or "")[:64])

    def _authenticate(self, device_id: str, method: str, path: str, timestamp: str, nonce: str, body: bytes,
                      signature: str) -> PushDevice:
        now = self.clock.now()
        try:
            stamp = int(timestamp)
        except (TypeError, ValueError):
            raise PushRefused(401, "bad_signature", "X-Timestamp must be Unix seconds.") from None
        if abs(now.timestamp() - stamp) > proto.CLOCK_SKEW_SECONDS:
            raise PushRefused(401, "stale_timestamp", "The device's clock is more than a minute off: set it "
                              "to automatic.")
        try:
            if len(proto.unb64u(nonce)) < proto.MIN_NONCE_BYTES or len(nonce) > 64:
                raise ValueError
        except ValueError:
            raise PushRefused(401, "bad_nonce", "X-Nonce must be at least 16 random bytes, base64url.") from None
        with self.db.transaction() as session:
            device = session.get(PushDevice, str(device_id or ""))
            if device is None:
                raise PushRefused(401, "device_removed", "This device is not paired (any more).")
            message = proto.request_string(method, path, timestamp, nonce, body)
            if not proto.device_signature_ok(device.alg, device.public_key, message, signature or ""):
                raise PushRefused(401, "bad_signature", "The request's signature does not verify.")
            session.execute(sa.delete(PushNonce).where(
                PushNonce.at < now - timedelta(seconds=3 * proto.CLOCK_SKEW_SECONDS)))
            fresh = session.execute(_insert_nonce(session, device.id, nonce, now)).first() is not None
            if not fresh:
                raise PushRefused(401, "nonce_reused", "That request was already received (a replay).")
            device.last_used_at = now
            session.add(device)
            session.flush()
            session.expunge(device)
            return device

    def prompts(self, device: PushDevice) -> list[dict]:
        """The pending prompts of the device's account, each signed by the server."""
        now = self.clock.now()
        with self.db.transaction(readonly=True) as session:
            if session.get(PushDevice, device.id) is None:  # removed while it long-polled
                raise PushRefused(401, "device_removed", "This device is not paired (any more).")
            account = require_account(session, device.account_id)
            rows = session.exec(select(PushPrompt).where(
                PushPrompt.account_id == device.account_id, PushPrompt.status == PENDING,
                PushPrompt.expires_at > now)).all()
            out = [{"id": r.id, "account": account.username, "purpose": r.purpose, "for": r.for_what,
                    "source": r.source, "host": r.host, "created": int(r.created_at.timestamp()),
                    "expires": int(r.expires_at.timestamp()), "numbers": json.loads(r.offered), "entry": r.entry}
                   for r in rows]
        key = self.p.keys.get()
        return [key.sign(prompt) for prompt in out]

    def answer(self, device: PushDevice, prompt_id: str, decision: str, number, *, source: str) -> str:
        """The first answer decides (conditional update); a wrong number is a denial."""
        if decision not in ("approve", "deny", "report"):
            raise PushRefused(400, "bad_request", "decision must be approve, deny or report.")
        try:
            return self._answer(device, prompt_id, decision, number, source=source)
        except PushRefused as exc:
            self.refused(exc, source=source, device_id=device.id)

    def _answer(self, device: PushDevice, prompt_id: str, decision: str, number, *, source: str) -> str:
        now = self.clock.now()
        with self.db.transaction() as session:
            row = session.get(PushPrompt, str(prompt_id))
            if row is None or row.account_id != device.account_id:
                refusal = PushRefused(404, "no_such_prompt", "No such prompt for this device's account.")
                if row is not None:  # another account's prompt: its id is ours, safe to record
                    refusal.detail["prompt"] = row.id
                raise refusal
            if row.status == PENDING and row.expires_at <= now:
                raise PushRefused(410, "expired", "That prompt expired.")
            status = {"approve": APPROVED, "deny": DENIED, "report": REPORTED}[decision]
            if status == APPROVED and number != row.number:
                status = DENIED
            won = session.execute(sa.update(PushPrompt).where(PushPrompt.id == row.id, PushPrompt.status == PENDING)
                                  .values(status=status, decided_at=now, device_id=device.id)).rowcount == 1
            if not won:
                raise PushRefused(409, "already_decided", "That prompt was already answered.")
            notify(session, row.account_id)  # the waiting console, on whichever host
            account = require_account(session, row.account_id)
            kind = {APPROVED: PUSH_APPROVED, DENIED: PUSH_DENIED, REPORTED: PUSH_REPORTED}[status]
            detail = {"device": device.name, "purpose": row.purpose}
            if decision == "approve" and status == DENIED:
                detail["wrong_number"] = True
            if status == REPORTED:
                self.ctx.notices.record(session, account, at=now, kind=kind, source=source, **detail)
                # Whoever caused the prompt knew the password: the next sign-in must change it.
                account.password_change_required = True
                session.add(account)
                audit.record(session, at=now, kind=audit.PASSWORD_CHANGE_REQUIRED, source=source,
                             account_id=account.id, username=account.username, because=PUSH_REPORTED,
                             device=device.name)
            else:
                audit.record(session, at=now, kind=kind, source=source, account_id=account.id,
                             username=account.username, **detail)
        return {APPROVED: "approved", DENIED: "denied", REPORTED: "reported"}[status]

    def info(self, device: PushDevice) -> dict:
        """``GET /v1/device``: the device as the console knows it."""
        with self.db.transaction(readonly=True) as session:
            row = session.get(PushDevice, device.id)
            if row is None:
                raise PushRefused(401, "device_removed", "This device is not paired (any more).")
            account = require_account(session, row.account_id)
            return {"device_id": row.id, "account": account.username, "name": row.name,
                    "paired": int(row.created_at.timestamp()),
                    "last_used": int(row.last_used_at.timestamp()) if row.last_used_at else None,
                    "notifications": row.notifications, "paused": self.p._paused(session, account)}

    def set_notifications(self, device: PushDevice, on) -> dict:
        """``POST /v1/device``: whether the device can be prompted (notifications on)."""
        if not isinstance(on, bool):
            raise PushRefused(400, "bad_request", "notifications must be true or false.")
        with self.db.transaction() as session:
            session.execute(sa.update(PushDevice).where(PushDevice.id == device.id).values(notifications=on))
            notify(session, device.account_id)
        return self.info(device)

    def unpair(self, device: PushDevice, *, source: str) -> None:
        """``DELETE /v1/device``: the device signs itself out, as Settings › Remove does."""
        self.p.remove_device(device.account_id, device.id, source=source)
        with self.db.transaction() as session:
            session.execute(sa.delete(PushNonce).where(PushNonce.device_id == device.id))


def _insert_nonce(session, device_id: str, nonce: str, now: datetime):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: a row back means the nonce was new (PostgreSQL's
    row count is not reported for it)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return (insert(PushNonce).values(device_id=device_id, nonce=nonce, at=now).on_conflict_do_nothing()
            .returning(PushNonce.nonce))
