"""Delivering messages behind one ``Sender``: the outbox (a table; the default, and what demos
and developers read) or SMTP. Codes travel only here, never to logs or the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from secconsole.core.clock import Clock
from secconsole.core.crypto import SecretBox
from secconsole.errors import DeliveryError, KeyFileError, SecConsoleError
from secconsole.store.engine import Database

DEFAULT_FROM = "SecConsole <no-reply@secconsole.example>"
#: In ``meta`` while outbox rows from before schema 0008 still hold plain bodies.
OUTBOX_UNSEALED = "outbox_unsealed"


@dataclass(frozen=True)
class Message:
    channel: str
    to: str
    subject: str
    body: str
    account_id: int | None = None
    #: The same for every try of one message, so a gateway delivers it once (``core.webhook``).
    key: str | None = None


@dataclass(frozen=True)
class SentMessage:
    at: datetime
    channel: str
    to: str
    subject: str
    body: str


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


def _purpose(row_id: int) -> bytes:
    """What an outbox body is sealed for (``SecretBox``): that one row."""
    return b"outbox:%d" % row_id


def add_to_outbox(session, box: SecretBox, message: Message, at: datetime):
    """Add the ``outbox`` row of a message to ``session``, its body sealed with the key (bound to
    the row): what the outbox sender keeps, and how a notice is queued inside the transaction of
    the change it tells about (``Notices.record``). No table holds a live code in plain text."""
    from secconsole.store.models import OutboxMessage

    recipient = message.to
    if message.channel == "sms":  # a phone number is shown masked everywhere, the outbox included
        from secconsole.core.phone import mask

        recipient = mask(message.to)
    row = OutboxMessage(at=at, account_id=message.account_id, channel=message.channel,
                        recipient=recipient, subject=message.subject, sealed_body=b"")
    session.add(row)
    session.flush()  # the row's id, which the seal is bound to
    row.sealed_body = box.seal(message.body.encode(), _purpose(row.id))
    return row


class OutboxSender:
    """Keeps each message in the ``outbox`` table (one transaction per message), sealed."""

    #: A message queued in the outbox table is delivered: nothing left to relay after commit.
    delivers_from_outbox = True

    def __init__(self, db: Database, clock: Clock, box: SecretBox) -> None:
        self.db = db
        self.clock = clock
        self.box = box

    def send(self, message: Message) -> None:
        with self.db.transaction() as session:
            add_to_outbox(session, self.box, message, self.clock.now())


class ChannelSender:
    """Routes each message by its channel (``email``, ``sms``) to that channel's sender."""

    def __init__(self, senders: dict[str, Sender]) -> None:
        self.senders = senders
        #: Notices are queued in the outbox in their change's transaction; whether that row is the
        #: delivery depends on the email channel (notices are email).
        self.delivers_from_outbox = getattr(senders.get("email"), "delivers_from_outbox", False)

    def send(self, message: Message) -> None:
        sender = self.senders.get(message.channel)
        if sender is None:
            raise DeliveryError(f"No way to deliver {message.channel} messages is set up.")
        sender.send(message)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = DEFAULT_FROM

    @classmethod
    def parse(cls, text: str, **kwargs) -> SmtpSettings:
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SecConsoleError(f"--smtp takes HOST:PORT, e.g. localhost:25, not {text!r}.")
        return cls(host, int(port), **kwargs)


class SmtpSender:
    """Email over SMTP, with STARTTLS and login when configured."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> None:
        import smtplib
        from email.message import EmailMessage

        if message.channel != "email":
            raise DeliveryError(f"The SMTP sender delivers email, not {message.channel}.")
        s = self.settings
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = s.sender, message.to, message.subject
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=15) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"Could not send email through {s.host}:{s.port}: {_smtp_reason(exc, s)} "
                                "No email was sent.") from None


def _smtp_reason(exc: BaseException, s: SmtpSettings) -> str:
    """What went wrong with the mail server, in words."""
    import smtplib
    import socket

    if isinstance(exc, ConnectionRefusedError):
        return "nothing is listening there (is the mail server running?)."
    if isinstance(exc, socket.gaierror):
        return f"the name {s.host} cannot be resolved."
    if isinstance(exc, TimeoutError):
        return "the mail server did not answer in time."
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the mail server refused the login for {s.username} (check SECCONSOLE_SMTP_PASSWORD)."
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the recipient's address."
    if isinstance(exc, smtplib.SMTPException):
        return f"the mail server refused the message ({type(exc).__name__})."
    return f"{exc.strerror or exc}." if isinstance(exc, OSError) else f"{exc}."


def recent_outbox(
    db: Database, box: SecretBox, *, account_id: int | None = None, limit: int = 20,
) -> list[SentMessage]:
    """The newest messages, bodies opened with the key (``secconsole outbox``, demo hints)."""
    from sqlmodel import select

    from secconsole.store.models import OutboxMessage

    with db.transaction(readonly=True) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.at.desc(), OutboxMessage.id.desc()).limit(limit)
        if account_id is not None:
            query = query.where(OutboxMessage.account_id == account_id)
        rows = [(r.id, r.at, r.channel, r.recipient, r.subject, r.body, r.sealed_body)
                for r in session.exec(query).all()]
    return [SentMessage(at, channel, to, subject, _body(box, row_id, plain, sealed))
            for row_id, at, channel, to, subject, plain, sealed in rows]


def _body(box: SecretBox, row_id: int, plain: str, sealed: bytes | None) -> str:
    if sealed is None:  # written before schema 0008 and not sealed yet (see seal_plain_outbox)
        return plain
    try:
        return box.open(sealed, _purpose(row_id)).decode()
    except KeyFileError as exc:
        return f"({exc})"


def seal_plain_outbox(db: Database, box: SecretBox) -> int:
    """Seal the bodies that schema 0008 found in plain text (it marks them in ``meta``; it cannot
    read the key), in one transaction; returns how many. On SQLite the old text is overwritten
    (``secure_delete``) and the WAL checkpointed, so it is gone from the files too."""
    from sqlmodel import select

    from secconsole.store.models import Meta, OutboxMessage

    with db.transaction(readonly=True) as session:
        if session.get(Meta, OUTBOX_UNSEALED) is None:
            return 0
    with db.transaction() as session:
        if db.is_sqlite:
            session.connection().exec_driver_sql("PRAGMA secure_delete = ON")
        mark = session.get(Meta, OUTBOX_UNSEALED)
        if mark is None:  # another process sealed them first
            return 0
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.sealed_body.is_(None))).all()
        for row in rows:
            row.sealed_body = box.seal(row.body.encode(), _purpose(row.id))
            row.body = ""
        session.delete(mark)
    if db.is_sqlite:  # outside any transaction, or SQLite will not copy the WAL back
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return len(rows)
