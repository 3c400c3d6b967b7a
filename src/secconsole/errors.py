"""Errors whose message is meant for the person at the keyboard."""


class SecConsoleError(Exception):
    """A problem the user can act on. ``str(error)`` is shown as is, never a traceback."""


class ValidationError(SecConsoleError):
    """Input that breaks a rule; nothing was changed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(SecConsoleError):
    """The named thing does not exist."""


class KeyFileError(SecConsoleError):
    """The key that protects secrets at rest is missing or does not match the data."""


class DatabaseError(SecConsoleError):
    """The database cannot be reached or is not in a usable state."""
