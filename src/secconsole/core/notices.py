"""Telling an account's owner by email that something happened to their security.

A change that the owner must hear about is recorded with ``Notices.record``: one call writes the
audit event and queues its notice in the same transaction, worded by the audit kind's line in
``TEMPLATES``. So a change never commits without its notice, nor a notice without its change.
With the outbox sender the queued row is the delivery; with SMTP it is relayed after the commit
and dropped once the server took it (one that could not be sent stays in the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from string import Template
from typing import TYPE_CHECKING

from secconsole.core import audit
from secconsole.core.delivery import DeliveryError, Message, Sender, add_to_outbox
from secconsole.core.methods.recovery import RECOVERY_GENERATED

if TYPE_CHECKING:
    from datetime import datetime

    from secconsole.core.clock import Clock
    from secconsole.core.crypto import SecretBox

    from sqlmodel import Session

_NOT_YOU = "If this was not you, change your password and contact support, quoting the reference."
_NOT_ASKED = "If you did not ask support for this, contact them now, quoting the reference."


@dataclass(frozen=True)
class NoticeTemplate:
    #: Both ``string.Template`` over the audit detail ($method, $cleared, ...), each value in words.
    subject: str
    text: str
    closing: str = _NOT_YOU
    #: How a yes/no detail reads, e.g. ``{"enabled": ("off", "on")}``.
    words: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Sent only when one of these details is non-empty (an unlock that cleared nothing tells no one).
    only_if: tuple[str, ...] = ()


#: The notice of each audit kind the owner is told about (locks: ``Notices.lock``).
TEMPLATES: dict[str, NoticeTemplate] = {
    audit.PASSWORD_CHANGED: NoticeTemplate("Your SecConsole password was changed", "Your password was changed."),
    audit.METHOD_ENABLED: NoticeTemplate(
        "Two-step verification was turned on", "Two-step verification with $method was turned on."),
    audit.METHOD_DISABLED: NoticeTemplate(
        "Two-step verification was turned off",
        "Two-step verification with $method was turned off and its secret deleted."),
    RECOVERY_GENERATED: NoticeTemplate(
        "New SecConsole recovery codes were made", "New recovery codes were made; the old ones no longer work."),
    audit.QUESTION_SET: NoticeTemplate(
        "Your security question was $replaced", "Your security question and its answer were $replaced.",
        words={"replaced": ("set", "changed")}),
    audit.QUESTION_REMOVED: NoticeTemplate("Your security question was removed", "Your security question was removed."),
    "push.paired": NoticeTemplate("A device was paired for mobile app prompts",
                                  "A device was paired to answer your sign-in prompts: $device."),
    "push.removed": NoticeTemplate("A device was removed from mobile app prompts",
                                   "$device no longer answers your sign-in prompts."),
    "push.reported": NoticeTemplate(
        "A sign-in prompt was reported as not you",
        "A sign-in prompt was denied on $device as \"It wasn't me\". Whoever caused it knew your password: prompts are "
        "paused until you sign in another way, and then you will be asked to change your password.",
        closing="Contact support, quoting the reference, if you did not expect any of this."),
    audit.EMAIL_FALLBACK_CHANGED: NoticeTemplate(
        "Email codes were switched $enabled", "Email codes, the last resort when every other way is used up, were "
        "switched $enabled.", words={"enabled": ("off", "on")}),
    audit.ACCOUNT_UNLOCKED: NoticeTemplate(
        "Your SecConsole account was unlocked",
        "Support cleared the failed attempts on your account ($cleared), so you can try again.",
        closing=_NOT_ASKED, only_if=("cleared",)),
    audit.TWO_STEP_RESET: NoticeTemplate(
        "Your SecConsole two-step verification was reset",
        "Support reset two-step verification on your account.\n\nRemoved: $removed.\nFailed attempts cleared: "
        "$cleared.\n\nSign in with your password and turn two-step verification on again in Settings › "
        "Password and Security.", closing=_NOT_ASKED, only_if=("removed", "cleared")),
}

#: Throttle counters that are not ways, in words (a way's counter is named by its registry line).
_COUNTERS = {"signin": "password sign-in", "identity": "identity checks", "verify_email": "email verification"}


class Notices:
    def __init__(self, db, sender: Sender | None, box: SecretBox, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        #: None sends nothing (tests that do not look at mail).
        self.sender = sender
        #: Seals the queued notices' bodies (``add_to_outbox``), as every outbox body is.
        self.box = box

    def record(self, session: Session, account, *, at: datetime, kind: str, source: str, **detail: object) -> str:
        """Audit ``kind`` for ``account`` and queue its notice (if ``TEMPLATES`` has one) in the
        caller's transaction. Returns the audit reference, which the notice quotes."""
        ref = audit.record(session, at=at, kind=kind, source=source, account_id=account.id,
                           username=account.username, **detail)
        template = TEMPLATES.get(kind)
        if template is None or self.sender is None or (
                template.only_if and not any(detail.get(k) for k in template.only_if)):
            return ref
        facts = {k: in_words(v, template.words.get(k)) for k, v in detail.items()}
        subject, text = (Template(t).safe_substitute(facts) for t in (template.subject, template.text))
        body = (f"Hello {account.username},\n\n{text}\n\nWhen: {at:%Y-%m-%d %H:%M} UTC\nFrom: {source}\n"
                f"Reference: {ref}\n\n{template.closing}\n")
        self._queue(session, Message("email", account.email, subject, body, account.id), at)
        return ref

    def _queue(self, session: Session, message: Message, at: datetime) -> None:
        """Queue ``message`` in the outbox in ``session``'s transaction; a sender that does not
        deliver from the outbox (SMTP) gets it once that transaction has committed."""
        row = add_to_outbox(session, self.box, message, at)
        if not getattr(self.sender, "delivers_from_outbox", False):
            row_id = row.id
            from sqlalchemy import event

            event.listen(session, "after_commit", lambda _s: self._relay(row_id, message), once=True)

    def _relay(self, row_id: int, message: Message) -> None:
        """Hand a committed notice to the sender, then drop it from the outbox queue."""
        import sqlalchemy as sa

        from secconsole.store.models import OutboxMessage

        try:
            self.sender.send(message)
        except DeliveryError:
            return  # stays in the outbox: `secconsole outbox` lists it, nothing is lost
        with self.db.transaction() as session:
            session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id == row_id))

    def tell(self, account_id: int, subject: str, text: str, *, closing: str = "") -> None:
        """One email to the account's address, queued like every notice: called after what it
        tells of has committed, so a mail server that is down leaves the notice in the outbox
        (``secconsole outbox``) instead of turning what happened into an error."""
        if self.sender is None:
            return
        from secconsole.core.lookup import require_account

        with self.db.transaction() as session:
            account = require_account(session, account_id)
            body = f"Hello {account.username},\n\n{text}\n" + (f"\n{closing}\n" if closing else "")
            self._queue(session, Message("email", account.email, subject, body, account_id), self.clock.now())

    def lock(self, account_id: int, ref: str, what: str = "sign-in attempts", *, retry_after: int = 0) -> None:
        """Something locked (called after the lock was committed); ``retry_after``: seconds until
        the lock expires by itself (0: until support unlocks it)."""
        if retry_after:
            from secconsole.core.wording import duration

            text = (f"After too many failed {what} your account is locked for {duration(retry_after)}; each "
                    f"further failure after that locks it for longer. If that was not you, someone may be "
                    f"guessing your password: contact support and quote {ref}.")
        else:
            text = (f"After too many failed {what} your account is locked. If that was you, contact support and "
                    f"quote {ref}; if not, someone may know your password: change it once support has unlocked "
                    f"the account.")
        self.tell(account_id, "Your SecConsole account was locked", text)


def in_words(value: object, words: tuple[str, str] | None = None) -> str:
    """A detail as the notice says it: a way by its name, a list joined, a yes/no by ``words``."""
    if isinstance(value, bool) and words:
        return words[value]
    if isinstance(value, (list, tuple)):
        names = [in_words(v) for v in value]
        return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names) or "none"
    if isinstance(value, str):
        from secconsole.core.methods import registry

        if value in registry.kinds():
            return registry.get(value).name
        return _COUNTERS.get(value, value)
    return str(value)
