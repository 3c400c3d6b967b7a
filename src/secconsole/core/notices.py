"""Telling an account's owner by email that something happened to their security."""

from __future__ import annotations

from secconsole.core.delivery import Message, Sender


class Notices:
    def __init__(self, db, sender: Sender | None) -> None:
        self.db = db
        #: None sends nothing (tests that do not look at mail).
        self.sender = sender

    def tell(self, account_id: int, subject: str, text: str, *, closing: str = "") -> None:
        """One email to the account's address (read in its own transaction)."""
        if self.sender is None:
            return
        from secconsole.core.lookup import require_account

        with self.db.transaction(readonly=True) as session:
            account = require_account(session, account_id)
            email, name = account.email, account.username
        body = f"Hello {name},\n\n{text}\n" + (f"\n{closing}\n" if closing else "")
        self.sender.send(Message("email", email, subject, body, account_id))

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
