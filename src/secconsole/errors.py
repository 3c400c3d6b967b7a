"""Errors whose message is meant for the person at the keyboard."""

from __future__ import annotations


class SecConsoleError(Exception):
    """A problem the user can act on. ``str(error)`` is shown as is, never a traceback."""


class ValidationError(SecConsoleError):
    """Input that breaks a rule; nothing was changed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UsageError(SecConsoleError):
    """The command was called in a way that cannot work (exit status 2, as argparse's errors)."""


class NotFoundError(SecConsoleError):
    """The named thing does not exist."""


class KeyFileError(SecConsoleError):
    """The key that protects secrets at rest is missing or does not match the data."""


class DeliveryError(SecConsoleError):
    """A message (an email code, a notice) could not be handed over; nothing about a code was revealed."""


class DeliveryUncertain(DeliveryError):
    """The gateway did not answer in time: the message may or may not have been delivered."""


class DatabaseError(SecConsoleError):
    """The database cannot be reached or is not in a usable state."""


class SchemaBehind(DatabaseError):
    """The database's schema is older than this version and is not upgraded automatically
    (PostgreSQL): the message names the command that upgrades it."""

    def __init__(self, where: str, current: str | None, head: str, command: str = "secconsole db upgrade") -> None:
        self.where, self.current, self.head = where, current, head
        super().__init__(f"The database {where} is at schema {current or 'none'}, this version needs {head}: "
                         f"run `{command}` first.")

    def naming(self, command: str) -> SchemaBehind:
        """The same error naming `command` (the command line with the options given)."""
        return SchemaBehind(self.where, self.current, self.head, command)


class DatabaseFault(DatabaseError):
    """The database refused a read or a write for a reason outside the program: permissions, a lock
    held too long, no space, damage. The transaction was rolled back, so nothing is half-written.
    ``store.faults`` makes these from the drivers' errors."""


class DatabaseReadOnly(DatabaseFault):
    """The file, its folder or the server accepts reads only."""


class DatabaseBusy(DatabaseFault):
    """Another connection held the lock longer than we wait for it."""


class DatabaseFull(DatabaseFault):
    """No space left for the database (or a size limit reached)."""


class DatabaseDamaged(DatabaseFault):
    """The file is not a database or a page of it is corrupt."""
