"""Mobile app prompts with number matching (docs/push-protocol.md): devices pair with a one-time
code, every device request is signed, every prompt is signed by the server, and a prompt's one
decision is taken by a conditional update (two devices answering at once: the first counts).

Against prompt bombing: one pending prompt per account, a prompt lives 60 s, growing waits after
denials and expiries, an hourly cap, and "It wasn't me" pauses prompts until the owner signs in
another way. The HTTP API (``secconsole serve-api``) is a thin layer over ``DeviceSide``."""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import func, select

from secconsole.core import audit, push_protocol as proto
from secconsole.core.push_wake import Wake, notify
from secconsole.core.lookup import require_account
from secconsole.core.methods import registry
from secconsole.core.methods.base import MethodContext, Reason, StepResult
from secconsole.core.wording import duration
from secconsole.errors import SecConsoleError, ValidationError
from secconsole.store.models import Account, Meta, PushDevice, PushPairing, PushPrompt

PROMPT_SECONDS = 60
PAIRING_MINUTES = 10
HOURLY_CAP = 10
BACKOFF_FIRST, BACKOFF_MAX = 5, 300
#: Pairing requests counted per source address (a valid code is refunded); once used up, the
#: address waits until a minute has passed since its last counted try, then has 10 again.
PAIR_LIMIT, PAIR_WINDOW = 10, 60
#: Refused device requests written to the audit trail per source address and minute; the rest are
#: counted, and the next event after the minute says how many were left out (``unlisted``).
REFUSALS_AUDITED = 10
SERVER_KEY = "push_server_key"
#: In ``meta``: the address devices reach the API at (``serve-api --public-url``), for pairing links.
API_URL = "push_api_url"
PENDING, APPROVED, DENIED, REPORTED, EXPIRED, USED = "pending", "approved", "denied", "reported", "expired", "used"

PUSH_PAIRED = "push.paired"
PUSH_REMOVED = "push.removed"
PUSH_SENT = "push.sent"
PUSH_APPROVED = "push.approved"
PUSH_DENIED = "push.denied"
PUSH_REPORTED = "push.reported"
PUSH_REFUSED = "push.refused"


class PushRefused(SecConsoleError):
    """A device request the API refuses: an HTTP status, a code for the device, words for a person."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code
        #: What the audit trail may record beside the code (``DeviceSide.refused``).
        self.detail: dict = {}


@dataclass(frozen=True)
class PairingOffer:
    code: str
    link: str
    expires_at: datetime

    @property
    def grouped(self) -> str:
        return proto.grouped_code(self.code)


@dataclass(frozen=True)
class DeviceView:
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    notifications: bool


@dataclass(frozen=True)
class PromptView:
    id: str
    number: int
    expires_at: datetime
    status: str


def _new_id() -> str:
    return proto.b64u(secrets.token_bytes(12))


class Keys:
    """The server's signing key, sealed in ``meta`` so that every API host shares it."""

    def __init__(self, ctx: MethodContext) -> None:
        self.ctx = ctx
        self._key: proto.ServerKey | None = None

    def get(self) -> proto.ServerKey:
        if self._key is None:
            self._key = self._load()
        return self._key

    def _load(self) -> proto.ServerKey:
        box = self.ctx.box
        with self.ctx.db.transaction(readonly=True) as session:
            row = session.get(Meta, SERVER_KEY)
            sealed = row.value if row else None
        if sealed is not None:
            return proto.ServerKey(box.open(proto.unb64u(sealed), SERVER_KEY.encode()))
        key = proto.ServerKey.new()
        try:
            with self.ctx.db.transaction() as session:
                session.add(Meta(key=SERVER_KEY, value=proto.b64u(box.seal(key.private, SERVER_KEY.encode()))))
        except sa.exc.IntegrityError:
            return self._load()  # another host made it first: use theirs
        return key


class MobilePrompts:
    """The console's side: pairing, devices, prompts and their answers."""

    spec = registry.get("push")

    def __init__(self, ctx: MethodContext) -> None:
        self.ctx = ctx
        self.db, self.clock, self.box, self.profile = ctx.db, ctx.clock, ctx.box, ctx.profile
        self.keys = Keys(ctx)
        self.wake = Wake(self.db)  # waiters on an account's prompts and devices (push_wake)
        from secconsole.core.methods.push_device import DeviceSide

        self.device_side = DeviceSide(self)

    # -- Settings: pairing and devices -------------------------------------------------------

    def _code_digest(self, code: str) -> str:
        return self.box.digest(code.encode(), b"push pairing code")

    def start_pairing(self, account_id: int, api_url: str) -> PairingOffer:
        """A one-time code (and its link for the QR) for 10 minutes; earlier unused codes stop."""
        now = self.clock.now()
        code = proto.new_pairing_code()
        with self.db.transaction() as session:
            require_account(session, account_id)
            session.execute(sa.update(PushPairing).where(PushPairing.account_id == account_id,
                                                         PushPairing.used_at.is_(None)).values(expires_at=now))
            expires = now + timedelta(minutes=PAIRING_MINUTES)
            session.add(PushPairing(account_id=account_id, code_hash=self._code_digest(code), created_at=now,
                                    expires_at=expires))
        return PairingOffer(code, proto.pairing_link(api_url, code), expires)

    def devices(self, account_id: int) -> list[DeviceView]:
        with self.db.transaction(readonly=True) as session:
            rows = session.exec(select(PushDevice).where(PushDevice.account_id == account_id)
                                .order_by(PushDevice.created_at)).all()
            return [DeviceView(r.id, r.name, r.created_at, r.last_used_at, r.notifications) for r in rows]

    def remove_device(self, account_id: int, device_id: str, *, source: str) -> None:
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            row = session.get(PushDevice, device_id)
            if row is None or row.account_id != account_id:
                raise ValidationError("That device is not paired with this account.")
            name = row.name
            session.delete(row)
            session.flush()
            self.sync_summary(session, account_id)
            notify(session, account_id)  # the wizard's list, and a long poll of the removed device
            self.ctx.notices.record(session, account, at=self.clock.now(), kind=PUSH_REMOVED, source=source,
                                    device=name)

    def api_url(self) -> str | None:
        """Where devices reach the API, as the last ``serve-api`` started said (None: not served)."""
        with self.db.transaction(readonly=True) as session:
            row = session.get(Meta, API_URL)
            return row.value if row else None

    def set_api_url(self, url: str) -> None:
        with self.db.transaction() as session:
            session.merge(Meta(key=API_URL, value=url[:255]))

    # -- the challenge -----------------------------------------------------------------------

    def begin(self, account_id: int, *, source: str, purpose: str = "sign-in", for_what: str = "",
              host: str = "", again: bool = False) -> str:
        """Prompt the account's devices (or keep the prompt already waiting, unless ``again``)."""
        prompt = self.send(account_id, source=source, purpose=purpose, for_what=for_what, host=host, again=again)
        return (f"Open the prompt from your mobile app and tap {prompt.number}. It expires in "
                f"{duration(PROMPT_SECONDS)}.")

    def send(self, account_id: int, *, source: str, purpose: str = "sign-in", for_what: str = "", host: str = "",
             again: bool = False) -> PromptView:
        now = self.clock.now()
        entry = "type" if self.profile.name == "nist" else "pick"
        with self.db.transaction() as session:
            account = session.exec(select(Account).where(Account.id == account_id).with_for_update()).first()
            if account is None:
                raise ValidationError("That account no longer exists.")
            if not self._can_answer(session, account_id):
                raise ValidationError("No paired device can answer a prompt now (none paired, signed out, or "
                                      "notifications off): use another way to confirm it's you.")
            waiting = self._pending(session, account_id, now)
            if waiting is not None and not again:
                return _view(waiting)
            self._check_limits(session, account, now)
            if waiting is not None:
                waiting.status, waiting.decided_at = EXPIRED, now
                session.add(waiting)
            numbers = proto.prompt_numbers(entry)
            if not host:  # the device shows where the sign-in happens: this console's host
                import socket

                host = socket.gethostname()
            row = PushPrompt(id=_new_id(), account_id=account_id, purpose=purpose, for_what=for_what[:60],
                             source=source[:120], host=host[:120], number=numbers.shown,
                             offered=json.dumps(list(numbers.offered)), entry=entry, created_at=now,
                             expires_at=now + timedelta(seconds=PROMPT_SECONDS), status=PENDING)
            session.add(row)
            notify(session, account_id)  # long polls on every API host
            audit.record(session, at=now, kind=PUSH_SENT, source=source, account_id=account_id,
                         username=account.username, purpose=purpose)
            session.flush()
            return _view(row)

    def prompt(self, account_id: int) -> PromptView | None:
        """The newest prompt of the account (what the console's panel re-reads when woken)."""
        with self.db.transaction(readonly=True) as session:
            row = self._newest(session, account_id)
            if row is None:
                return None
            view = _view(row)
        if view.status == PENDING and view.expires_at <= self.clock.now():
            return PromptView(view.id, view.number, view.expires_at, EXPIRED)
        return view

    def verify(self, account_id: int, answer: str = "", *, source: str) -> StepResult:
        """The newest prompt's decision: an approval is used once (conditional update)."""
        now = self.clock.now()
        with self.db.transaction() as session:
            row = self._newest(session, account_id)
            if row is None:
                return StepResult.refused(Reason.EXPIRED, "No prompt was sent: send one.")
            if row.status == PENDING and row.expires_at <= now:
                row.status, row.decided_at = EXPIRED, now
                session.add(row)
                notify(session, account_id)
            if row.status == PENDING:
                return StepResult.refused(Reason.PENDING, "Waiting for your answer on the mobile app.")
            if row.status == APPROVED:
                used = session.execute(sa.update(PushPrompt).where(PushPrompt.id == row.id,
                                                                   PushPrompt.status == APPROVED)
                                       .values(status=USED)).rowcount == 1
                if used:
                    notify(session, account_id)
                    return StepResult.accepted("Approved on your mobile app.")
            if row.status == EXPIRED:
                return StepResult.refused(Reason.EXPIRED, "The prompt expired without an answer.")
            if row.status == REPORTED:
                return StepResult.refused(Reason.WRONG, "Denied: you reported that it wasn't you. Prompts are "
                                          "paused until you sign in another way and change your password.")
            if row.status == DENIED:
                return StepResult.refused(Reason.WRONG, "Denied on your mobile app.")
            return StepResult.refused(Reason.EXPIRED, "That prompt was already used: send a new one.")

    # -- enrollment: a paired device, then a test prompt approved --------------------------------

    def confirm(self, account_id: int, *, source: str) -> StepResult:
        """Turn mobile app prompts on once the test prompt was approved (used once)."""
        from secconsole.core.methods.enrollment import ACTIVE, active_enrollment
        from secconsole.store.models import MethodEnrollment

        result = self.verify(account_id, source=source)
        if not result.ok:
            return result
        now = self.clock.now()
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            if active_enrollment(session, account_id, self.spec.kind) is None:
                session.add(MethodEnrollment(account_id=account_id, kind=self.spec.kind, status=ACTIVE,
                                             detail=json.dumps({"summary": _summary(session, account_id)}),
                                             created_at=now, enabled_at=now))
                self.ctx.notices.record(session, account, at=now, kind=audit.METHOD_ENABLED, source=source,
                                        method=self.spec.kind)
                notify(session, account_id)
        return StepResult.accepted("Mobile app prompts are on.")

    def sync_summary(self, session, account_id: int) -> None:
        """The method's summary in Settings names the devices paired now (one paired or removed
        while it is on); with none left it stays on, and says that nothing can answer."""
        from secconsole.core.methods.enrollment import active_enrollment

        row = active_enrollment(session, account_id, self.spec.kind)
        if row is not None:
            row.detail = json.dumps({"summary": _summary(session, account_id)})
            session.add(row)

    @staticmethod
    def forget(session, account_id: int) -> None:
        """Turning the method off (``Enrollments.disable``): the paired devices go, a pending prompt
        stops; the prompts' history stays (the hourly cap and the pause after a report count it)."""
        session.execute(sa.update(PushPrompt).where(PushPrompt.account_id == account_id,
                                                    PushPrompt.status == PENDING).values(status=EXPIRED))
        session.execute(sa.delete(PushDevice).where(PushDevice.account_id == account_id))
        notify(session, account_id)

    # -- helpers ------------------------------------------------------------------------------

    def _can_answer(self, session, account_id: int) -> bool:
        return session.exec(select(PushDevice.id).where(PushDevice.account_id == account_id,
                                                         PushDevice.notifications.is_(True))).first() is not None

    @staticmethod
    def _newest(session, account_id: int) -> PushPrompt | None:
        return session.exec(select(PushPrompt).where(PushPrompt.account_id == account_id)
                            .order_by(PushPrompt.created_at.desc(), PushPrompt.id.desc())).first()

    def _pending(self, session, account_id: int, now: datetime) -> PushPrompt | None:
        row = self._newest(session, account_id)
        return row if row is not None and row.status == PENDING and row.expires_at > now else None

    @staticmethod
    def _paused(session, account: Account) -> bool:
        """A prompt was reported and the owner has not signed in another way since, or has but
        not yet changed the password (whoever caused the prompt knew it)."""
        if account.password_change_required:
            return True
        reported = session.exec(select(func.max(PushPrompt.decided_at)).where(
            PushPrompt.account_id == account.id, PushPrompt.status == REPORTED)).one()
        return reported is not None and (account.last_sign_in_at is None or account.last_sign_in_at < reported)

    def _check_limits(self, session, account: Account, now: datetime) -> None:
        if self._paused(session, account):
            raise ValidationError("Prompts to this account are paused because one was reported as not you: "
                                  "sign in another way and change your password to turn them back on.")
        hour = session.exec(select(func.count()).select_from(PushPrompt).where(
            PushPrompt.account_id == account.id, PushPrompt.created_at > now - timedelta(hours=1))).one()
        if hour >= HOURLY_CAP:
            raise ValidationError(f"{HOURLY_CAP} prompts were sent in the last hour: use another way to confirm "
                                  "it's you.")
        last_ok = session.exec(select(func.max(PushPrompt.decided_at)).where(
            PushPrompt.account_id == account.id, PushPrompt.status.in_((APPROVED, USED)))).one()
        failed = [PushPrompt.account_id == account.id, PushPrompt.status.in_((DENIED, EXPIRED))]
        if last_ok is not None:
            failed.append(PushPrompt.created_at > last_ok)
        misses = session.exec(select(func.count()).select_from(PushPrompt).where(*failed)).one()
        if misses:
            newest = self._newest(session, account.id)
            since = newest.decided_at or newest.expires_at
            wait = min(BACKOFF_FIRST * 2 ** (misses - 1), BACKOFF_MAX)
            left = math.ceil(wait - (now - since).total_seconds())
            if left > 0:
                raise ValidationError(f"The last prompt was not approved: you can send another in {duration(left)}.")


NO_DEVICE = "no paired device: prompts cannot be answered"


def _summary(session, account_id: int) -> str:
    names = session.exec(select(PushDevice.name).where(PushDevice.account_id == account_id)
                         .order_by(PushDevice.created_at)).all()
    return ", ".join(names)[:80] or NO_DEVICE


def _view(row: PushPrompt) -> PromptView:
    return PromptView(row.id, row.number, row.expires_at, row.status)
