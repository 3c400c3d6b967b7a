"""Delivering messages behind one ``Sender``: the outbox (a table; the default, and what demos
and developers read) or SMTP. Codes travel only here, never to logs or the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from secconsole.core.clock import Clock
from secconsole.errors import DeliveryError, SecConsoleError
from secconsole.store.engine import Database

DEFAULT_FROM = "SecConsole <no-reply@secconsole.example>"


@dataclass(frozen=True)
class Message:
    channel: str
    to: str
    subject: str
    body: str
    account_id: int | None = None


@dataclass(frozen=True)
class SentMessage:
    at: datetime
    channel: str
    to: str
    subject: str
    body: str


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


def outbox_row(message: Message, at: datetime):
    """The ``outbox`` row of a message: what the outbox sender keeps, and how a notice is queued
    inside the transaction of the change it tells about (``Notices.record``)."""
    from secconsole.store.models import OutboxMessage

    return OutboxMessage(at=at, account_id=message.account_id, channel=message.channel,
                         recipient=message.to, subject=message.subject, body=message.body)


class OutboxSender:
    """Keeps each message in the ``outbox`` table (one transaction per message)."""

    #: A message queued in the outbox table is delivered: nothing left to relay after commit.
    delivers_from_outbox = True

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def send(self, message: Message) -> None:
        with self.db.transaction() as session:
            session.add(outbox_row(message, self.clock.now()))


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


def recent_outbox(db: Database, *, account_id: int | None = None, limit: int = 20) -> list[SentMessage]:
    from sqlmodel import select

    from secconsole.store.models import OutboxMessage

    with db.transaction(readonly=True) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.at.desc(), OutboxMessage.id.desc()).limit(limit)
        if account_id is not None:
            query = query.where(OutboxMessage.account_id == account_id)
        return [SentMessage(r.at, r.channel, r.recipient, r.subject, r.body) for r in session.exec(query).all()]
