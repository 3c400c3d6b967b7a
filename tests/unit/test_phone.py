"""Numbers for text messages: real-format numbers of each line type through the check that runs
before any code is sent, the country picker's search, masking and formatting as typed."""

from __future__ import annotations

import pytest

from secconsole.core.phone import LineType, PhoneRules, as_you_type, country_of_pasted, mask, search
from secconsole.errors import ValidationError

ACCEPTED = [
    ("07400 123456", "GB", "+447400123456", LineType.MOBILE),
    ("020 7946 0018", "GB", "+442079460018", LineType.LANDLINE),
    ("(201) 555-0123", "US", "+12015550123", LineType.LANDLINE_OR_MOBILE),
    ("01512 3456789", "DE", "+4915123456789", LineType.MOBILE),
    ("030 901820", "DE", "+4930901820", LineType.LANDLINE),
    ("98765 43210", "IN", "+919876543210", LineType.MOBILE),
    ("06 12 34 56 78", "FR", "+33612345678", LineType.MOBILE),
    ("+49 1512 3456789", "", "+4915123456789", LineType.MOBILE),  # a pasted number picks its country
    ("+49 1512 3456789", "FR", "+4915123456789", LineType.MOBILE),
]

REFUSED = [
    ("056 1234 5678", "GB", "VoIP"),
    ("09 70 12 34 56", "FR", "VoIP"),
    ("800 555 0100", "US", "toll-free"),
    ("0800 123 4567", "GB", "toll-free"),
    ("0909 879 0000", "GB", "premium-rate"),
    ("076 0012 3456", "GB", "pager"),
    ("070 1234 5678", "GB", "personal forwarding"),
]


@pytest.mark.parametrize("text,region,e164,line", ACCEPTED)
def test_standard_numbers_are_accepted(text, region, e164, line):
    checked = PhoneRules().check(text, region)
    assert (checked.e164, checked.line_type) == (e164, line)


@pytest.mark.parametrize("text,region,named", REFUSED)
def test_other_line_types_are_refused_naming_the_type_and_what_to_use(text, region, named):
    with pytest.raises(ValidationError) as refused:
        PhoneRules().check(text, region)
    assert named in str(refused.value)
    assert "Use your mobile number" in str(refused.value)


@pytest.mark.parametrize("text,region,message", [
    ("", "DE", "Enter your phone number"),
    ("0151-CALL-ME", "DE", "only digits"),
    ("01512 3456789", "", "Choose the country"),
    ("12", "DE", "not a valid phone number in Germany"),
    ("01512 3456789 1234", "DE", "not a valid phone number in Germany"),
    ("07400 123456", "US", "United States"),  # a UK mobile typed for the US
    ("+999 1234 5678", "", "country calling code"),
])
def test_bad_numbers_say_what_is_wrong(text, region, message):
    with pytest.raises(ValidationError, match=message):
        PhoneRules().check(text, region)


def test_the_allow_list_refuses_other_countries_before_anything_else():
    rules = PhoneRules(allowed_countries=frozenset({"DE", "AT"}))
    assert rules.check("01512 3456789", "DE").region == "DE"
    with pytest.raises(ValidationError, match="numbers in United Kingdom.*Austria, Germany"):
        rules.check("07400 123456", "GB")


class Says:
    def __init__(self, line):
        self.line, self.asked = line, []

    def line_type(self, e164):
        self.asked.append(e164)
        return self.line


def test_a_configured_lookup_catches_voip_that_metadata_cannot_see():
    lookup = Says(LineType.NON_FIXED_VOIP)
    with pytest.raises(ValidationError, match="Google Voice"):
        PhoneRules(lookup=lookup).check("(201) 555-0123", "US")
    assert lookup.asked == ["+12015550123"]
    with pytest.raises(ValidationError, match="toll-free"):  # refused by metadata: never looked up
        PhoneRules(lookup=lookup).check("800 555 0100", "US")
    assert lookup.asked == ["+12015550123"]


def test_demo_fixtures_skip_validity_but_keep_their_line_types():
    fixtures = {"+447700900123": LineType.MOBILE, "+447700900666": LineType.NON_FIXED_VOIP}
    with pytest.raises(ValidationError, match="not a valid"):
        PhoneRules().check("07700 900123", "GB")
    assert PhoneRules(fixtures=fixtures).check("07700 900123", "GB").e164 == "+447700900123"
    with pytest.raises(ValidationError, match="VoIP"):
        PhoneRules(fixtures=fixtures).check("07700 900666", "GB")


@pytest.mark.parametrize("query,first", [("ger", "DE"), ("DE", "DE"), ("de", "DE"), ("+49", "DE"), ("49", "DE"),
                                         ("united k", "GB"), ("+1", "US"), ("india", "IN"), ("kingdom", "GB")])
def test_the_picker_finds_a_country_by_name_code_or_calling_code(query, first):
    found = search(query)
    assert found and found[0].iso == first or any(c.iso == first for c in found[:3])


def test_the_picker_finds_nothing_for_nonsense_and_everything_for_nothing():
    assert search("zzzz") == []
    assert len(search("")) > 240


def test_masks_formats_and_pastes():
    assert mask("+4915123454242") == "+49 ••• ••• 4242"
    assert as_you_type("015123456789", "DE") == "01512 3456789"
    assert as_you_type("2015550123", "US") == "(201) 555-0123"
    assert country_of_pasted("+44 7400 123456") == "GB"
    assert country_of_pasted("07400 123456") is None
