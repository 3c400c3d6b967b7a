"""What the phone's prompt card says is asked, from a prompt's purpose and ``for``."""

from __future__ import annotations

import pytest

from secconsole.phone.client import Prompt
from secconsole.phone.profile import Account

PAIRED = Account("alice", "http://127.0.0.1:8765")


@pytest.mark.parametrize(("purpose", "for_what", "said"), [
    ("sign-in", "", "Sign-in request"),
    ("sign-in", "Test prompt", "Sign-in request: Test prompt"),  # the pairing wizard's test
    ("step-up", "Payments", "Confirm it's you for Payments"),
    ("step-up", "", "Confirm it's you"),
])
def test_the_card_names_what_is_asked(purpose, for_what, said):
    wire = {"id": "p1", "account": "alice", "purpose": purpose, "for": for_what, "source": "local",
            "host": "vm", "created": 1, "expires": 61, "numbers": [12, 47, 85], "entry": "pick"}
    assert Prompt.from_wire(wire, PAIRED).what == said
