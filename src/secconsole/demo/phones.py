"""The demo's phone numbers: fictional, from the ranges regulators keep for drama and examples
(Ofcom's 07700 900xxx and 020 7946 0xxx, the North American 555-01xx), each with the line type a
carrier lookup would answer. The UK drama ranges are invalid to phonenumbers, so these skip its
validity check (``PhoneRules.fixtures``); demo mode never sends to a gateway, so they reach no one.

Try them in the demo (Settings › Text message):

| number | type | what happens |
| --- | --- | --- |
| +44 7700 900123 | mobile | accepted |
| +44 7700 900456 | mobile | accepted |
| +44 20 7946 0123 | landline | accepted |
| +44 7700 900666 | VoIP (like Google Voice) | refused before any code is sent |
| +1 202 555 0143 | VoIP | refused (metadata alone would accept it) |
| +1 202 555 0100 | mobile | accepted |
"""

from __future__ import annotations

from secconsole.core.phone import LineType

FICTIONAL = {
    "+447700900123": LineType.MOBILE,
    "+447700900456": LineType.MOBILE,
    "+442079460123": LineType.LANDLINE,
    "+447700900666": LineType.NON_FIXED_VOIP,
    "+12025550143": LineType.FIXED_VOIP,
    "+12025550100": LineType.MOBILE,
}

#: A mobile number no demo account has: what the text-message wizard's deep link types.
SPARE = "7700 900456"
