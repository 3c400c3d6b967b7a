"""Recovery codes on SQLite and PostgreSQL."""

import pytest
from sqlmodel import select

from secconsole.errors import ValidationError
from secconsole.store.models import RecoveryCode

from conftest import STRONG

SRC = "test"


@pytest.fixture
def erin(services):
    return services.accounts.create("erin", "erin@example.com", STRONG, source=SRC)


def test_ten_single_use_codes_kept_only_as_hashes(services, erin):
    codes = services.way("recovery").generate(erin.id, source=SRC)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert services.way("recovery").remaining(erin.id) == 10
    with services.db.transaction() as session:
        stored = [r.code_hash for r in session.exec(select(RecoveryCode)).all()]
    assert not any(c.replace("-", "") in h for c in codes for h in stored)
    first = services.way("recovery").verify(erin.id, codes[0].upper(), source=SRC)
    assert first.ok and "9 recovery codes left" in first.note
    assert not services.way("recovery").verify(erin.id, codes[0], source=SRC).ok  # single use
    assert services.way("recovery").remaining(erin.id) == 9


def test_a_new_set_voids_the_old_one(services, erin):
    old = services.way("recovery").generate(erin.id, source=SRC)
    new = services.way("recovery").generate(erin.id, source=SRC)
    assert not services.way("recovery").verify(erin.id, old[1], source=SRC).ok
    assert services.way("recovery").verify(erin.id, new[1].replace("-", " "), source=SRC).ok


@pytest.mark.parametrize("text", ["", "abc", "abcde-2345!", "00000-00000"])
def test_bad_input_is_refused_and_counts_nothing(services, erin, text):
    services.way("recovery").generate(erin.id, source=SRC)
    with pytest.raises(ValidationError):
        services.way("recovery").verify(erin.id, text, source=SRC)
    assert services.accounts.get("erin").failures == 0
