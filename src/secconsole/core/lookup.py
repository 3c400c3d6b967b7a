"""Loading rows every service needs, with the message a person sees when they are gone."""

from __future__ import annotations

from secconsole.errors import NotFoundError
from secconsole.store.models import Account


def require_account(session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError("That account no longer exists.")
    return account
