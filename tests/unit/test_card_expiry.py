"""Card expiry dates as people type them (issue 12, item 13): parsed in the core, refused with a
message that says what is wrong."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secconsole.core.payments import EXPIRY_MAX_YEARS, parse_expiry
from secconsole.errors import ValidationError

NOW = datetime(2026, 1, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("typed", ["0130", "01/30", "1/30", "01 30", " 01 / 30 ", "01-30", "01.30", "01/2030",
                                   "1/2030", "012030", "01 2030"])
def test_the_ways_people_write_an_expiry_date(typed):
    assert parse_expiry(typed, NOW) == (1, 2030)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the expiry date as MM/YY"),
        ("   ", "Enter the expiry date as MM/YY"),
        ("jan 30", "digits only"),
        ("01/3O", "digits only"),
        ("130", "has 4 digits, MMYY .*you typed 3"),
        ("01300", "you typed 5"),
        ("01/30/31", "the month and the year only"),
        ("001/30", "The month has 1 or 2 digits"),
        ("01/303", "The year has 2 or 4 digits"),
        ("13/30", "There is no month 13"),
        ("1330", "There is no month 13"),
        ("00/30", "There is no month 0"),
        ("12/25", "expired at the end of 12/2025"),
        ("01/99", "looks like a typo"),
        ("٠١/٣٠", "digits only"),  # Arabic-Indic digits: not what a card shows
    ],
)
def test_nonsense_is_refused_with_what_is_wrong(typed, message):
    with pytest.raises(ValidationError, match=message) as caught:
        parse_expiry(typed, NOW)
    assert caught.value.field == "expiry"


MONTHS = st.integers(1, 12)
YEARS = st.integers(NOW.year + 1, NOW.year + EXPIRY_MAX_YEARS)
SEPARATORS = st.sampled_from(["/", " / ", " ", "-", "", "/ "])


@given(month=MONTHS, year=YEARS, sep=SEPARATORS, pad=st.booleans(), long_year=st.booleans())
def test_every_valid_date_in_every_form(month, year, sep, pad, long_year):
    if sep == "":
        pad = True  # without a separator the month has two digits
    typed = f"{month:02d}" if pad else str(month)
    typed += sep + (str(year) if long_year else f"{year % 100:02d}")
    assert parse_expiry(typed, NOW) == (month, year)
